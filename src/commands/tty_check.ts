/**
 * Docker's refusal of `-it` when stdin is not a terminal (`run`, `exec`): a pty fed from a pipe
 * echoes the input and never sees its end, so Docker fails early and skiff does the same.
 */
import { SkiffError } from "../errors.ts";

/**
 * Throws Docker's "the input device is not a TTY" (exit 1) when stdin is to be attached to a
 * pty (`-i` and `-t`) but the caller's stdin is not a terminal.
 *
 * @example
 * ```ts
 * checkTty(true, true, () => true); // a terminal: nothing happens
 * checkTty(false, true, () => false); // no -i: nothing to refuse
 * ```
 */
export function checkTty(
  attachStdin: boolean,
  tty: boolean,
  stdinIsTerminal: () => boolean = () => Deno.stdin.isTerminal(),
): void {
  if (!attachStdin || !tty || stdinIsTerminal()) return;
  const err = new SkiffError("the input device is not a TTY");
  err.exitCode = 1;
  throw err;
}
