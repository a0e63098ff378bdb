/** Names and messages for the errno values the C library returns negated. */
const names: Record<number, [string, string]> = {
  1: ["EPERM", "Operation not permitted"],
  2: ["ENOENT", "No such file or directory"],
  3: ["ESRCH", "No such process"],
  4: ["EINTR", "Interrupted system call"],
  5: ["EIO", "Input/output error"],
  9: ["EBADF", "Bad file descriptor"],
  11: ["EAGAIN", "Resource temporarily unavailable"],
  12: ["ENOMEM", "Cannot allocate memory"],
  13: ["EACCES", "Permission denied"],
  16: ["EBUSY", "Device or resource busy"],
  17: ["EEXIST", "File exists"],
  18: ["EXDEV", "Invalid cross-device link"],
  20: ["ENOTDIR", "Not a directory"],
  21: ["EISDIR", "Is a directory"],
  22: ["EINVAL", "Invalid argument"],
  28: ["ENOSPC", "No space left on device"],
  30: ["EROFS", "Read-only file system"],
  38: ["ENOSYS", "Function not implemented"],
  39: ["ENOTEMPTY", "Directory not empty"],
  40: ["ELOOP", "Too many levels of symbolic links"],
  61: ["ENODATA", "No data available"],
  95: ["EOPNOTSUPP", "Operation not supported"],
};

/** An error from a system call, carrying the errno and the operation it came from. */
export class SysError extends Error {
  constructor(readonly errno: number, readonly op: string) {
    const [code, text] = names[errno] ?? [`E${errno}`, `errno ${errno}`];
    super(`${op}: ${text}`);
    this.name = code;
  }
  /** The symbolic errno name, such as `ENOENT`. */
  get code(): string {
    return names[this.errno]?.[0] ?? `E${this.errno}`;
  }
}

/** Throws a SysError when a C call returned a negative errno; returns the value otherwise. */
export function check<T extends number | bigint>(result: T, op: string): T {
  if (result < 0) throw new SysError(-Number(result), op);
  return result;
}
