/**
 * Tar writing for `export`, `save` and `commit`: a deterministic, streaming
 * tar of a directory tree (PAX where ustar is not enough: long names, large
 * ids or sizes, xattrs as `SCHILY.xattr.*`), and small in-memory archives.
 *
 * The encoder is our own (a few dozen lines) rather than tar-stream's pack,
 * because tar-stream writes PAX values as UTF-8 text and so mangles binary
 * xattr values such as `security.capability`; it also keeps the CommonJS
 * module out of `export` and `save`.
 */
import { lgetxattr, llistxattr } from "../sys/fs.ts";
import { type InRoot, O_DIRECTORY, O_PATH, openInRoot } from "../sys/resolve.ts";
import { wrap } from "../errors.ts";

/** Entry types the writer produces. */
export type TarType = "file" | "link" | "symlink" | "char" | "block" | "dir" | "fifo";

/** One tar header, as the writer takes it. */
export interface TarHeader {
  /** Path inside the archive (directories get a trailing `/` added). */
  name: string;
  type: TarType;
  /** Permission bits including setuid, setgid and sticky (`0o7777`). */
  mode: number;
  uid?: number;
  gid?: number;
  /** Data size in bytes; only for `file`. */
  size?: number;
  /** Modification time in seconds since the epoch (truncated to whole seconds). */
  mtime?: number;
  /** Target of a symlink or hard link. */
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Extended attributes, written as PAX `SCHILY.xattr.<name>` records. */
  xattrs?: Record<string, Uint8Array>;
}

const encoder = new TextEncoder();
const TYPEFLAG: Record<TarType, string> = {
  file: "0",
  link: "1",
  symlink: "2",
  char: "3",
  block: "4",
  dir: "5",
  fifo: "6",
};
const MAX_OCTAL7 = 0o7777777;
const MAX_OCTAL11 = 0o77777777777;

/** End-of-archive marker: two zero blocks. */
const TRAILER = new Uint8Array(1024);

function writeString(buf: Uint8Array, off: number, len: number, s: string | Uint8Array): void {
  const bytes = typeof s === "string" ? encoder.encode(s) : s;
  buf.set(bytes.subarray(0, len), off);
}

function writeOctal(buf: Uint8Array, off: number, len: number, n: number): void {
  // len includes the terminating NUL.
  writeString(buf, off, len - 1, Math.trunc(n).toString(8).padStart(len - 1, "0"));
}

/** Splits a name into ustar (prefix, name), or undefined when it does not fit. */
function splitUstar(name: Uint8Array): [Uint8Array, Uint8Array] | undefined {
  if (name.length <= 100) return [new Uint8Array(0), name];
  if (name.length > 256) return undefined;
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== 0x2f) continue;
    if (i <= 155 && name.length - i - 1 <= 100 && name.length - i - 1 > 0) {
      return [name.subarray(0, i), name.subarray(i + 1)];
    }
  }
  return undefined;
}

function paxRecord(key: string, value: Uint8Array): Uint8Array {
  const body = encoder.encode(` ${key}=`);
  const rest = body.length + value.length + 1;
  let len = rest + String(rest).length;
  if (String(len).length !== String(rest).length) len = rest + String(len).length;
  const out = new Uint8Array(len);
  const prefix = encoder.encode(String(len));
  out.set(prefix);
  out.set(body, prefix.length);
  out.set(value, prefix.length + body.length);
  out[len - 1] = 0x0a;
  return out;
}

