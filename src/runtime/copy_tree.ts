/**
 * Copying a directory tree between two roots without ever leaving either:
 * every directory is opened from its parent's descriptor with openat2
 * RESOLVE_IN_ROOT and no final symlink followed (src/sys/resolve.ts), and
 * every entry is created with calls that never follow a final symlink
 * (mkdir, open with O_EXCL, symlink, mknod, link, lchown, lutimes). A
 * symlink anywhere in the source is copied as a symlink, never followed, so
 * neither the source's content nor a race can lead to a host file.
 */
import { splitDev } from "../image/tar_write.ts";
import { lchown, lgetxattr, llistxattr, lsetxattr, lutimes, mknod } from "../sys/fs.ts";
import { type InRoot, O_DIRECTORY, O_PATH, openInRoot } from "../sys/resolve.ts";

const O_RDONLY = 0;
const S_IFIFO = 0o010000, S_IFCHR = 0o020000, S_IFBLK = 0o060000;

function openDir(parent: string, name: string): InRoot {
  return openInRoot(parent, name, { flags: O_PATH | O_DIRECTORY, follow: false });
}

function seconds(d: Date | null): number {
  return (d?.getTime() ?? 0) / 1000;
}

/**
 * Owner, mode, extended attributes and times of `name` in the directory
 * `srcDir` onto `name` in `destDir` (`.` for the directories themselves),
 * by calls that never follow a final symlink.
 */
async function copyAttributes(
  srcDir: string,
  destDir: string,
  name: string,
  st: Deno.FileInfo,
): Promise<void> {
  const src = `${srcDir}/${name}`, dest = `${destDir}/${name}`;
  lchown(dest, st.uid ?? 0, st.gid ?? 0);
  // after the chown, which clears set-id bits and file capabilities; through the object
  if (!st.isSymlink) {
    const h = openInRoot(destDir, name, { follow: false });
    try {
      await Deno.chmod(h.path, (st.mode ?? 0o644) & 0o7777);
    } finally {
      h.close();
    }
  }
  for (const name of llistxattr(src)) {
    const value = lgetxattr(src, name);
    if (value === undefined) continue;
    try {
      lsetxattr(dest, name, value);
    } catch {
      // as `cp -a`: an attribute the destination cannot hold is left out
    }
  }
  lutimes(dest, seconds(st.atime), seconds(st.mtime));
}

/**
 * Copies what the directory `srcPath` inside `srcRoot` holds (symlinks in
 * `srcPath` resolved inside `srcRoot`) into the existing directory
 * `destRoot`, keeping owners, modes, extended attributes, times, hard links,
 * symlinks, devices and FIFOs; `destRoot` itself takes the attributes of the
 * source directory. Sockets are skipped. Existing entries are never replaced
 * (an `AlreadyExists` error).
 *
 * @example
 * ```ts ignore
 * await copyTreeInRoot("/mnt/overlay", "/var/lib/data", "/var/lib/skiff/volumes/v/_data");
 * ```
 */
export async function copyTreeInRoot(
  srcRoot: string,
  srcPath: string,
  destRoot: string,
): Promise<void> {
  const links = new Map<string, { dir: string; name: string }>();

  async function copyDir(src: InRoot, dest: InRoot, destRel: string): Promise<void> {
    const names: string[] = [];
    for await (const e of Deno.readDir(src.path)) names.push(e.name);
    names.sort();
    for (const name of names) {
      const from = `${src.path}/${name}`;
      const to = `${dest.path}/${name}`;
      const st = await Deno.lstat(from);
      if (st.isDirectory) {
        await Deno.mkdir(to, { mode: 0o700 });
        const s = openDir(src.path, name);
        try {
          const d = openDir(dest.path, name);
          try {
            await copyDir(s, d, `${destRel}/${name}`);
          } finally {
            d.close();
          }
        } finally {
          s.close();
        }
        // once its content is in place, so that its times stay
        await copyAttributes(src.path, dest.path, name, st);
        continue;
      }
      if ((st.nlink ?? 1) > 1) {
        const key = `${st.dev}:${st.ino}`;
        const first = links.get(key);
        if (first) {
          const dir = openDir(destRoot, first.dir);
          try {
            await Deno.link(`${dir.path}/${first.name}`, to);
          } finally {
            dir.close();
          }
          continue;
        }
        links.set(key, { dir: destRel, name });
      }
      if (st.isFile) await copyFile(src.path, name, to);
      else if (st.isSymlink) await Deno.symlink(await Deno.readLink(from), to);
      else if (st.isFifo || st.isCharDevice || st.isBlockDevice) {
        const kind = st.isFifo ? S_IFIFO : st.isCharDevice ? S_IFCHR : S_IFBLK;
        const [major, minor] = splitDev(st.rdev ?? 0);
        mknod(to, kind | ((st.mode ?? 0) & 0o7777), major, minor);
      } else continue; // a socket cannot be copied
      await copyAttributes(src.path, dest.path, name, st);
    }
  }

  const top = openInRoot(srcRoot, srcPath, { flags: O_PATH | O_DIRECTORY, follow: true });
  try {
    const dest = openInRoot(destRoot, "/", { flags: O_PATH | O_DIRECTORY });
    try {
      await copyDir(top, dest, "");
      await copyAttributes(top.path, dest.path, ".", await Deno.stat(top.path));
    } finally {
      dest.close();
    }
  } finally {
    top.close();
  }
}

/** Copies a regular file's content into `to`, created new (never through a planted symlink). */
async function copyFile(srcDir: string, name: string, to: string): Promise<void> {
  const h = openInRoot(srcDir, name, { flags: O_RDONLY, follow: false });
  try {
    const from = await Deno.open(h.path, { read: true });
    const out = await Deno.open(to, { write: true, createNew: true, mode: 0o600 });
    await from.readable.pipeTo(out.writable);
  } finally {
    h.close();
  }
}
