/**
 * `wait --condition`, the conditions of Docker's wait API: `not-running` (the default: returns
 * at once for a container that is not running), `next-exit` (the next time it exits, even if
 * it is not running now) and `removed` (once it is gone, with its last exit code).
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.ts";
import { type ContainerState, getContainer } from "../runtime/container_store.ts";
import { currentState } from "../runtime/state.ts";
import { hasEnded } from "../runtime/status.ts";
import { waitForExit } from "../runtime/stop.ts";
import { waitUntil } from "../runtime/wait.ts";
import { eachContainer, type OnReport, type TargetReport } from "./container_targets.ts";
import type { StoreOptions } from "./engine_types.ts";

/** What `wait` waits for. */
export type WaitCondition = "not-running" | "next-exit" | "removed";

/**
 * Checks a `--condition` value (empty: not-running).
 *
 * @example
 * ```ts
 * parseWaitCondition("next-exit"); // "next-exit"
 * ```
 */
export function parseWaitCondition(value: string | undefined): WaitCondition {
  const v = value || "not-running";
  if (v === "not-running" || v === "next-exit" || v === "removed") return v;
  throw new InvalidArgumentError(
    `invalid condition: "${value}" (expected not-running, next-exit or removed)`,
  );
}

/**
 * Waits for each container to meet the condition; the value is its exit code (-1 if unknown).
 *
 * @example
 * ```ts ignore
 * const [r] = await waitForCondition({}, ["web"], "removed");
 * ```
 */
export function waitForCondition(
  where: StoreOptions,
  names: readonly string[],
  condition: WaitCondition,
  onReport?: OnReport<number>,
): Promise<TargetReport<number>[]> {
  return eachContainer(where, names, async (store, rec) => {
    if (condition === "not-running") return (await waitForExit(store, rec))?.ExitCode ?? -1;
    let last: ContainerState = await currentState(store, rec);
    if (condition === "removed") {
      await waitUntil(async () => {
        if (!(await getContainer(store, rec.Id))) return true;
        last = await currentState(store, rec).catch(() => last);
        return false;
      }, { maxDelayMs: 100 });
      return hasEnded(last.Status) ? last.ExitCode : -1;
    }
    // next-exit: an exit that ends after now (a new FinishedAt), whatever the state is now
    const before = last.FinishedAt;
    await waitUntil(async () => {
      last = await currentState(store, rec);
      return hasEnded(last.Status) && last.FinishedAt !== before;
    }, { maxDelayMs: 100 });
    return last.ExitCode;
  }, onReport);
}
