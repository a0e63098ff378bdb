/**
 * File operations that never follow a final symlink (lchown, mknod, xattrs,
 * lutimes), for layer unpacking, export and cp. Each throws a SysError naming
 * the operation and path.
 */
import { cstr, lib } from "./ffi.ts";
import { check } from "./errno.ts";

/** Changes the owner of `path` itself, not of a symlink's target. */
export function lchown(path: string, uid: number, gid: number): void {
  check(lib().skiff_lchown(cstr(path), BigInt(uid), BigInt(gid)), `lchown ${path}`);
}

/** Creates a device node, FIFO or overlay whiteout (char 0:0) at `path`. */
export function mknod(path: string, mode: number, major: number, minor: number): void {
  check(lib().skiff_mknod(cstr(path), mode, major, minor), `mknod ${path}`);
}

/** Sets an extended attribute on `path` itself. */
export function lsetxattr(path: string, name: string, value: Uint8Array): void {
  const buf = new Uint8Array(value.length);
  buf.set(value);
  check(lib().skiff_lsetxattr(cstr(path), cstr(name), buf, value.length), `lsetxattr ${path}`);
}

/** Reads an extended attribute of `path` itself; undefined when it is not set. */
export function lgetxattr(path: string, name: string): Uint8Array | undefined {
  const buf = new Uint8Array(65536);
  const n = lib().skiff_lgetxattr(cstr(path), cstr(name), buf, buf.length);
  if (n === -61n || n === -95n) return undefined; // ENODATA, EOPNOTSUPP
  return buf.slice(0, Number(check(n, `lgetxattr ${path} ${name}`)));
}

/** Lists the extended attribute names of `path` itself. */
export function llistxattr(path: string): string[] {
  const buf = new Uint8Array(65536);
  const n = lib().skiff_llistxattr(cstr(path), buf, buf.length);
  if (n === -95n) return [];
  const len = Number(check(n, `llistxattr ${path}`));
  return new TextDecoder().decode(buf.subarray(0, len)).split("\0").filter((s) => s !== "");
}

/** Sets access and modification times of `path` itself (seconds, fractional allowed). */
export function lutimes(path: string, atime: number, mtime: number): void {
  const a = Math.floor(atime), m = Math.floor(mtime);
  check(
    lib().skiff_lutimes(
      cstr(path),
      BigInt(a),
      BigInt(Math.round((atime - a) * 1e9)),
      BigInt(m),
      BigInt(Math.round((mtime - m) * 1e9)),
    ),
    `lutimes ${path}`,
  );
}