function ustarBlock(h: TarHeader, name: Uint8Array, link: Uint8Array, typeflag: string) {
  const block = new Uint8Array(512);
  const split = splitUstar(name) ?? [new Uint8Array(0), name.subarray(0, 100)];
  writeString(block, 0, 100, split[1]);
  writeOctal(block, 100, 8, h.mode & 0o7777);
  writeOctal(block, 108, 8, Math.min(h.uid ?? 0, MAX_OCTAL7));
  writeOctal(block, 116, 8, Math.min(h.gid ?? 0, MAX_OCTAL7));
  writeOctal(block, 124, 12, Math.min(h.size ?? 0, MAX_OCTAL11));
  writeOctal(block, 136, 12, Math.max(0, Math.min(Math.floor(h.mtime ?? 0), MAX_OCTAL11)));
  block.fill(0x20, 148, 156);
  writeString(block, 156, 1, typeflag);
  writeString(block, 157, 100, link);
  writeString(block, 257, 8, "ustar\x0000");
  writeOctal(block, 329, 8, h.devmajor ?? 0);
  writeOctal(block, 337, 8, h.devminor ?? 0);
  writeString(block, 345, 155, split[0]);
  let sum = 0;
  for (const b of block) sum += b;
  writeString(block, 148, 7, sum.toString(8).padStart(6, "0") + "\0");
  return block;
}

function padding(size: number): Uint8Array {
  const rem = size % 512;
  return new Uint8Array(rem === 0 ? 0 : 512 - rem);
}

/**
 * Encodes the header blocks for one entry (a PAX extended header first when
 * needed). The entry's data and its padding (see `tarPadding`) follow.
 *
 * @example
 * ```ts
 * const blocks = encodeTarHeader({ name: "etc/hostname", type: "file", mode: 0o644, size: 5 });
 * ```
 */
export function encodeTarHeader(h: TarHeader): Uint8Array {
  let nameStr = h.name;
  if (h.type === "dir" && !nameStr.endsWith("/")) nameStr += "/";
  const name = encoder.encode(nameStr);
  const link = encoder.encode(h.linkname ?? "");
  const records: Uint8Array[] = [];
  if (!splitUstar(name)) records.push(paxRecord("path", name));
  if (link.length > 100) records.push(paxRecord("linkpath", link));
  if ((h.size ?? 0) > MAX_OCTAL11) records.push(paxRecord("size", encoder.encode(`${h.size}`)));
  if ((h.uid ?? 0) > MAX_OCTAL7) records.push(paxRecord("uid", encoder.encode(`${h.uid}`)));
  if ((h.gid ?? 0) > MAX_OCTAL7) records.push(paxRecord("gid", encoder.encode(`${h.gid}`)));
  for (const key of Object.keys(h.xattrs ?? {}).sort()) {
    records.push(paxRecord(`SCHILY.xattr.${key}`, h.xattrs![key]));
  }
  const main = ustarBlock(h, name, link, TYPEFLAG[h.type]);
  if (records.length === 0) return main;
  let paxSize = 0;
  for (const r of records) paxSize += r.length;
  const paxName = `PaxHeaders/${nameStr.replace(/\/$/, "").split("/").pop()}`.slice(0, 100);
  const paxHeader = ustarBlock(
    { name: paxName, type: "file", mode: 0o644, size: paxSize, mtime: h.mtime },
    encoder.encode(paxName),
    new Uint8Array(0),
    "x",
  );
  const out = new Uint8Array(512 + paxSize + padding(paxSize).length + 512);
  out.set(paxHeader, 0);
  let off = 512;
  for (const r of records) {
    out.set(r, off);
    off += r.length;
  }
  out.set(main, out.length - 512);
  return out;
}

/**
 * Zero bytes that pad `size` bytes of entry data to a whole 512-byte block.
 *
 * @example
 * ```ts
 * tarPadding(5).length; // 507
 * ```
 */
export function tarPadding(size: number): Uint8Array {
  return padding(size);
}

/** Options for `writeTar`. */
export interface WriteTarOptions {
  /** Directory prefix for every name in the archive, e.g. `"rootfs"`. */
  prefix?: string;
  /** Relative paths to leave out, each with everything below it (e.g. `"proc"`, `"etc/hosts"`). */
  excludes?: string[];
  /** Write the extended attributes of each entry (default true). */
  xattrs?: boolean;
  /**
   * Rewrites each entry before it is written: return the headers to write
   * instead (zero, one or more), or undefined to keep it. A returned `file`
   * header with the original name keeps the file's data. Used by
   * `diffLayerTar` to turn overlay whiteouts into OCI ones. `at` names the
   * entry itself (`/proc/self/fd/N/name`) for calls that do not follow a
   * final symlink, such as `lgetxattr`, during the call.
   */
  transform?: (
    header: TarHeader,
    path: string,
    info: Deno.FileInfo,
    at: string,
  ) => TarHeader[] | undefined;
}

