/**
 * The build context as a tree of entries held in memory: what was walked
 * from a directory or read from a tar, with the ignore rules applied. Every
 * path lookup (a `COPY` source, the Dockerfile, `.dockerignore`) is resolved
 * on this tree as a chroot would resolve it: `..` stops at the root and an
 * absolute symlink target starts again from the root, so no name in the
 * context can reach anything outside it. File content is read only through
 * the context's `open`, which opens the entry inside the context root again.
 */
import { InvalidArgumentError } from "../../errors.ts";

/** The kinds of entries a context holds. */
export type EntryType = "file" | "dir" | "symlink" | "fifo" | "char" | "block";

/** One entry of the context, as walked or read from the tar. */
export interface ContextEntry {
  /** Slash-separated path relative to the context root; "" for the root. */
  path: string;
  type: EntryType;
  /** Permission, set-id and sticky bits (`0o7777`). */
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of content (files); 0 otherwise. */
  size: number;
  /** The target of a symlink, as stored. */
  linkTarget?: string;
  /** Modification time in ms (informational: never part of a digest). */
  mtimeMs: number;
  /**
   * A file's identity and version in a context directory (device, inode, size, change and
   * modification times), set only when both times were at least 2 s old when it was walked:
   * a file changed later gets another stamp, so a stamp may key its content's digest.
   */
  stamp?: string;
}

/** Where an entry's content comes from: its path in the context directory, or a spooled blob. */
export type ContentRef = { kind: "context"; path: string } | { kind: "blob"; path: string };

/** A node of the tree. */
export interface TreeNode {
  entry: ContextEntry;
  children?: Map<string, TreeNode>;
  content?: ContentRef;
}

/** At most this many symlinks are followed in one lookup (the kernel's limit). */
const MAX_LINKS = 40;

/** Splits a path into its non-empty components. */
export function splitPath(path: string): string[] {
  return path.split("/").filter((p) => p !== "" && p !== ".");
}

/** Where a lookup ended: the node and its real path in the tree (no symlink in it). */
export interface Resolved {
  node: TreeNode;
  path: string;
}

/**
 * A context tree. `lookup` resolves a path inside it, `walk` lists entries in
 * path order.
 *
 * @example
 * ```ts
 * import { ContextTree } from "./tree.ts";
 * const t = new ContextTree();
 * t.put({ path: "a", type: "symlink", linkTarget: "/b", mode: 0o777, uid: 0, gid: 0, size: 0, mtimeMs: 0 });
 * t.put({ path: "b", type: "file", mode: 0o644, uid: 0, gid: 0, size: 1, mtimeMs: 0 });
 * t.lookup("a")?.path; // "b"
 * ```
 */
export class ContextTree {
  readonly root: TreeNode = {
    entry: { path: "", type: "dir", mode: 0o755, uid: 0, gid: 0, size: 0, mtimeMs: 0 },
    children: new Map(),
  };

  /**
   * Adds (or replaces) the entry at `entry.path`. Its parent directories must
   * be there already as directories (not symlinks): an InvalidArgumentError
   * otherwise. Replacing a directory by a directory keeps its children.
   */
  put(entry: ContextEntry, content?: ContentRef): TreeNode {
    const parts = splitPath(entry.path);
    if (parts.length === 0) {
      if (entry.type !== "dir") {
        throw new InvalidArgumentError("the root of the build context is not a directory");
      }
      this.root.entry = { ...entry, path: "" };
      return this.root;
    }
    const name = parts.pop()!;
    const parent = this.#parent(parts, entry.path);
    const old = parent.children!.get(name);
    const node: TreeNode = { entry: { ...entry, path: [...parts, name].join("/") }, content };
    if (entry.type === "dir") node.children = old?.children ?? new Map();
    parent.children!.set(name, node);
    return node;
  }

  /** Removes the entry at `path` (and what is under it); no-op when missing. */
  remove(path: string): void {
    const parts = splitPath(path);
    const name = parts.pop();
    if (name === undefined) return;
    const parent = this.get(parts.join("/"));
    parent?.children?.delete(name);
  }

  #parent(parts: string[], full: string): TreeNode {
    let node = this.root;
    for (const part of parts) {
      const next = node.children!.get(part);
      if (!next) {
        throw new InvalidArgumentError(`"${full}": parent directory "${part}" is missing`);
      }
      if (next.entry.type !== "dir") {
        throw new InvalidArgumentError(
          `"${full}": parent "${next.entry.path}" is a ${next.entry.type}, not a directory`,
        );
      }
      node = next;
    }
    return node;
  }

  /** The node at exactly `path`, following no symlink; undefined when missing. */
  get(path: string): TreeNode | undefined {
    let node: TreeNode | undefined = this.root;
    for (const part of splitPath(path)) {
      node = node.children?.get(part);
      if (!node) return undefined;
    }
    return node;
  }

  /**
   * Resolves `path` inside the tree as a chroot would: `..` never climbs above
   * the root, absolute symlink targets start at the root, intermediate
   * symlinks are followed, the last one only with `followFinal`. Undefined
   * when something on the way is missing or not a directory; an
   * InvalidArgumentError after too many symlinks.
   */
  lookup(path: string, followFinal = true): Resolved | undefined {
    const todo = splitPath(path);
    const stack: TreeNode[] = [];
    let links = 0;
    while (todo.length > 0) {
      const part = todo.shift()!;
      if (part === "..") {
        stack.pop();
        continue;
      }
      const dir = stack.length > 0 ? stack[stack.length - 1] : this.root;
      if (dir.entry.type !== "dir") return undefined;
      const child = dir.children!.get(part);
      if (!child) return undefined;
      if (child.entry.type === "symlink" && (todo.length > 0 || followFinal)) {
        if (++links > MAX_LINKS) {
          throw new InvalidArgumentError(`${path}: too many levels of symbolic links`);
        }
        const target = child.entry.linkTarget ?? "";
        if (target.startsWith("/")) stack.length = 0;
        todo.unshift(...splitPath(target));
        continue;
      }
      stack.push(child);
    }
    const node = stack.length > 0 ? stack[stack.length - 1] : this.root;
    return { node, path: node.entry.path };
  }

  /**
   * Every entry under `node` (itself first), directories before their
   * content, names in byte order; symlinks are listed, never followed.
   */
  *walk(node: TreeNode = this.root): Generator<TreeNode> {
    yield node;
    if (!node.children) return;
    for (const name of [...node.children.keys()].sort(byteOrder)) {
      yield* this.walk(node.children.get(name)!);
    }
  }
}

/** Compares strings by their UTF-8 bytes (as Go sorts names), not UTF-16 units. */
export function byteOrder(a: string, b: string): number {
  if (a === b) return 0;
  // UTF-16 order differs from UTF-8 byte order only where surrogates are involved
  if (!SURROGATE.test(a) && !SURROGATE.test(b)) return a < b ? -1 : 1;
  const ea = encoder.encode(a), eb = encoder.encode(b);
  const n = Math.min(ea.length, eb.length);
  for (let i = 0; i < n; i++) if (ea[i] !== eb[i]) return ea[i] - eb[i];
  return ea.length - eb.length;
}

const SURROGATE = /[\uD800-\uDFFF]/;
const encoder = new TextEncoder();
