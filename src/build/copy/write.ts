/**
 * Writing copied entries into a root file system that may be hostile (an
 * image whose `/etc`, or a destination directory, is a symlink to `/` or to
 * `../../..`). Every directory is opened inside the root by the kernel
 * (openat2 RESOLVE_IN_ROOT, src/sys/resolve.ts), so its symlinks are
 * followed as the image sees them and never lead out; the entry itself is
 * then made in that directory's descriptor by calls that never follow a
 * final symlink (mkdir, open with O_EXCL, symlink, mknod, unlink, lchown,
 * lutimes; the mode set through the object opened without following). An
 * existing non-directory is replaced, never written through.
 */
import { InvalidArgumentError, wrap } from "../../errors.ts";
import { splitDev } from "../../image/tar_write.ts";
import { SysError } from "../../sys/errno.ts";
import { lchown, lsetxattr, lutimes, mknod } from "../../sys/fs.ts";
import { type InRoot, O_DIRECTORY, O_PATH, openInRoot } from "../../sys/resolve.ts";
import { cleanPath } from "../context/ignore.ts";
import type { Content, CopyEntry } from "./entry.ts";
import type { ModeChange } from "./mode.ts";
import type { Owner } from "./owner.ts";

/** Symlinks followed while making one destination directory (the kernel's limit). */
const MAX_LINKS = 40;
/** Directory handles kept open while writing (siblings come one after another). */
const DIR_CACHE = 8;
const S_IFIFO = 0o010000, S_IFCHR = 0o020000, S_IFBLK = 0o060000;

/** How entries are written. */
export interface WriteOptions {
  /** `--chown`: the owner of everything written (default: each entry's own). */
  owner?: Owner;
  /** `--chmod`. */
  chmod?: ModeChange;
  /** SOURCE_DATE_EPOCH in ms: no time written is later. */
  clampMs?: number;
  /** The time given to directories the copy creates (ms). */
  nowMs: number;
}

function code(err: unknown): string | undefined {
  if (err instanceof SysError) return err.code;
  if (err instanceof Deno.errors.NotFound) return "ENOENT";
  if (err instanceof Deno.errors.AlreadyExists) return "EEXIST";
  return (err as { code?: string }).code;
}

/** The target of `at` when it is a symlink (never followed here); undefined otherwise. */
function danglingLink(at: string): string | undefined {
  try {
    if (!Deno.lstatSync(at).isSymlink) return undefined;
    return Deno.readLinkSync(at);
  } catch {
    return undefined;
  }
}

function splitParent(path: string): [string, string] {
  const at = path.lastIndexOf("/");
  return [at <= 0 ? "/" : path.slice(0, at), path.slice(at + 1)];
}

const buf = new Uint8Array(256 * 1024);

/** Copies a file's content into `out`, a file just created (O_EXCL: never through a planted symlink). */
async function copyContent(open: () => Promise<Content>, out: Deno.FsFile): Promise<void> {
  try {
    const content = await open();
    try {
      for (;;) {
        const n = await content.read(buf);
        if (n === null) break;
        let off = 0;
        while (off < n) off += await out.write(buf.subarray(off, n));
      }
    } finally {
      content.close();
    }
  } finally {
    out.close();
  }
}

/** Writes entries under `root`; call `finish` at the end for the directories' times. */
export class RootWriter {
  readonly #root: string;
  readonly #opts: WriteOptions;
  /** Directories opened lately, by in-root path. */
  readonly #dirs = new Map<string, InRoot>();
  readonly #retired: InRoot[] = [];
  /** Directories whose times are set once their content is in place, deepest last. */
  readonly #dirTimes: { path: string; mtimeMs: number }[] = [];

  constructor(root: string, opts: WriteOptions) {
    this.#root = root;
    this.#opts = opts;
  }