/**
 * Splits a Linux `st_rdev` into (major, minor).
 *
 * @example
 * ```ts
 * splitDev(Deno.lstatSync("/dev/null").rdev!); // [1, 3]
 * ```
 */
export function splitDev(rdev: number): [number, number] {
  const dev = BigInt(rdev);
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
  return [major, minor];
}

/**
 * Reads all extended attributes of `path` (not following a final symlink).
 *
 * @example
 * ```ts ignore
 * readXattrs("/usr/bin/ping"); // { "security.capability": Uint8Array(20) }
 * ```
 */
export function readXattrs(path: string): Record<string, Uint8Array> | undefined {
  const names = llistxattr(path);
  if (names.length === 0) return undefined;
  const out: Record<string, Uint8Array> = {};
  for (const n of names) {
    const v = lgetxattr(path, n);
    if (v !== undefined) out[n] = v;
  }
  return out;
}

/** What {@link tarHeaderFor} reads of a file's facts: Deno's `FileInfo` or the host seam's. */
export interface TarSourceInfo {
  isFile: boolean;
  isDirectory: boolean;
  isSymlink: boolean;
  isFifo?: boolean | null;
  isCharDevice?: boolean | null;
  isBlockDevice?: boolean | null;
  size?: number;
  mode?: number | null;
  uid?: number | null;
  gid?: number | null;
  rdev?: number | null;
  mtime?: Date | null;
  mtimeMs?: number;
}

/**
 * The tar header describing a file from its lstat information; undefined for
 * sockets and unknown types (left out, as docker does). `linkname` is the
 * target of a symlink.
 *
 * @example
 * ```ts ignore
 * tarHeaderFor("etc/passwd", await Deno.lstat(path));
 * ```
 */
export function tarHeaderFor(
  name: string,
  info: TarSourceInfo,
  linkname?: string,
): TarHeader | undefined {
  const base = {
    name,
    mode: (info.mode ?? 0o644) & 0o7777,
    uid: info.uid ?? 0,
    gid: info.gid ?? 0,
    mtime: Math.floor((info.mtimeMs ?? info.mtime?.getTime() ?? 0) / 1000),
  };
  if (info.isDirectory) return { ...base, type: "dir" };
  if (info.isFile) return { ...base, type: "file", size: info.size };
  if (info.isSymlink) return { ...base, type: "symlink", linkname };
  if (info.isFifo) return { ...base, type: "fifo" };
  if (info.isCharDevice || info.isBlockDevice) {
    const [devmajor, devminor] = splitDev(info.rdev ?? 0);
    return { ...base, type: info.isCharDevice ? "char" : "block", devmajor, devminor };
  }
  return undefined;
}

/**
 * Reads exactly `size` bytes of an open file as tar data: padded with zeros if
 * the file shrank since its header was written, cut if it grew.
 *
 * @example
 * ```ts ignore
 * for await (const chunk of sizedChunks(file, header.size)) yield chunk;
 * ```
 */
export async function* sizedChunks(
  file: { read(p: Uint8Array): Promise<number | null> },
  size: number,
): AsyncGenerator<Uint8Array> {
  let left = size;
  const buf = new Uint8Array(Math.min(Math.max(size, 1), 1 << 20));
  while (left > 0) {
    const n = await file.read(buf.subarray(0, Math.min(buf.length, left)));
    if (n === null) break;
    left -= n;
    yield buf.slice(0, n);
  }
  if (left > 0) yield new Uint8Array(left);
}

