/**
 * Streaming extraction of one (decompressed) layer tar into a directory, the
 * way an overlay lower directory must look: OCI whiteouts become overlay
 * whiteouts (char device 0:0) and opaque directories (`trusted.overlay.opaque`).
 *
 * Safety, as in moby's pkg/archive and umoci: every path is resolved by
 * walking its components under `dest` with lstat, never following a symlink;
 * `..` that leaves the root, hard links out of the root and any entry whose
 * parent is a symlink refuse the whole layer. Leading `/` is stripped (`/a`
 * is `a`), as docker does.
 */
import { InvalidArgumentError, wrap } from "../errors.ts";
import { SysError } from "../sys/errno.ts";
import { lchown, lsetxattr, lutimes, mknod } from "../sys/fs.ts";

/** Options for `unpackLayer`. */
export interface UnpackOptions {
  /** Apply the owners in the headers (default: when running as root). */
  chown?: boolean;
  /** Maps the uid and gid in a header to host ids (rootless id maps). */
  mapIds?: (uid: number, gid: number) => [number, number];
  /**
   * Namespace of the overlay xattrs written for opaque directories:
   * `trusted.` (default as root) or `user.` (rootless overlay with `userxattr`).
   */
  overlayXattrPrefix?: "trusted." | "user.";
}

/** What `unpackLayer` read. */
export interface UnpackResult {
  /** Uncompressed size of the layer tar in bytes. */
  size: number;
  /** `sha256:<hex>` of the uncompressed tar: the layer's diff ID. */
  diffId: string;
}

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;
const WH_PREFIX = ".wh.";
const WH_OPAQUE = ".wh..wh..opq";

// deno-lint-ignore no-explicit-any
type TarModule = any;
let tarModule: Promise<TarModule> | undefined;

/**
 * Loads tar-stream once and makes its PAX decoder binary-safe: tar-stream
 * decodes every PAX value as UTF-8, which destroys binary xattr values
 * (`security.capability`). Values of `SCHILY.xattr.*` keys are kept as
 * latin1 strings instead (one char per byte) and turned back into bytes here.
 */
function loadTar(): Promise<TarModule> {
  tarModule ??= (async () => {
    const [tar, headers] = await Promise.all([
      import("tar-stream"),
      import("tar-stream/headers.js"),
    ]);
    const h = headers.default as { decodePax: (buf: Uint8Array) => Record<string, string> };
    h.decodePax = decodePaxBinary;
    return tar.default;
  })();
  return tarModule;
}

const utf8 = new TextDecoder();

function decodePaxBinary(buf: Uint8Array): Record<string, string> {
  const result: Record<string, string> = {};
  while (buf.length > 0) {
    let i = 0;
    while (i < buf.length && buf[i] !== 0x20) i++;
    const len = parseInt(utf8.decode(buf.subarray(0, i)), 10);
    if (!len || len > buf.length) return result;
    const record = buf.subarray(i + 1, len - 1);
    const eq = record.indexOf(0x3d);
    if (eq === -1) return result;
    const key = utf8.decode(record.subarray(0, eq));
    const value = record.subarray(eq + 1);
    result[key] = key.startsWith("SCHILY.xattr.") ? latin1(value) : utf8.decode(value);
    buf = buf.subarray(len);
  }
  return result;
}

function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return s;
}

function fromLatin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/**
 * Normalises a tar entry name into path components under the root: strips
 * leading `/` and `./`, drops `.` and empty components, applies `..`, and
 * throws when `..` would leave the root.
 *
 * @example
 * ```ts
 * cleanEntryPath("/./usr//bin/../lib/"); // ["usr", "lib"]
 * ```
 */
export function cleanEntryPath(name: string): string[] {
  const out: string[] = [];
  for (const part of name.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length === 0) {
        throw new InvalidArgumentError(`Layer entry "${name}" escapes the layer root`);
      }
      out.pop();
      continue;
    }
    out.push(part);
  }
  return out;
}

function errnoOf(err: unknown): string | undefined {
  if (err instanceof SysError) return err.code;
  if (err instanceof Deno.errors.NotFound) return "ENOENT";
  if (err instanceof Deno.errors.AlreadyExists) return "EEXIST";
  return (err as { code?: string })?.code;
}

/** Runs `make`; false when it failed because the path exists, other errors are thrown. */
function tryCreate(make: () => void): boolean {
  try {
    make();
    return true;
  } catch (err) {
    if (errnoOf(err) === "EEXIST") return false;
    throw err;
  }
}