  #time(ms: number): number {
    const c = this.#opts.clampMs;
    return (c !== undefined && ms > c ? c : ms) / 1000;
  }

  /**
   * The directory `path` opened inside the root (its symlinks followed
   * inside it), kept open for the entries that follow: its `close` keeps it,
   * `#forget` and `close()` release it.
   */
  #openDir(path: string): InRoot {
    const hit = this.#dirs.get(path);
    if (hit) return { path: hit.path, fd: hit.fd, close() {} };
    try {
      const h = openInRoot(this.#root, path, { flags: O_PATH | O_DIRECTORY });
      if (this.#dirs.size >= DIR_CACHE) {
        const [oldest, old] = this.#dirs.entries().next().value!;
        this.#dirs.delete(oldest);
        this.#retired.push(old); // a caller may still hold it
      }
      this.#dirs.set(path, h);
      return { path: h.path, fd: h.fd, close() {} };
    } catch (err) {
      if (code(err) === "ENOTDIR") {
        throw new InvalidArgumentError(`cannot copy to ${path}: not a directory`);
      }
      throw err;
    }
  }

  /** Whether `path` exists inside the root as a directory (following its symlinks inside it). */
  isDir(path: string): boolean {
    try {
      openInRoot(this.#root, path, { flags: O_PATH | O_DIRECTORY }).close();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Makes sure the directory `path` exists, creating what is missing as
   * BuildKit does: mode 0755, owned by the `--chown` owner or root.
   */
  ensureDir(path: string, links = 0): void {
    if (links === 0) this.#sweep();
    const parts = path.split("/").filter((p) => p !== "");
    let cur = "";
    for (const part of parts) {
      const parent = cur || "/";
      cur = `${cur}/${part}`;
      if (this.isDir(cur)) continue;
      const dir = this.#openDir(parent);
      try {
        const at = `${dir.path}/${part}`;
        const link = danglingLink(at);
        if (link !== undefined) {
          // a symlink to what does not exist yet: made where the image would resolve it
          if (links >= MAX_LINKS) {
            throw new InvalidArgumentError(
              `cannot copy to ${path}: too many levels of symbolic links`,
            );
          }
          this.ensureDir(cleanPath(link.startsWith("/") ? link : `${parent}/${link}`), links + 1);
          continue;
        }
        try {
          Deno.mkdirSync(at, { mode: 0o700 });
        } catch (err) {
          if (code(err) === "EEXIST") {
            throw new InvalidArgumentError(
              `cannot copy to ${cur}: it exists and is not a directory`,
            );
          }
          throw wrap(err, `mkdir ${cur}`);
        }
        const owner = this.#opts.owner ?? { uid: 0, gid: 0 };
        this.#attrs(dir, part, "dir", owner.uid, owner.gid, 0o755, undefined);
        this.#dirTimes.push({ path: cur, mtimeMs: this.#opts.nowMs });
      } finally {
        dir.close();
      }
    }
  }

  /** Owner, then mode (through the object; after chown, which clears set-id bits), then times. */
  #attrs(
    dir: InRoot,
    name: string,
    type: string,
    uid: number,
    gid: number,
    mode: number,
    mtimeMs: number | undefined,
    xattrs?: Record<string, Uint8Array>,
  ): void {
    const at = `${dir.path}/${name}`;
    lchown(at, uid, gid);
    if (type !== "symlink") {
      const h = openInRoot(dir.path, name, { flags: O_PATH, follow: false });
      try {
        Deno.chmodSync(h.path, mode);
      } finally {
        h.close();
      }
    }
    // after the chown, which drops file capabilities
    for (const [key, value] of Object.entries(xattrs ?? {})) {
      try {
        lsetxattr(at, key, value);
      } catch {
        // as `cp -a`: an attribute the destination cannot hold is left out
      }
    }
    if (mtimeMs !== undefined) {
      const t = this.#time(mtimeMs);
      lutimes(at, t, t);
    }
  }

  /**
   * Writes `e` at the in-root path `path` (its parent exists). A directory
   * that exists already is kept as it is and merged into.
   */
  async write(path: string, e: CopyEntry): Promise<void> {
    this.#sweep();
    const owner = this.#opts.owner ?? { uid: e.uid, gid: e.gid };
    const mode = e.type === "symlink"
      ? 0o777
      : this.#opts.chmod
      ? this.#opts.chmod(e.mode, e.type === "dir")
      : e.mode;
    if (path === "/") return; // the root itself: always there, kept as it is
    const [parent, name] = splitParent(path);
    const dir = this.#openDir(parent);
    try {
      const at = `${dir.path}/${name}`;
      if (e.type === "dir") {
        if (!this.#create(at, path, () => Deno.mkdirSync(at, { mode: 0o700 }), true)) return;
        this.#attrs(dir, name, "dir", owner.uid, owner.gid, mode, undefined, e.xattrs);
        this.#dirTimes.push({ path, mtimeMs: e.mtimeMs });
        return;
      }
      switch (e.type) {
        case "file": {
          let out: Deno.FsFile | undefined;
          this.#create(at, path, () => {
            out = Deno.openSync(at, { write: true, createNew: true, mode: 0o600 });
          });
          await copyContent(e.open!, out!);
          break;
        }
        case "symlink":
          this.#create(at, path, () => Deno.symlinkSync(e.linkTarget ?? "", at));
          break;
        case "fifo":
          this.#create(at, path, () => mknod(at, S_IFIFO | 0o600, 0, 0));
          break;
        case "char":
        case "block": {
          const [major, minor] = splitDev(e.rdev ?? 0);
          if (e.type === "char" && major === 0 && minor === 0) {
            throw new InvalidArgumentError(`cannot copy ${path}: it is an overlay whiteout`);
          }
          const kind = e.type === "char" ? S_IFCHR : S_IFBLK;
          this.#create(at, path, () => mknod(at, kind | 0o600, major, minor));
          break;
        }
      }
      this.#attrs(dir, name, e.type, owner.uid, owner.gid, mode, e.mtimeMs, e.xattrs);
    } catch (err) {
      if (err instanceof InvalidArgumentError) throw err;
      throw wrap(err, `copy to ${path}`);
    } finally {
      dir.close();
    }
  }

  /**
   * Runs `make` (which creates `at`, failing when something is there). For
   * a directory (`merge`), an existing directory, or a symlink to one inside
   * the root, is merged into (false then) and anything else refused; for
   * the rest, an existing non-directory is replaced and a directory refused,
   * as BuildKit refuses them.
   */
  #create(at: string, path: string, make: () => void, merge = false): boolean {
    try {
      make();
      return true;
    } catch (err) {
      if (code(err) !== "EEXIST") throw err;
    }
    if (merge) {
      if (this.isDir(path)) return false;
      throw new InvalidArgumentError(`cannot copy to non-directory: ${path}`);
    }
    if (Deno.lstatSync(at).isDirectory) {
      throw new InvalidArgumentError(`cannot replace to directory ${path} with file`);
    }
    this.#remove(at);
    make();
    return true;
  }

  /** Makes `path` another hard link to `existing`, written before by this copy. */
  link(path: string, existing: string): void {
    this.#sweep();
    const [fromParent, fromName] = splitParent(existing);
    const [parent, name] = splitParent(path);
    const from = this.#openDir(fromParent);
    try {
      const dir = this.#openDir(parent);
      try {
        const at = `${dir.path}/${name}`;
        // link(2) never follows a symlink named as the existing file
        this.#create(at, path, () => Deno.linkSync(`${from.path}/${fromName}`, at));
      } finally {
        dir.close();
      }
    } catch (err) {
      if (err instanceof InvalidArgumentError) throw err;
      throw wrap(err, `copy to ${path}`);
    } finally {
      from.close();
    }
  }

  /** Removes the non-directory in the way. */
  #remove(at: string): void {
    this.#forget();
    Deno.removeSync(at);
  }

  /**
   * Drops the directories kept open (after a removal, which may have made
   * them stale); they are closed by `close`, as a caller may still use one.
   */
  #forget(): void {
    this.#retired.push(...this.#dirs.values());
    this.#dirs.clear();
  }

  /** Closes the dropped handles: called when no borrowed one can be in use any more. */
  #sweep(): void {
    for (const h of this.#retired) h.close();
    this.#retired.length = 0;
  }

  /** Releases what the writer holds open (after `finish`, or after a failure). */
  close(): void {
    this.#forget();
    this.#sweep();
  }

  /** Sets the times of the directories written, once what they hold is in place. */
  finish(): void {
    this.#sweep();
    for (const { path, mtimeMs } of this.#dirTimes.reverse()) {
      const [parent, name] = splitParent(path);
      const dir = this.#openDir(parent);
      try {
        const t = this.#time(mtimeMs);
        lutimes(`${dir.path}/${name}`, t, t);
      } finally {
        dir.close();
      }
    }
    this.#dirTimes.length = 0;
  }
}