/**
 * Streams a regular file's data: `name` is opened from its directory `dir`
 * without following a symlink, and checked to be a regular file before it is
 * read, so an entry swapped for a symlink or a FIFO since it was listed is
 * never followed or waited on.
 */
async function* copyFile(dir: string, name: string, size: number): AsyncGenerator<Uint8Array> {
  const h = openInRoot(dir, name, { flags: O_PATH, follow: false });
  try {
    if (!(await Deno.stat(h.path)).isFile) {
      throw new Deno.errors.InvalidData(`${name} is no longer a regular file`);
    }
    const file = await Deno.open(h.path, { read: true });
    try {
      yield* sizedChunks(file, size);
    } finally {
      file.close();
    }
  } finally {
    h.close();
  }
}

/** One entry of the walk: `at` (`dir/name`) names the object itself while it is current. */
interface WalkEntry {
  rel: string;
  info: Deno.FileInfo;
  dir: string;
  name: string;
  at: string;
}

/**
 * Walks the tree below the open directory `dir`: each subdirectory is opened
 * from its parent's descriptor with no symlink followed (openat2
 * RESOLVE_IN_ROOT, O_NOFOLLOW), so a directory swapped for a symlink while
 * the tree is read (a running container) fails the walk instead of leading
 * it out of the tree.
 */
