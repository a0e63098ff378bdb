/**
 * Directories at predictable names in shared places (`/tmp`): another local
 * user can create the name first, or plant a symlink there, and wait for
 * skiff to put files in it. A private directory is checked, never assumed.
 */
import { FailedPreconditionError } from "../errors.ts";

/**
 * Creates `path` with mode 0700 if it is missing, then checks with lstat
 * that it is a real directory (not a symlink) owned by `uid` and writable by
 * nobody else, in a parent where no other user can rename it (owned by root
 * or `uid`, sticky when shared). A group or world bit without write access
 * is removed. Throws a FailedPreconditionError naming the path otherwise.
 *
 * @example
 * ```ts
 * ensurePrivateDir(`/tmp/skiff-run-${Deno.uid()}`);
 * ```
 */
export function ensurePrivateDir(path: string, uid: number = Deno.uid() ?? 0): void {
  const refuse = (why: string) => new FailedPreconditionError(`Refusing to use ${path}: ${why}`);
  const parent = path.slice(0, path.lastIndexOf("/")) || "/";
  Deno.mkdirSync(parent, { recursive: true, mode: 0o700 });
  const p = Deno.statSync(parent);
  if ((p.uid !== 0 && p.uid !== uid) || ((p.mode ?? 0) & 0o022 && !((p.mode ?? 0) & 0o1000))) {
    throw refuse(`its parent can be changed by another user (uid ${p.uid}, mode ${octal(p.mode)})`);
  }
  try {
    Deno.mkdirSync(path, { mode: 0o700 });
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
  }
  const st = Deno.lstatSync(path);
  if (st.isSymlink) throw refuse("it is a symbolic link");
  if (!st.isDirectory) throw refuse("it is not a directory");
  if (st.uid !== uid) throw refuse(`it is owned by uid ${st.uid}, not ${uid}`);
  const mode = st.mode ?? 0;
  if (mode & 0o022) throw refuse(`it is writable by other users (mode ${octal(mode)})`);
  if (mode & 0o077) Deno.chmodSync(path, 0o700);
}

function octal(mode: number | null): string {
  return ((mode ?? 0) & 0o7777).toString(8).padStart(4, "0");
}