function lstatOrUndefined(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/** Extraction state for one layer. */
class Extractor {
  /** Directories known to be real directories under dest (relative paths). */
  private dirs = new Set<string>([""]);
  /** Directory mtimes, applied once every entry is in place. */
  private dirTimes = new Map<string, number>();
  private chown: boolean;
  private opaqueXattr: string;

  constructor(private dest: string, private opts: UnpackOptions) {
    this.chown = opts.chown ?? Deno.uid() === 0;
    this.opaqueXattr = `${opts.overlayXattrPrefix ?? "trusted."}overlay.opaque`;
  }

  private abs(rel: string): string {
    return rel === "" ? this.dest : `${this.dest}/${rel}`;
  }

  /**
   * Makes sure every component of `parts` is a real directory under dest,
   * creating missing ones (0755) and refusing symlinks or other files.
   */
  private ensureDirs(parts: string[], entry: string): void {
    let rel = "";
    for (const part of parts) {
      rel = rel === "" ? part : `${rel}/${part}`;
      if (this.dirs.has(rel)) continue;
      const path = this.abs(rel);
      // mkdir first: it never follows a symlink, and a failed lstat costs more.
      if (tryCreate(() => Deno.mkdirSync(path, { mode: 0o755 }))) {
        this.dirs.add(rel);
        continue;
      }
      const info = Deno.lstatSync(path);
      if (info.isSymlink) {
        throw new InvalidArgumentError(
          `Layer entry "${entry}" goes through the symlink "${rel}"`,
        );
      } else if (!info.isDirectory) {
        throw new InvalidArgumentError(`Layer entry "${entry}": "${rel}" is not a directory`);
      }
      this.dirs.add(rel);
    }
  }

  /** Removes whatever is at `rel` (not following symlinks) and forgets cached dirs below it. */
  private removeExisting(rel: string, info: Deno.FileInfo): void {
    const path = this.abs(rel);
    if (info.isDirectory) {
      Deno.removeSync(path, { recursive: true });
      this.dirs.delete(rel);
      this.dirTimes.delete(rel);
      const below = `${rel}/`;
      for (const d of this.dirs) if (d.startsWith(below)) this.dirs.delete(d);
      // A directory below a replaced one must not get its time set later:
      // its path may by then lead through a symlink.
      for (const d of this.dirTimes.keys()) if (d.startsWith(below)) this.dirTimes.delete(d);
    } else {
      Deno.removeSync(path);
    }
  }

  /**
   * Runs `make`, which creates `rel` without following a final symlink and
   * fails with EEXIST when something is there; then replaces what is there
   * (a later entry wins, as in docker) and runs `make` once more.
   */
  private create(rel: string, make: () => void): void {
    if (tryCreate(make)) return;
    this.removeExisting(rel, Deno.lstatSync(this.abs(rel)));
    make();
  }

  /** Applies owner, mode, times (and xattrs) to a new non-directory entry. */
  private finish(path: string, header: TarHeaderIn, setMode: boolean): void {
    if (this.chown) {
      const [uid, gid] = this.mapIds(header);
      lchown(path, uid, gid);
    }
    // chmod after chown: chown clears setuid and setgid bits.
    if (setMode) Deno.chmodSync(path, header.mode & 0o7777);
    this.setXattrs(path, header, !setMode);
    const mtime = mtimeOf(header);
    lutimes(path, mtime, mtime);
  }

  private mapIds(header: TarHeaderIn): [number, number] {
    const uid = Number(header.pax?.uid ?? header.uid ?? 0);
    const gid = Number(header.pax?.gid ?? header.gid ?? 0);
    return this.opts.mapIds ? this.opts.mapIds(uid, gid) : [uid, gid];
  }

  private setXattrs(path: string, header: TarHeaderIn, symlink = false): void {
    if (!header.pax) return;
    for (const [key, value] of Object.entries(header.pax)) {
      if (!key.startsWith("SCHILY.xattr.")) continue;
      const name = key.slice("SCHILY.xattr.".length);
      // Overlay's own attributes (opaque, redirect, origin) would change how
      // the mount resolves paths; a layer expresses those only by whiteouts.
      if (name.startsWith("trusted.overlay.") || name.startsWith("user.overlay.")) continue;
      try {
        lsetxattr(path, name, fromLatin1(value));
      } catch (err) {
        // A file system without xattr support, or a namespace we may not
        // write (security.*, trusted.* when rootless), is not worth failing
        // a pull for: docker ignores these the same way.
        const code = errnoOf(err);
        if (code === "EOPNOTSUPP") continue;
        if (code === "EPERM" && (symlink || !name.startsWith("user."))) continue;
        throw err;
      }
    }
  }

  async entry(header: TarHeaderIn, body: AsyncIterable<Uint8Array>): Promise<void> {
    const name: string = header.name;
    const parts = cleanEntryPath(name);
    const base = parts.at(-1) ?? "";
    const parentParts = parts.slice(0, -1);

    // OCI whiteouts.
    if (base.startsWith(WH_PREFIX)) {
      this.ensureDirs(parentParts, name);
      const parentRel = parentParts.join("/");
      if (base === WH_OPAQUE) {
        lsetxattr(this.abs(parentRel), this.opaqueXattr, new TextEncoder().encode("y"));
        return;
      }
      const target = base.slice(WH_PREFIX.length);
      if (target === "" || target === "." || target === "..") {
        throw new InvalidArgumentError(`Layer entry "${name}" is an invalid whiteout`);
      }
      const rel = parentRel === "" ? target : `${parentRel}/${target}`;
      const existing = lstatOrUndefined(this.abs(rel));
      if (existing) this.removeExisting(rel, existing);
      mknod(this.abs(rel), S_IFCHR | 0o000, 0, 0);
      return;
    }

    if (parts.length === 0) {
      // The root itself ("./"): only its metadata applies.
      if (header.type === "directory") this.directory("", header);
      return;
    }

    this.ensureDirs(parentParts, name);
    const rel = parts.join("/");
    const path = this.abs(rel);
    switch (header.type) {
      case "directory":
        this.directory(rel, header);
        return;
      case "file":
      case "contiguous-file": {
        let file!: Deno.FsFile;
        this.create(rel, () => {
          file = Deno.openSync(path, { write: true, createNew: true, mode: 0o600 });
        });
        try {
          for await (const chunk of body) {
            let off = 0;
            while (off < chunk.length) off += file.writeSync(chunk.subarray(off));
          }
        } finally {
          file.close();
        }
        this.finish(path, header, true);
        return;
      }
      case "symlink":
        this.create(rel, () => Deno.symlinkSync(header.linkname ?? "", path));
        this.finish(path, header, false);
        return;
      case "link": {
        const targetParts = cleanLinkTarget(header.linkname ?? "", name);
        this.checkLinkTarget(targetParts, name);
        const target = this.abs(targetParts.join("/"));
        const info = lstatOrUndefined(target);
        if (!info) {
          throw new InvalidArgumentError(
            `Layer entry "${name}" links to "${header.linkname}", which the layer does not contain`,
          );
        }
        if (info.isDirectory) {
          throw new InvalidArgumentError(
            `Layer entry "${name}" is a hard link to the directory "${header.linkname}"`,
          );
        }
        // link(2) does not follow a symlink target: linking to a symlink
        // links the symlink itself, which is what tar means.
        this.create(rel, () => Deno.linkSync(target, path));
        return;
      }
      case "character-device":
      case "block-device":
      case "fifo": {
        const kind = header.type === "fifo"
          ? S_IFIFO
          : header.type === "block-device"
          ? S_IFBLK
          : S_IFCHR;
        try {
          this.create(
            rel,
            () =>
              mknod(path, kind | (header.mode & 0o777), header.devmajor ?? 0, header.devminor ?? 0),
          );
        } catch (err) {
          // Unprivileged users may not create devices; rootless docker skips them too.
          if (kind !== S_IFIFO && errnoOf(err) === "EPERM" && Deno.uid() !== 0) return;
          throw err;
        }
        this.finish(path, header, true);
        return;
      }
      default:
        // Other types (sockets never appear; vendor extensions) are skipped, as docker does.
        return;
    }
  }

  /** The parent components of a hard link target must be real directories too. */
  private checkLinkTarget(targetParts: string[], entry: string): void {
    let rel = "";
    for (const part of targetParts.slice(0, -1)) {
      rel = rel === "" ? part : `${rel}/${part}`;
      if (this.dirs.has(rel)) continue;
      const info = lstatOrUndefined(this.abs(rel));
      if (info?.isSymlink) {
        throw new InvalidArgumentError(
          `Layer entry "${entry}" links through the symlink "${rel}"`,
        );
      }
      if (!info?.isDirectory) {
        throw new InvalidArgumentError(
          `Layer entry "${entry}" links to a path the layer does not contain`,
        );
      }
    }
  }

  private directory(rel: string, header: TarHeaderIn): void {
    const path = this.abs(rel);
    if (rel !== "" && !this.dirs.has(rel)) {
      if (!tryCreate(() => Deno.mkdirSync(path, { mode: 0o700 }))) {
        // Something is there: keep a directory, replace anything else.
        const info = Deno.lstatSync(path);
        if (!info.isDirectory) {
          this.removeExisting(rel, info);
          Deno.mkdirSync(path, { mode: 0o700 });
        }
      }
      this.dirs.add(rel);
    }
    if (this.chown) {
      const [uid, gid] = this.mapIds(header);
      lchown(path, uid, gid);
    }
    Deno.chmodSync(path, header.mode & 0o7777);
    this.setXattrs(path, header);
    this.dirTimes.set(rel, mtimeOf(header));
  }

  /** Applies directory mtimes last, deepest first, once nothing more is created inside. */
  finishDirs(): void {
    for (const [rel, mtime] of [...this.dirTimes].reverse()) {
      lutimes(this.abs(rel), mtime, mtime);
    }
  }
}

function cleanLinkTarget(linkname: string, entry: string): string[] {
  try {
    const parts = cleanEntryPath(linkname);
    if (parts.length === 0) throw new Error();
    return parts;
  } catch {
    throw new InvalidArgumentError(
      `Layer entry "${entry}" is a hard link to "${linkname}", outside the layer root`,
    );
  }
}

/** The parts of a tar-stream header this module reads. */
interface TarHeaderIn {
  name: string;
  type: string;
  mode: number;
  uid?: number;
  gid?: number;
  size?: number;
  mtime?: Date;
  linkname?: string | null;
  devmajor?: number;
  devminor?: number;
  pax?: Record<string, string>;
}

function mtimeOf(header: TarHeaderIn): number {
  const pax = header.pax?.mtime;
  if (pax !== undefined && Number.isFinite(Number(pax))) return Number(pax);
  return (header.mtime?.getTime() ?? 0) / 1000;
}

/**
 * Extracts a decompressed layer tar into `dest` (an existing, normally empty
 * directory) in one streaming pass, and returns its size and diff ID. Any
 * unsafe entry refuses the whole layer with an InvalidArgumentError naming
 * the entry; nothing is ever created, followed or linked outside `dest`, but
 * the caller should delete a partly filled `dest` after a failure.
 *
 * @example
 * ```ts
 * const blob = await Deno.open(blobPath);
 * const { size, diffId } = await unpackLayer(await decompressStream(blob.readable), scratchDir);
 * ```
 */
export async function unpackLayer(
  tarStream: ReadableStream<Uint8Array>,
  dest: string,
  opts: UnpackOptions = {},
): Promise<UnpackResult> {
  const [tar, { createHash }] = await Promise.all([loadTar(), import("node:crypto")]);
  const extract = tar.extract();
  const hash = createHash("sha256");
  const extractor = new Extractor(dest.replace(/\/+$/, "") || "/", opts);
  let size = 0;
  const reader = tarStream.getReader();
  let stopped = false;

  const feeding = (async () => {
    try {
      while (!stopped) {
        const r = await reader.read();
        if (r.done) break;
        size += r.value.length;
        hash.update(r.value);
        if (!extract.write(r.value)) {
          await new Promise<void>((resolve) => {
            const done = () => {
              extract.off("drain", done);
              extract.off("close", done);
              resolve();
            };
            extract.on("drain", done);
            extract.on("close", done);
          });
        }
      }
      if (!stopped) extract.end();
    } catch (err) {
      extract.destroy(err);
    }
  })();

  let current = "";
  try {
    for await (const entry of extract) {
      current = entry.header.name;
      await extractor.entry(entry.header, entry);
      // Drain whatever the handler did not read (non-file entries have none).
      entry.resume();
    }
    await feeding;
    extractor.finishDirs();
  } catch (err) {
    stopped = true;
    extract.destroy();
    await reader.cancel().catch(() => {});
    await feeding;
    if (err instanceof InvalidArgumentError) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    if (/unexpected end|invalid tar|checksum/i.test(msg)) {
      throw new InvalidArgumentError(`Invalid layer tar: ${msg}`, { cause: err });
    }
    throw wrap(err, current ? `Cannot unpack layer entry "${current}"` : "Cannot unpack layer");
  }
  // Every byte was fed to the extractor, trailing padding included, so the
  // digest covers the whole tar.
  return { size, diffId: `sha256:${hash.digest("hex")}` };
}