async function* walk(
  rootDir: string,
  dir: InRoot,
  rel: string,
  excludes: Set<string>,
): AsyncGenerator<WalkEntry> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir.path)) names.push(e.name);
  names.sort(byteOrder);
  for (const n of names) {
    const childRel = rel === "" ? n : `${rel}/${n}`;
    if (excludes.has(childRel)) continue;
    const at = `${dir.path}/${n}`;
    const info = await Deno.lstat(at);
    yield { rel: childRel, info, dir: dir.path, name: n, at };
    if (!info.isDirectory) continue;
    let child: InRoot;
    try {
      child = openInRoot(dir.path, n, { flags: O_PATH | O_DIRECTORY, follow: false });
    } catch (err) {
      throw wrap(err, `Cannot archive ${rootDir}/${childRel}`);
    }
    try {
      yield* walk(rootDir, child, childRel, excludes);
    } finally {
      child.close();
    }
  }
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Streams a tar of the tree under `rootDir` (not including `rootDir` itself),
 * every entry reached from its directory's descriptor with no symlink
 * followed, so that a tree changed while it is read (a running container's)
 * cannot lead the archive to files outside it:
 * files, directories, symlinks, hard links (a second path to the same inode
 * becomes a link entry), devices, FIFOs, owners, modes, whole-second mtimes
 * and xattrs, in sorted, deterministic order. Sockets are skipped. The walk is
 * lazy, so the consumer's pace drives the disk reads.
 *
 * @example
 * ```ts ignore
 * const out = await Deno.create("rootfs.tar");
 * await writeTar("/var/lib/skiff/containers/abc/merged", { excludes: ["proc"] })
 *   .pipeTo(out.writable);
 * ```
 */
export function writeTar(rootDir: string, opts: WriteTarOptions = {}): ReadableStream<Uint8Array> {
  const prefix = (opts.prefix ?? "").replace(/^\/+|\/+$/g, "");
  const excludes = new Set((opts.excludes ?? []).map((e) => e.replace(/^\/+|\/+$/g, "")));
  const withXattrs = opts.xattrs ?? true;
  async function* generate(): AsyncGenerator<Uint8Array> {
    const inodes = new Map<string, string>();
    const top = openInRoot(rootDir, "/", { flags: O_PATH | O_DIRECTORY });
    try {
      yield* entries(top);
    } finally {
      top.close();
    }
    yield TRAILER;

    async function* entries(top: InRoot): AsyncGenerator<Uint8Array> {
      for await (const { rel, info, dir, name: base, at } of walk(rootDir, top, "", excludes)) {
        const full = `${rootDir}/${rel}`;
        const name = prefix === "" ? rel : `${prefix}/${rel}`;
        let header: TarHeader | undefined;
        try {
          header = tarHeaderFor(name, info, info.isSymlink ? Deno.readLinkSync(at) : undefined);
          if (!header) continue;
          if (header.type !== "dir" && (info.nlink ?? 1) > 1) {
            const key = `${info.dev}:${info.ino}`;
            const first = inodes.get(key);
            if (first !== undefined) {
              header = { ...header, type: "link", linkname: first, size: 0 };
            } else inodes.set(key, name);
          }
          if (withXattrs && header.type !== "link") header.xattrs = readXattrs(at);
        } catch (err) {
          throw wrap(err, `Cannot archive ${full}`);
        }
        const headers = opts.transform?.(header, rel, info, at) ?? [header];
        for (const h of headers) {
          const hasData = h.type === "file" && h.name === header.name && header.type === "file";
          const size = hasData ? h.size ?? 0 : 0;
          yield encodeTarHeader(hasData ? h : { ...h, size: h.type === "file" ? 0 : h.size });
          if (size > 0) {
            try {
              yield* copyFile(dir, base, size);
            } catch (err) {
              throw wrap(err, `Cannot archive ${full}`);
            }
            yield padding(size);
          }
        }
      }
    }
  }
  return ReadableStream.from(generate());
}

/** One entry of a small archive built by `writeTarEntries`. */
export interface TarEntry {
  /** Path inside the archive. */
  name: string;
  /** The data, for small entries. */
  data?: Uint8Array | string;
  /** The data as a stream, for large entries (`size` is then required). */
  stream?: ReadableStream<Uint8Array>;
  /** Size in bytes; taken from `data` when omitted. */
  size?: number;
  /** Permission bits (default 0o644, or 0o755 for directories). */
  mode?: number;
  /** Seconds since the epoch (default 0, for reproducible archives). */
  mtime?: number;
  /** `file` (default), `dir` or `symlink` (with `linkname`). */
  type?: "file" | "dir" | "symlink";
  linkname?: string;
}

/**
 * Streams a tar made of the given entries, in the given order (for `save`:
 * `oci-layout`, `index.json`, `manifest.json`, `blobs/sha256/...`). A stream
 * entry that yields a different number of bytes than `size` fails the archive.
 *
 * @example
 * ```ts ignore
 * const tar = writeTarEntries([
 *   { name: "blobs/sha256", type: "dir" },
 *   { name: "index.json", data: JSON.stringify(index) },
 *   { name: `blobs/sha256/${hex}`, stream: blob.readable, size: blobSize },
 * ]);
 * ```
 */
export function writeTarEntries(
  entries: Iterable<TarEntry> | AsyncIterable<TarEntry>,
): ReadableStream<Uint8Array> {
  async function* generate(): AsyncGenerator<Uint8Array> {
    for await (const e of entries) {
      const type = e.type ?? "file";
      const data = typeof e.data === "string" ? encoder.encode(e.data) : e.data;
      const size = type === "file" ? e.size ?? data?.length ?? 0 : 0;
      if (type === "file" && e.stream === undefined && (data?.length ?? 0) !== size) {
        throw new Error(`Tar entry ${e.name}: size ${size} does not match ${data?.length} bytes`);
      }
      yield encodeTarHeader({
        name: e.name,
        type,
        mode: e.mode ?? (type === "dir" ? 0o755 : 0o644),
        size,
        mtime: e.mtime ?? 0,
        linkname: e.linkname,
      });
      if (type !== "file") continue;
      if (e.stream) {
        let n = 0;
        for await (const chunk of e.stream) {
          n += chunk.length;
          if (n > size) break;
          yield chunk;
        }
        if (n !== size) {
          throw new Error(`Tar entry ${e.name}: expected ${size} bytes, the stream gave ${n}`);
        }
      } else if (data && data.length > 0) yield data;
      yield padding(size);
    }
    yield TRAILER;
  }
  return ReadableStream.from(generate());
}
