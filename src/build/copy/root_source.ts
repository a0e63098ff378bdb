/**
 * `COPY --from` sources: files of another stage's or image's root file
 * system on the host, which may be hostile. Every name is resolved inside
 * that root by the kernel (openat2 RESOLVE_IN_ROOT, src/sys/resolve.ts): the
 * source path with its symlinks followed inside the root, then each entry
 * below it opened from its parent's descriptor without following a final
 * symlink, so no symlink or `..` in the root, nor one swapped in meanwhile,
 * can lead to a host file. Owners and modes are the root's own.
 */
import { InvalidArgumentError, NotFoundError, wrap } from "../../errors.ts";
import { type InRoot, O_DIRECTORY, O_PATH, openInRoot } from "../../sys/resolve.ts";
import { SysError } from "../../sys/errno.ts";
import { lgetxattr, llistxattr } from "../../sys/fs.ts";
import type { EntryType, IgnoreMatcher } from "../context/mod.ts";
import { globMatch, hasWildcards, parseGlob } from "../context/glob.ts";
import { byteOrder } from "../context/tree.ts";
import { excludedMatch, stripPivot } from "./context_source.ts";
import type { CopyEntry, SourceItem } from "./entry.ts";
import { cleanSource, parentsBase, wildcardBase } from "./source_path.ts";

/** Symlinks followed for one source path (the kernel's limit). */
const MAX_LINKS = 40;

function isMissing(err: unknown): boolean {
  return err instanceof SysError && (err.code === "ENOENT" || err.code === "ENOTDIR");
}

function notFound(op: string, path: string): NotFoundError {
  return new NotFoundError(`${op} failed: stat ${path || "."}: file does not exist`);
}

function typeOf(st: Deno.FileInfo): EntryType | undefined {
  if (st.isFile) return "file";
  if (st.isDirectory) return "dir";
  if (st.isSymlink) return "symlink";
  if (st.isFifo) return "fifo";
  if (st.isCharDevice) return "char";
  if (st.isBlockDevice) return "block";
  return undefined; // a socket is not copied
}

/**
 * The sources `src` selects in `root`: a path (symlinks followed inside
 * the root) or a pattern with wildcards in any component (matched without
 * entering symlinked directories; a match that is a symlink is followed).
 */
export function rootSources(
  root: string,
  src: string,
  op: string,
  exclude: IgnoreMatcher | undefined,
): SourceItem[] {
  const clean = cleanSource(src);
  const pivot = parentsBase(src);
  if (!hasWildcards(clean)) {
    probe(root, clean, op);
    return [rootItem(root, clean, pivot, exclude)];
  }
  const base = wildcardBase(clean);
  const rest = clean.slice(base === "" ? 0 : base.length + 1);
  const tokens = parseGlob(rest);
  const depth = rest.split("/").length;
  const found: string[] = [];
  const visit = (dir: string, rel: string[]) => {
    if (rel.length >= depth) return;
    let h: InRoot;
    try {
      h = openInRoot(root, `/${dir}`, { flags: O_PATH | O_DIRECTORY, follow: rel.length === 0 });
    } catch (err) {
      if (rel.length === 0 && isMissing(err)) throw notFound(op, dir);
      if (isMissing(err) || (err instanceof SysError && err.code === "ELOOP")) return;
      throw wrap(err, `${op} failed: ${dir || "."}`);
    }
    let names: { name: string; isDir: boolean }[];
    try {
      names = [...Deno.readDirSync(h.path)].map((e) => ({ name: e.name, isDir: e.isDirectory }))
        .sort((a, b) => byteOrder(a.name, b.name));
    } finally {
      h.close();
    }
    for (const { name, isDir } of names) {
      const sub = [...rel, name];
      const path = [dir, name].filter((p) => p !== "").join("/");
      if (sub.length === depth && globMatch(tokens, sub.join("/"))) found.push(path);
      else if (isDir) visit(path, sub);
    }
  };
  visit(base, []);
  return found
    .filter((p) => !excludedMatch(p, base, exclude))
    .map((p) => {
      probe(root, p, op); // a dangling symlink is an error, as in the context
      return rootItem(root, p, pivot, exclude);
    });
}

/** Checks that `path` exists in `root` (symlinks followed inside it). */
function probe(root: string, path: string, op: string): void {
  try {
    openInRoot(root, `/${path}`, { flags: O_PATH }).close();
  } catch (err) {
    if (isMissing(err)) throw notFound(op, path);
    throw wrap(err, `${op} failed: ${path}`);
  }
}

function rootItem(
  root: string,
  path: string,
  pivot: string,
  exclude: IgnoreMatcher | undefined,
): SourceItem {
  const top = openInRoot(root, `/${path}`, { flags: O_PATH });
  let isDir: boolean;
  try {
    isDir = Deno.statSync(top.path).isDirectory;
  } finally {
    top.close();
  }
  const parts = path.split("/").filter((p) => p !== "");
  return {
    name: parts[parts.length - 1] ?? "",
    parentsPath: stripPivot(path, pivot),
    isDir,
    entries: () => walkRoot(root, path, exclude),
  };
}

/**
 * Opens the directory holding what `path` names in `root` and the name of
 * it there, its final symlinks followed inside the root one at a time (so
 * the entry can be read by name without following anything); name "" when
 * `path` ends at a directory reference (the root, `..`).
 */
