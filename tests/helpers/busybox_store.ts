/**
 * A temporary store with the busybox fixture loaded as `busybox`, for
 * container tests; every container is removed and the store deleted after.
 */
import { assert, assertEquals } from "./assert.ts";
import { ensureFixtures, fixturePaths } from "./fixtures.ts";
import { skiff, type SkiffResult, type TempStore, tempStore } from "./skiff.ts";

/** Runs skiff against the test's store. */
export type Sk = (
  args: string[],
  more?: { stdin?: string | Uint8Array; timeoutMs?: number },
) => Promise<SkiffResult>;

/**
 * Runs `fn` with a fresh store holding busybox.
 *
 * @example
 * ```ts
 * await withBusyboxStore(async (store, sk) => { await sk(["run", "--rm", "busybox", "true"]); });
 * ```
 */
export async function withBusyboxStore(
  fn: (store: TempStore, sk: Sk) => Promise<void>,
): Promise<void> {
  await ensureFixtures();
  const store = await tempStore();
  const sk: Sk = (args, more = {}) => skiff(args, { ...store, ...more });
  try {
    const load = await sk(["load", "-q", "-i", `${fixturePaths().busybox}.docker.tar`]);
    assertEquals(load.code, 0, load.stderr);
    await fn(store, sk);
  } finally {
    const ids = (await sk(["ps", "-aq", "--no-trunc"])).stdout.trim().split("\n").filter(Boolean);
    if (ids.length > 0) await sk(["rm", "-f", ...ids]);
    await store.cleanup();
  }
}

/** Runs skiff expecting success; returns its stdout. */
export async function ok(sk: Sk, args: string[]): Promise<string> {
  const r = await sk(args);
  assertEquals(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/**
 * Milliseconds from the "got TERM" log line of container `name` to its end, both recorded by
 * its monitor (the line's timestamp and State.FinishedAt): how long a stop waited after TERM,
 * on a clock that a loaded test process does not slow down.
 */
export async function termToEnd(sk: Sk, name: string): Promise<number> {
  const logs = (await sk(["logs", "-t", name])).stdout.split("\n");
  const term = logs.find((l) => l.endsWith(" got TERM"));
  assert(term !== undefined, `no "got TERM" in ${logs}`);
  const finished = await sk(["inspect", "-f", "{{.State.FinishedAt}}", name]);
  assertEquals(finished.code, 0, finished.stderr);
  return Date.parse(finished.stdout.trim()) - Date.parse(term.split(" ")[0]);
}
