/**
 * Paths inside a container's root, opened from the host so that no symlink
 * or `..` in the container can lead outside it: the kernel resolves every
 * component inside the root (openat2 with RESOLVE_IN_ROOT, in
 * ffi/src/resolve.c). The open file descriptor is handed to Deno's file APIs
 * as `/proc/self/fd/N`, which names exactly the object the kernel resolved.
 */
import { SysError } from "./errno.ts";
import { cstr, lib } from "./ffi.ts";

/** `O_PATH`: a handle for path operations only (no read or write). */
export const O_PATH = 0o10000000;
/** `O_DIRECTORY`: fail unless the object is a directory. */
export const O_DIRECTORY = 0o200000;

/** An object opened inside a root; `path` stays valid until `close`. */
export interface InRoot {
  /** `/proc/self/fd/N`: the resolved object itself. */
  path: string;
  fd: number;
  close(): void;
}

/**
 * Opens `path` inside the directory `root` (a host path such as
 * `/proc/1234/root` or a mounted overlay): absolute symlinks and `..` are
 * taken relative to `root`. With `follow: false` a final symlink is opened
 * itself. Throws a SysError (ENOENT, ENOTDIR, ELOOP...) naming `path`.
 *
 * @example
 * ```ts ignore
 * const dir = openInRoot("/proc/1234/root", "/etc", { flags: O_PATH | O_DIRECTORY });
 * try {
 *   await Deno.readTextFile(`${dir.path}/hostname`);
 * } finally {
 *   dir.close();
 * }
 * ```
 */
export function openInRoot(
  root: string,
  path: string,
  opts: { flags?: number; follow?: boolean } = {},
): InRoot {
  const fd = lib().skiff_openat2_in_root(
    cstr(root),
    cstr(path),
    opts.flags ?? O_PATH,
    opts.follow === false ? 0 : 1,
  );
  if (fd < 0) throw new SysError(-fd, path);
  let open = true;
  return {
    fd,
    path: `/proc/self/fd/${fd}`,
    close() {
      if (open) {
        open = false;
        lib().skiff_close_fd(fd);
      }
    },
  };
}
