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
import { type Host, type HostFileInfo, type HostInRoot, realHost } from "../sys/host.ts";
import { O_DIRECTORY, O_PATH } from "../sys/resolve.ts";

const O_RDONLY = 0;
const S_IFIFO = 0o010000, S_IFCHR = 0o020000, S_IFBLK = 0o060000;

function openDir(host: Host, parent: string, name: string): Promise<HostInRoot> {
  return host.openInRoot(parent, name, { flags: O_PATH | O_DIRECTORY, follow: false });
}

function seconds(ms: number | undefined): number {
  return (ms ?? 0) / 1000;
}

/**
 * Owner, mode, extended attributes and times of `name` in the directory
 * `srcDir` onto `name` in `destDir` (`.` for the directories themselves),
 * by calls that never follow a final symlink.
 */
async function copyAttributes(
  host: Host,
  srcDir: string,
  destDir: string,
  name: string,
  st: HostFileInfo,
): Promise<void> {
  const src = `${srcDir}/${name}`, dest = `${destDir}/${name}`;
  await host.lchown(dest, st.uid ?? 0, st.gid ?? 0);
  // after the chown, which clears set-id bits and file capabilities; through the object
  if (!st.isSymlink) {
    const h = await host.openInRoot(destDir, name, { follow: false });
    try {
      await host.chmod(h.path, (st.mode ?? 0o644) & 0o7777);
    } finally {
      h.close();
    }
  }
  for (const name of await host.llistxattr(src)) {
    const value = await host.lgetxattr(src, name);
    if (value === undefined) continue;
    try {
      await host.lsetxattr(dest, name, value);
    } catch {
      // as `cp -a`: an attribute the destination cannot hold is left out
    }
  }
  await host.lutimes(dest, seconds(st.atimeMs), seconds(st.mtimeMs));
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
  host: Host = realHost,
): Promise<void> {
  const links = new Map<string, { dir: string; name: string }>();

  async function copyDir(src: HostInRoot, dest: HostInRoot, destRel: string): Promise<void> {
    const names = (await host.readDir(src.path)).map((e) => e.name).sort();
    for (const name of names) {
      const from = `${src.path}/${name}`;
      const to = `${dest.path}/${name}`;
      const st = await host.lstat(from);
      if (st.isDirectory) {
        await host.mkdir(to, { mode: 0o700 });
        const s = await openDir(host, src.path, name);
        try {
          const d = await openDir(host, dest.path, name);
          try {
            await copyDir(s, d, `${destRel}/${name}`);
          } finally {
            d.close();
          }
        } finally {
          s.close();
        }
        // once its content is in place, so that its times stay
        await copyAttributes(host, src.path, dest.path, name, st);
        continue;
      }
      if ((st.nlink ?? 1) > 1) {
        const key = `${st.dev}:${st.ino}`;
        const first = links.get(key);
        if (first) {
          const dir = await openDir(host, destRoot, first.dir);
          try {
            await host.link(`${dir.path}/${first.name}`, to);
          } finally {
            dir.close();
          }
          continue;
        }
        links.set(key, { dir: destRel, name });
      }
      if (st.isFile) await copyFile(host, src.path, name, to);
      else if (st.isSymlink) await host.symlink(await host.readLink(from), to);
      else if (st.isFifo || st.isCharDevice || st.isBlockDevice) {
        const kind = st.isFifo ? S_IFIFO : st.isCharDevice ? S_IFCHR : S_IFBLK;
        const [major, minor] = splitDev(st.rdev ?? 0);
        await host.mknod(to, kind | ((st.mode ?? 0) & 0o7777), major, minor);
      } else continue; // a socket cannot be copied
      await copyAttributes(host, src.path, dest.path, name, st);
    }
  }

  const top = await host.openInRoot(srcRoot, srcPath, {
    flags: O_PATH | O_DIRECTORY,
    follow: true,
  });
  try {
    const dest = await host.openInRoot(destRoot, "/", { flags: O_PATH | O_DIRECTORY });
    try {
      await copyDir(top, dest, "");
      await copyAttributes(host, top.path, dest.path, ".", await host.stat(top.path));
    } finally {
      dest.close();
    }
  } finally {
    top.close();
  }
}

/** Copies a regular file's content into `to`, created new (never through a planted symlink). */
async function copyFile(host: Host, srcDir: string, name: string, to: string): Promise<void> {
  const h = await host.openInRoot(srcDir, name, { flags: O_RDONLY, follow: false });
  try {
    const from = await host.open(h.path, { read: true });
    const out = await host.open(to, { write: true, createNew: true, mode: 0o600 });
    await from.readable.pipeTo(out.writable);
  } finally {
    h.close();
  }
}
