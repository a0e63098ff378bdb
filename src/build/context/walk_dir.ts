/**
 * Walking a context directory into a tree: every directory is opened from
 * its parent's descriptor inside the context root without following a final
 * symlink (openat2 RESOLVE_IN_ROOT, src/sys/resolve.ts), every entry is
 * lstat'ed, never followed. Symlinks are recorded as symlinks; sockets are
 * left out, as docker leaves them out. Ignored entries are never recorded and
 * an ignored directory is not even entered unless an exception may bring
 * back something inside it.
 */
import { wrap } from "../../errors.ts";
import { type InRoot, O_DIRECTORY, O_PATH, openInRoot } from "../../sys/resolve.ts";
import type { IgnoreMatcher } from "./ignore.ts";
import { byteOrder, type ContextEntry, ContextTree, type EntryType } from "./tree.ts";

/** The entry a `Deno.FileInfo` describes, or undefined for a socket. */
export function entryFromStat(path: string, st: Deno.FileInfo): ContextEntry | undefined {
  let type: EntryType;
  if (st.isFile) type = "file";
  else if (st.isDirectory) type = "dir";
  else if (st.isSymlink) type = "symlink";
  else if (st.isFifo) type = "fifo";
  else if (st.isCharDevice) type = "char";
  else if (st.isBlockDevice) type = "block";
  else return undefined;
  return {
    path,
    type,
    mode: (st.mode ?? 0) & 0o7777,
    uid: st.uid ?? 0,
    gid: st.gid ?? 0,
    size: type === "file" ? st.size : 0,
    mtimeMs: st.mtime?.getTime() ?? 0,
    ...(type === "file" ? fileStamp(st) : {}),
  };
}

/** Times closer to now than this are not trusted to tell two versions of a file apart. */
const STAMP_SETTLE_MS = 2000;

/** A file's stamp (see ContextEntry.stamp), when its times are settled. */
function fileStamp(st: Deno.FileInfo): { stamp?: string } {
  const m = st.mtime?.getTime(), c = st.ctime?.getTime();
  if (m === undefined || c === undefined || st.ino === null || st.dev === undefined) return {};
  if (Date.now() - Math.max(m, c) < STAMP_SETTLE_MS) return {};
  return { stamp: `${st.dev}:${st.ino}:${st.size}:${m}:${c}` };
}

/**
 * Walks the directory `root` (an open handle of the context root) into a
 * tree, leaving out what `matcher` excludes.
 *
 * @example
 * ```ts ignore
 * const root = openInRoot("/src/app", "/", { flags: O_PATH | O_DIRECTORY });
 * const tree = await walkDirectory(root, new IgnoreMatcher(["node_modules"]));
 * ```
 */
export async function walkDirectory(root: InRoot, matcher: IgnoreMatcher): Promise<ContextTree> {
  const tree = new ContextTree();
  const top = entryFromStat("", Deno.statSync(root.path));
  if (top) tree.put(top);

  const walk = async (dir: InRoot, rel: string): Promise<void> => {
    const names: string[] = [];
    try {
      for (const e of Deno.readDirSync(dir.path)) names.push(e.name);
    } catch (err) {
      throw wrap(err, `walk the build context at "${rel || "."}"`);
    }
    names.sort(byteOrder);
    for (const name of names) {
      const path = rel === "" ? name : `${rel}/${name}`;
      let st: Deno.FileInfo;
      try {
        st = Deno.lstatSync(`${dir.path}/${name}`);
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) continue; // removed while walking
        throw wrap(err, `walk the build context at "${path}"`);
      }
      const entry = entryFromStat(path, st);
      if (!entry) continue;
      if (entry.type === "symlink") entry.linkTarget = Deno.readLinkSync(`${dir.path}/${name}`);
      const excluded = matcher.excludes(path);
      if (entry.type !== "dir") {
        if (!excluded) {
          tree.put(entry, entry.type === "file" ? { kind: "context", path } : undefined);
        }
        continue;
      }
      if (excluded && !matcher.mayIncludeUnder(path)) continue;
      const node = tree.put(entry);
      let sub: InRoot;
      try {
        sub = openInRoot(dir.path, name, { flags: O_PATH | O_DIRECTORY, follow: false });
      } catch (err) {
        throw wrap(err, `walk the build context at "${path}"`);
      }
      try {
        await walk(sub, path);
      } finally {
        sub.close();
      }
      // an excluded directory stays only as the parent of something brought back
      if (excluded && node.children!.size === 0) tree.remove(path);
    }
  };
  await walk(root, "");
  return tree;
}
