/**
 * Resolving `COPY`/`ADD` sources inside the context as BuildKit does: the
 * source is cleaned as an absolute path (so `../x` and `/x` both name `x` at
 * the context root, never anything outside it), symlinks are followed inside
 * the root, and wildcards (`*`, `?`, `[...]`, `filepath.Match`) may appear
 * in any component: the components before the first wildcard are resolved,
 * the rest is matched against the paths below, without entering symlinked
 * directories. A wildcard that matches nothing copies nothing; a missing
 * plain source, or a missing directory before the wildcard, is an error.
 */
import { InvalidArgumentError, NotFoundError } from "../../errors.ts";
import { globMatch, hasWildcards, parseGlob } from "./glob.ts";
import { cleanPath, type IgnoreMatcher } from "./ignore.ts";
import { byteOrder, type ContextTree, type TreeNode } from "./tree.ts";

/** One source a `COPY`/`ADD` argument selects. */
export interface SourceMatch {
  /** The path matched, relative to the context root, before its last symlink is followed. */
  path: string;
  /** The name it is copied under (the last component of `path`; "" for the root). */
  name: string;
  /** What it resolves to (symlinks followed inside the root): a file, a directory... */
  node: TreeNode;
}

function notFound(op: string, path: string): NotFoundError {
  return new NotFoundError(
    `${op} failed: file not found in build context or excluded by .dockerignore: stat ${
      path || "."
    }: file does not exist`,
  );
}

/**
 * The sources `src` selects in the context tree, in path order. `op` names
 * the instruction in errors (`COPY` or `ADD`).
 *
 * @example
 * ```ts ignore
 * resolveSources(ctx.tree, "src/*.ts").map((m) => m.path); // ["src/a.ts", "src/b.ts"]
 * ```
 */
export function resolveSources(tree: ContextTree, src: string, op = "COPY"): SourceMatch[] {
  try {
    return resolve(tree, src, op);
  } catch (err) {
    if (err instanceof InvalidArgumentError) {
      throw new InvalidArgumentError(`${op} failed: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

function resolve(tree: ContextTree, src: string, op: string): SourceMatch[] {
  const clean = cleanPath(`/${src}`).slice(1);
  const parts = clean === "" ? [] : clean.split("/");
  const first = parts.findIndex(hasWildcards);
  if (first < 0) {
    const r = tree.lookup(clean);
    if (!r) throw notFound(op, clean);
    return [{ path: clean, name: parts[parts.length - 1] ?? "", node: r.node }];
  }
  const prefix = parts.slice(0, first).join("/");
  const base = tree.lookup(prefix);
  if (!base) throw notFound(op, prefix);
  const rest = parts.slice(first).join("/");
  const tokens = parseGlob(rest); // a malformed pattern is an error even when nothing is there
  const depth = parts.length - first;
  const out: SourceMatch[] = [];
  const visit = (node: TreeNode, rel: string[]) => {
    if (!node.children || rel.length >= depth) return;
    for (const name of [...node.children.keys()].sort(byteOrder)) {
      const child = node.children.get(name)!;
      const sub = [...rel, name];
      if (sub.length === depth && globMatch(tokens, sub.join("/"))) {
        const path = [base.path, ...sub].filter((p) => p !== "").join("/");
        const r = tree.lookup(path);
        if (!r) throw notFound(op, path); // a dangling symlink
        out.push({ path, name, node: r.node });
        continue;
      }
      if (child.entry.type === "dir") visit(child, sub);
    }
  };
  visit(base.node, []);
  return out;
}

/** One entry a source brings, with its path relative to where the source is copied to. */
export interface SelectedEntry {
  /** "" for the source itself (a file, or the directory whose content is copied). */
  rel: string;
  node: TreeNode;
}

/**
 * Everything a resolved source copies, in path order: a file itself, or a
 * directory and all it holds (symlinks inside it are copied as symlinks,
 * never followed). `exclude` (`COPY --exclude`) is matched, as BuildKit
 * matches it, against paths relative to the source, with `.dockerignore`'s
 * rules: an excluded directory is left out with what it holds, unless an
 * exception brings something inside it back.
 *
 * @example
 * ```ts ignore
 * for (const e of selectedEntries(ctx.tree, match)) console.log(e.rel, e.node.entry.type);
 * ```
 */
export function* selectedEntries(
  tree: ContextTree,
  match: SourceMatch,
  exclude?: IgnoreMatcher,
): Generator<SelectedEntry> {
  yield { rel: "", node: match.node };
  if (!exclude || exclude.empty) {
    const top = match.node.entry.path;
    for (const node of tree.walk(match.node)) {
      if (node === match.node) continue;
      const p = node.entry.path;
      yield { rel: top === "" ? p : p.slice(top.length + 1), node };
    }
    return;
  }
  // an excluded directory is listed only once something inside it is kept
  const visit = function* (node: TreeNode, rel: string): Generator<SelectedEntry, boolean> {
    let kept = false;
    for (const name of [...(node.children?.keys() ?? [])].sort(byteOrder)) {
      const child = node.children!.get(name)!;
      const sub = rel === "" ? name : `${rel}/${name}`;
      const excluded = exclude.excludes(sub);
      if (child.entry.type !== "dir") {
        if (!excluded) {
          kept = true;
          yield { rel: sub, node: child };
        }
        continue;
      }
      if (!excluded) {
        kept = true;
        yield { rel: sub, node: child };
        yield* visit(child, sub);
        continue;
      }
      if (!exclude.mayIncludeUnder(sub)) continue;
      const inner: SelectedEntry[] = [];
      const it = visit(child, sub);
      let r = it.next();
      while (!r.done) {
        inner.push(r.value);
        r = it.next();
      }
      if (inner.length > 0) {
        kept = true;
        yield { rel: sub, node: child };
        yield* inner;
      }
    }
    return kept;
  };
  yield* visit(match.node, "");
}
