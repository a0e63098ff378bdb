/** Waiting for an event in a test, instead of sleeping and hoping it happened. */

/**
 * Polls `cond` every 50 ms until it holds; throws naming `what` after `ms` (default 20 s, a
 * bound for a stuck test, not a timing assertion).
 *
 * @example
 * ```ts ignore
 * await until("the counter file", async () => (await count()) > 0);
 * ```
 */
export async function until(
  what: string,
  cond: () => boolean | Promise<boolean>,
  ms = 20_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Timed out waiting for ${what}`);
}
