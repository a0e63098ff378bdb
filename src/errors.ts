/**
 * Error kinds shared by every layer of skiff, after containerd's errdefs: a
 * small set of kinds, each error naming what it is about. `main.ts` maps them
 * to Docker's exit codes (125 for engine errors).
 *
 * @example
 * ```ts ignore
 * throw new NotFoundError(`No such image: ${ref}`);
 * ```
 */
export class SkiffError extends Error {
  /** Process exit code the CLI uses when this error ends a command. */
  exitCode = 125;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A named thing (image, container, blob, volume) does not exist. */
export class NotFoundError extends SkiffError {}

/** A named thing already exists and may not be replaced. */
export class AlreadyExistsError extends SkiffError {}

/** User input (flag, reference, manifest, archive, Dockerfile) is invalid. */
export class InvalidArgumentError extends SkiffError {}

/** The operation is not allowed in the current state (e.g. removing a running container). */
export class FailedPreconditionError extends SkiffError {}

/** A remote service (registry) failed or could not be reached. */
export class UnavailableError extends SkiffError {}

/** Content did not match its digest. */
export class DigestMismatchError extends SkiffError {}

/** The container command could not be invoked (126) or was not found (127). */
export class ExecError extends SkiffError {
  constructor(message: string, code: 126 | 127) {
    super(message);
    this.exitCode = code;
  }
}

/** Wraps an error with context, keeping its kind: `wrap(e, "pull busybox")`. */
export function wrap(err: unknown, context: string): Error {
  if (err instanceof SkiffError) {
    const ctor = err.constructor as new (m: string, o?: ErrorOptions) => SkiffError;
    const wrapped = new ctor(`${context}: ${err.message}`, { cause: err });
    wrapped.exitCode = err.exitCode;
    return wrapped;
  }
  const message = err instanceof Error ? err.message : String(err);
  return new SkiffError(`${context}: ${message}`, { cause: err });
}
