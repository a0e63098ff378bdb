/** Docker's "Are you sure?" prompt for destructive commands run without `-f`. */

/**
 * Prints `warning` and the question, reads one answer from stdin, and says
 * whether it was yes. End of input (a script without `-f`) counts as no.
 *
 * @example
 * ```ts ignore
 * if (!force && !(await confirm("WARNING! This will remove all stopped containers."))) return 0;
 * ```
 */
export async function confirm(warning: string): Promise<boolean> {
  await Deno.stdout.write(
    new TextEncoder().encode(`${warning}\nAre you sure you want to continue? [y/N] `),
  );
  const buf = new Uint8Array(64);
  const n = await Deno.stdin.read(buf).catch(() => null);
  const answer = n === null ? "" : new TextDecoder().decode(buf.subarray(0, n)).trim();
  return /^y(es)?$/i.test(answer);
}
