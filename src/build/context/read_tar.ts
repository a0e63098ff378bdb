/**
 * Reading a context given as a tar archive (a file or standard input,
 * plain, gzip or zstd) into a tree. Nothing named in the archive is ever
 * created on the host: each regular file's content is spooled to a numbered
 * file in a private scratch directory and the names live only in the tree.
 * Entries that would leave the context are refused, as docker's extraction
 * refuses them: a name climbing out with `..`, an entry beneath a symlink
 * (the symlink-then-file trick) or beneath a file, a hard link to anything
 * but an earlier regular file of the archive.
 */
import { InvalidArgumentError, wrap } from "../../errors.ts";
import { decompressStream } from "../../image/decompress.ts";
import { feedExtract } from "../../image/tar_feed.ts";
import { cleanPath } from "./ignore.ts";
import { type ContextEntry, ContextTree, type EntryType, splitPath } from "./tree.ts";

// deno-lint-ignore no-explicit-any
type TarModule = any;

/** Whether a block of 512 bytes is a tar header (ustar magic, or a v7 header whose checksum holds). */
export function isTarHeader(block: Uint8Array): boolean {
  if (block.length < 512) return false;
  const magic = new TextDecoder().decode(block.subarray(257, 262));
  if (magic === "ustar") return true;
  if (block.every((b) => b === 0)) return true; // the end of an archive: an empty one
  const stored = parseInt(
    new TextDecoder().decode(block.subarray(148, 156)).replace(/\0.*$/, ""),
    8,
  );
  if (Number.isNaN(stored)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i];
  return sum === stored && block[0] !== 0;
}

function refuse(name: string, why: string): InvalidArgumentError {
  return new InvalidArgumentError(`build context archive: entry "${name}" ${why}`);
}

/** The cleaned path of an entry inside the context, refusing one that climbs out. */
function entryPath(name: string): string {
  const clean = cleanPath(`${name}`.replace(/^\/+/, ""));
  if (clean === ".") return "";
  if (clean === ".." || clean.startsWith("../")) throw refuse(name, "is outside the context");
  return clean;
}

const TYPES: Record<string, EntryType> = {
  "file": "file",
  "contiguous-file": "file",
  "directory": "dir",
  "symlink": "symlink",
  "character-device": "char",
  "block-device": "block",
  "fifo": "fifo",
};

/**
 * Reads a (possibly compressed) tar stream into a tree, spooling file
 * content into `blobDir` (an existing private directory). A malformed or
 * hostile archive is an InvalidArgumentError naming the entry.
 *
 * @example
 * ```ts ignore
 * const file = await Deno.open("context.tar");
 * const tree = await readTarContext(file.readable, scratch);
 * ```
 */
export async function readTarContext(
  input: ReadableStream<Uint8Array>,
  blobDir: string,
): Promise<ContextTree> {
  const tar: TarModule = (await import("tar-stream")).default;
  const tree = new ContextTree();
  const extract = tar.extract();
  const feed = feedExtract(await decompressStream(input), extract);
  let n = 0;
  let current = "";
  try {
    for await (const entry of extract) {
      const h = entry.header;
      current = h.name;
      const path = entryPath(h.name);
      const base: Omit<ContextEntry, "type" | "path"> = {
        mode: (h.mode ?? 0o644) & 0o7777,
        uid: h.uid ?? 0,
        gid: h.gid ?? 0,
        size: 0,
        mtimeMs: h.mtime instanceof Date ? h.mtime.getTime() : 0,
      };
      if (h.type === "link") {
        entry.resume();
        const linkname = h.linkname ?? "";
        let target;
        try {
          target = tree.get(entryPath(linkname));
        } catch {
          throw refuse(h.name, `is a hard link to "${linkname}", outside the context`);
        }
        if (!target || target.entry.type !== "file") {
          throw refuse(h.name, `is a hard link to "${h.linkname}", not a file of the archive`);
        }
        ensureParents(tree, path, h.name);
        tree.put({ ...target.entry, path, mtimeMs: base.mtimeMs }, target.content);
        continue;
      }
      const type = TYPES[h.type];
      if (!type) {
        entry.resume(); // PAX globals and other metadata entries carry no file
        continue;
      }
      if (path === "") {
        entry.resume();
        if (type === "dir") tree.put({ ...base, path, type });
        continue;
      }
      ensureParents(tree, path, h.name);
      if (type !== "file") {
        entry.resume();
        tree.put({
          ...base,
          path,
          type,
          linkTarget: type === "symlink" ? h.linkname ?? "" : undefined,
        });
        continue;
      }
      const blob = `${blobDir}/${n++}`;
      const out = await Deno.open(blob, { write: true, createNew: true, mode: 0o600 });
      let size = 0;
      try {
        for await (const chunk of entry as AsyncIterable<Uint8Array>) {
          size += chunk.length;
          for (let off = 0; off < chunk.length;) off += await out.write(chunk.subarray(off));
        }
      } finally {
        out.close();
      }
      tree.put({ ...base, path, type, size }, { kind: "blob", path: blob });
    }
    await feed.done;
  } catch (err) {
    await feed.stop();
    if (err instanceof InvalidArgumentError) throw err;
    const where = current ? `build context archive: entry "${current}"` : "build context archive";
    // the system's errors (spooling the content) keep their kind; the rest is a bad archive
    if (Object.values(Deno.errors).some((kind) => err instanceof kind)) throw wrap(err, where);
    const msg = err instanceof Error ? err.message : String(err);
    throw new InvalidArgumentError(`${where}: ${msg.split("\n")[0]}`, { cause: err });
  }
  return tree;
}

/**
 * Creates the missing parent directories of `path` (an archive may leave
 * them out) and refuses an entry whose parent is a symlink or not a directory.
 */
function ensureParents(tree: ContextTree, path: string, name: string): void {
  const parts = splitPath(path);
  parts.pop();
  let node = tree.root;
  for (let i = 0; i < parts.length; i++) {
    const next = node.children!.get(parts[i]);
    const sub = parts.slice(0, i + 1).join("/");
    if (!next) {
      node = tree.put({ path: sub, type: "dir", mode: 0o755, uid: 0, gid: 0, size: 0, mtimeMs: 0 });
      continue;
    }
    if (next.entry.type === "symlink") throw refuse(name, `is beneath the symlink "${sub}"`);
    if (next.entry.type !== "dir") {
      throw refuse(name, `is beneath "${sub}", which is not a directory`);
    }
    node = next;
  }
}
