/**
 * Docker's CLI exit codes for commands other than `run`: 125 is for a usage error (flags that do
 * not parse) and for a `run` that fails before its container starts; any other command's error
 * exits 1. Commands wrap their work in {@linkcode exitOne}.
 */
import { SkiffError } from "../errors.ts";

/**
 * Runs a command's work; an error that would exit 125 exits 1 instead (other codes, such as
 * exec's 126 and 127 or inspect's 64, are kept), unless `applies` says it is not one of the
 * errors to change.
 *
 * @example
 * ```ts ignore
 * await exitOne(() => tagImage(ctx.global, source, target)); // No such image: exit 1
 * ```
 */
export async function exitOne<T>(
  work: () => Promise<T>,
  applies: (err: unknown) => boolean = () => true,
): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (!applies(err)) throw err;
    const e = err instanceof SkiffError
      ? err
      : new SkiffError(err instanceof Error ? err.message : String(err), { cause: err });
    if (e.exitCode === 125) e.exitCode = 1;
    throw e;
  }
}