function openFinal(root: string, path: string): { dir: InRoot; name: string } {
  let cur = `/${path}`;
  for (let links = 0;; links++) {
    const trimmed = cur.replace(/\/+$/, "");
    const at = trimmed.lastIndexOf("/");
    const parent = trimmed.slice(0, at) || "/";
    const name = trimmed.slice(at + 1);
    if (name === "" || name === "." || name === "..") {
      return { dir: openInRoot(root, cur, { flags: O_PATH | O_DIRECTORY }), name: "" };
    }
    const dir = openInRoot(root, parent, { flags: O_PATH | O_DIRECTORY });
    let target: string | undefined;
    try {
      if (Deno.lstatSync(`${dir.path}/${name}`).isSymlink) {
        target = Deno.readLinkSync(`${dir.path}/${name}`);
      }
    } catch (err) {
      dir.close();
      throw err;
    }
    if (target === undefined) return { dir, name };
    dir.close();
    if (links >= MAX_LINKS) throw new SysError(40, path); // ELOOP
    cur = target.startsWith("/") ? target : `${parent}/${target}`;
  }
}

/** Extended attributes of `at` itself, but the overlay file system's own. */
function readXattrs(at: string): Record<string, Uint8Array> | undefined {
  let out: Record<string, Uint8Array> | undefined;
  for (const name of llistxattr(at)) {
    if (/^(trusted|user)\.overlay\./.test(name)) continue;
    const value = lgetxattr(at, name);
    if (value !== undefined) (out ??= {})[name] = value;
  }
  return out;
}

/** Describes the object `h` names (itself, a symlink not followed) as an entry. */
function describe(h: InRoot, rel: string, at: string | undefined): CopyEntry | undefined {
  const st = Deno.statSync(h.path);
  const type = typeOf(st);
  if (!type) return undefined;
  return {
    rel,
    type,
    mode: type === "symlink" ? 0o777 : (st.mode ?? 0) & 0o7777,
    uid: st.uid ?? 0,
    gid: st.gid ?? 0,
    size: type === "file" ? st.size : 0,
    mtimeMs: st.mtime?.getTime() ?? 0,
    rdev: st.rdev ?? 0,
    // readlink on /proc/self/fd/N names the object: the text is read by its name in the parent
    linkTarget: type === "symlink" && at ? Deno.readLinkSync(at) : undefined,
    xattrs: at ? readXattrs(at) : undefined,
  };
}

/** Hard links met in one walk: the first path of each inode. */
type Links = Map<string, string>;

/**
 * Every entry under `path` in `root` (itself first, followed inside the
 * root), in path order; what is below is opened from its parent's handle.
 * A file met again through another hard link is a `linkTo` entry.
 */
export async function* walkRoot(
  root: string,
  path: string,
  exclude?: IgnoreMatcher,
): AsyncGenerator<CopyEntry> {
  const { dir, name } = openFinal(root, path);
  try {
    const top = name === "" ? dir : openInRoot(dir.path, name, { flags: O_PATH, follow: false });
    try {
      yield* walkHandle(
        top,
        "",
        exclude,
        name === "" ? undefined : `${dir.path}/${name}`,
        new Map(),
      );
    } finally {
      if (top !== dir) top.close();
    }
  } finally {
    dir.close();
  }
}

async function* walkHandle(
  h: InRoot,
  rel: string,
  exclude: IgnoreMatcher | undefined,
  at: string | undefined,
  links: Links,
): AsyncGenerator<CopyEntry> {
  const e = describe(h, rel, at);
  if (!e) return;
  if (e.type === "file") {
    const st = Deno.statSync(h.path);
    if ((st.nlink ?? 1) > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = links.get(key);
      if (first !== undefined) {
        yield { ...e, linkTo: first, xattrs: undefined };
        return;
      }
      links.set(key, rel);
    }
  }
  let file: Deno.FsFile | undefined;
  if (e.type === "file") {
    e.open = async () => {
      try {
        file?.close();
      } catch {
        // closed at the stream's end
      }
      // the handle pins the inode checked above: a swap meanwhile changes nothing
      file = await Deno.open(h.path, { read: true });
      return file;
    };
  }
  try {
    yield e;
  } finally {
    try {
      file?.close();
    } catch {
      // closed at the stream's end
    }
  }
  if (e.type !== "dir") return;
  const names = [...Deno.readDirSync(h.path)].map((d) => d.name).sort(byteOrder);
  for (const name of names) {
    const sub = rel === "" ? name : `${rel}/${name}`;
    if (exclude && !exclude.empty && exclude.excludes(sub)) {
      // an excluded directory is entered only when an exception may bring back what it holds
      if (!exclude.mayIncludeUnder(sub)) continue;
      const child = openChild(h, name);
      if (!child) continue;
      try {
        const it = walkHandle(child, sub, exclude, `${h.path}/${name}`, links);
        const first = await it.next();
        if (first.done || first.value.type !== "dir") {
          await it.return(undefined);
          continue;
        }
        // buffer the directory until something inside it is kept
        const dirEntry = first.value;
        let kept = false;
        for await (const x of it) {
          if (!kept) {
            kept = true;
            yield dirEntry;
          }
          yield x;
        }
      } finally {
        child.close();
      }
      continue;
    }
    const child = openChild(h, name);
    if (!child) continue;
    try {
      yield* walkHandle(child, sub, exclude, `${h.path}/${name}`, links);
    } finally {
      child.close();
    }
  }
}

/** Opens `name` in the directory `h` itself (a symlink not followed); undefined when gone. */
function openChild(h: InRoot, name: string): InRoot | undefined {
  try {
    return openInRoot(h.path, name, { flags: O_PATH, follow: false });
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw new InvalidArgumentError(`cannot read ${name}: ${(err as Error).message}`);
  }
}
