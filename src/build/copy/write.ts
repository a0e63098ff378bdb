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
import type { CopyEntry } from "./entry.ts";
import type { ModeChange } from "./mode.ts";
import type { Owner } from "./owner.ts";

/** Symlinks followed while making one destination directory (the kernel's limit). */
const MAX_LINKS = 40;
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

/** Writes entries under `root`; call `finish` at the end for the directories' times. */
export class RootWriter {
  readonly #root: string;
  readonly #opts: WriteOptions;
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

  /** Opens the directory `path` inside the root (its symlinks followed inside it). */
  #openDir(path: string): InRoot {
    try {
      return openInRoot(this.#root, path, { flags: O_PATH | O_DIRECTORY });
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
      let existing: Deno.FileInfo | undefined;
      try {
        existing = Deno.lstatSync(at);
      } catch (err) {
        if (code(err) !== "ENOENT") throw err;
      }
      if (e.type === "dir") {
        if (existing && this.isDir(path)) return; // merge into it (a symlink to a directory too)
        if (existing) this.#remove(at, path);
        Deno.mkdirSync(at, { mode: 0o700 });
        this.#attrs(dir, name, "dir", owner.uid, owner.gid, mode, undefined, e.xattrs);
        this.#dirTimes.push({ path, mtimeMs: e.mtimeMs });
        return;
      }
      if (existing) this.#remove(at, path);
      switch (e.type) {
        case "file": {
          const out = await Deno.open(at, { write: true, createNew: true, mode: 0o600 });
          const src = await e.read!();
          await src.pipeTo(out.writable);
          break;
        }
        case "symlink":
          Deno.symlinkSync(e.linkTarget ?? "", at);
          break;
        case "fifo":
          mknod(at, S_IFIFO | 0o600, 0, 0);
          break;
        case "char":
        case "block": {
          const [major, minor] = splitDev(e.rdev ?? 0);
          if (e.type === "char" && major === 0 && minor === 0) {
            throw new InvalidArgumentError(`cannot copy ${path}: it is an overlay whiteout`);
          }
          mknod(at, (e.type === "char" ? S_IFCHR : S_IFBLK) | 0o600, major, minor);
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

  /** Makes `path` another hard link to `existing`, written before by this copy. */
  link(path: string, existing: string): void {
    const [fromParent, fromName] = splitParent(existing);
    const [parent, name] = splitParent(path);
    const from = this.#openDir(fromParent);
    try {
      const dir = this.#openDir(parent);
      try {
        const at = `${dir.path}/${name}`;
        try {
          Deno.lstatSync(at);
          this.#remove(at, path);
        } catch (err) {
          if (code(err) !== "ENOENT") throw err;
        }
        // link(2) never follows a symlink named as the existing file
        Deno.linkSync(`${from.path}/${fromName}`, at);
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

  /** Removes what is in the way (a directory only when empty, as BuildKit). */
  #remove(at: string, path: string): void {
    try {
      Deno.removeSync(at);
    } catch (err) {
      if (code(err) === "ENOTEMPTY") {
        throw new InvalidArgumentError(`cannot replace the directory ${path}: it is not empty`);
      }
      throw err;
    }
  }

  /** Sets the times of the directories written, once what they hold is in place. */
  finish(): void {
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
