/**
 * Calling the C library's network functions: each takes a struct skiff_err as its last
 * argument, and its error becomes skiff's error kind for the errno (netlink.ts,
 * netlink_batch.ts).
 */
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  SkiffError,
} from "../errors.ts";
import { SysError } from "./errno.ts";

/** sizeof(struct skiff_err): code, exit_code, msg[1024]. */
const ERR_SIZE = 8 + 1024;
const utf8 = new TextDecoder();

/** The error kind for an errno of the netlink calls. */
function kindOf(errno: number): new (message: string, options?: ErrorOptions) => SkiffError {
  switch (errno) {
    case 2: // ENOENT
    case 19: // ENODEV
      return NotFoundError;
    case 17: // EEXIST
      return AlreadyExistsError;
    case 22: // EINVAL
    case 34: // ERANGE
    case 36: // ENAMETOOLONG
      return InvalidArgumentError;
    case 16: // EBUSY
      return FailedPreconditionError;
    default:
      return SkiffError;
  }
}

/**
 * Calls `fn` with a fresh struct skiff_err; throws the error kind when it returns < 0, its
 * message prefixed with `context` (else capitalised).
 *
 * @example
 * ```ts ignore
 * call(undefined, (err) => lib().skiff_netns_remove(cstr(path), err));
 * ```
 */
export function call(
  context: string | undefined,
  fn: (err: Uint8Array<ArrayBuffer>) => number,
): number {
  const err = new Uint8Array(ERR_SIZE);
  const rc = fn(err);
  if (rc >= 0) return rc;
  const errno = new DataView(err.buffer).getInt32(0, true) || -rc;
  const end = err.indexOf(0, 8);
  const text = utf8.decode(err.subarray(8, end < 0 ? ERR_SIZE : end)) || `errno ${errno}`;
  const message = context ? `${context}: ${text}` : text[0].toUpperCase() + text.slice(1);
  throw new (kindOf(errno))(message, { cause: new SysError(errno, text) });
}
