/**
 * When a test may skip itself. Run by hand, a test whose needs are missing (root, tmux, the
 * registry binary) is ignored and counted as skipped; run by the test command
 * (`scripts/test.sh` sets `SKIFF_TEST_STRICT=1`, as root with the set-up done), nothing skips:
 * the test runs and fails if what it needs is missing.
 */

/** Whether the test command runs this suite (no test may skip). */
export const STRICT = Deno.env.get("SKIFF_TEST_STRICT") === "1";

/** Whether the tests run as root. */
export const IS_ROOT = Deno.uid() === 0;

/**
 * The `ignore` value for a test that needs every one of `needs`: true (skip) when one is
 * missing, never in strict mode.
 *
 * @example
 * ```ts ignore
 * Deno.test({ name: "runs a container", ignore: skipUnless(IS_ROOT), fn: async () => {} });
 * ```
 */
export function skipUnless(...needs: boolean[]): boolean {
  return !STRICT && needs.some((have) => !have);
}
