/**
 * The lifecycle verbs over several containers: start, stop, restart, kill, wait, pause,
 * unpause and rm. Each takes names and plain options and returns one report per name.
 *
 * @module
 */
import { FailedPreconditionError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import type { ContainerRecord } from "../runtime/container_store.ts";
import { parseSignal } from "../runtime/run_options.ts";
import { startContainer } from "../runtime/start.ts";
import { killContainer, stopContainer, waitForExit } from "../runtime/stop.ts";
import { removeContainer } from "../runtime/remove.ts";
import { currentState } from "../runtime/state.ts";
import { CgroupManager } from "../runtime/cgroups.ts";
import { eachContainer, type OnReport, type TargetReport } from "./container_targets.ts";

/** Options of stop and restart: the container's own stop timeout and signal unless given. */
export interface StopOptions {
  /** Seconds before SIGKILL. */
  timeout?: number;
  /** Signal name or number ("SIGINT", "2"). */
  signal?: string;
}

/**
 * Starts each container (already running ones are left as they are).
 *
 * @example
 * ```ts ignore
 * await startContainers(store, ["web"]);
 * ```
 */
export function startContainers(
  store: Store,
  names: readonly string[],
  onReport?: OnReport<void>,
): Promise<TargetReport[]> {
  return eachContainer(store, names, async (rec) => {
    await startContainer(store, rec);
  }, onReport);
}

function stopper(store: Store, opts: StopOptions): (rec: ContainerRecord) => Promise<void> {
  // A bad signal is refused before any container is touched.
  const signal = opts.signal ? parseSignal(opts.signal).name : undefined;
  return async (rec) => {
    await stopContainer(store, rec, opts.timeout ?? rec.StopTimeout, signal ?? rec.StopSignal);
  };
}

/**
 * Stops each container: its stop signal, then SIGKILL after the timeout.
 *
 * @example
 * ```ts ignore
 * await stopContainers(store, ["web"], { timeout: 1 });
 * ```
 */
export function stopContainers(
  store: Store,
  names: readonly string[],
  opts: StopOptions,
  onReport?: OnReport<void>,
): Promise<TargetReport[]> {
  return eachContainer(store, names, stopper(store, opts), onReport);
}

/**
 * Stops then starts each container.
 *
 * @example
 * ```ts ignore
 * await restartContainers(store, ["web"], {});
 * ```
 */
export function restartContainers(
  store: Store,
  names: readonly string[],
  opts: StopOptions,
  onReport?: OnReport<void>,
): Promise<TargetReport[]> {
  const stop = stopper(store, opts);
  return eachContainer(store, names, async (rec) => {
    await stop(rec);
    await startContainer(store, rec);
  }, onReport);
}

/**
 * Sends a signal (SIGKILL unless given) to each running container.
 *
 * @example
 * ```ts ignore
 * await killContainers(store, ["web"], "HUP");
 * ```
 */
export function killContainers(
  store: Store,
  names: readonly string[],
  signal = "KILL",
  onReport?: OnReport<void>,
): Promise<TargetReport[]> {
  const sig = parseSignal(signal).name;
  return eachContainer(store, names, (rec) => killContainer(store, rec, sig), onReport);
}

/**
 * Waits for each container to stop; the value is its exit code (-1 if unknown).
 *
 * @example
 * ```ts ignore
 * const [r] = await waitContainers(store, ["web"]); // r.ok && r.value === 0
 * ```
 */
export function waitContainers(
  store: Store,
  names: readonly string[],
  onReport?: OnReport<number>,
): Promise<TargetReport<number>[]> {
  return eachContainer(store, names, async (rec) => {
    const state = await waitForExit(store, rec);
    return state?.ExitCode ?? -1;
  }, onReport);
}

/** Options of rm. */
export interface RemoveContainersOptions {
  /** Kill running containers first. */
  force: boolean;
  /** Remove their anonymous volumes too. */
  volumes: boolean;
}

/**
 * Removes each container.
 *
 * @example
 * ```ts ignore
 * await removeContainers(store, ["web"], { force: true, volumes: false });
 * ```
 */
export function removeContainers(
  store: Store,
  names: readonly string[],
  opts: RemoveContainersOptions,
  onReport?: OnReport<void>,
): Promise<TargetReport[]> {
  return eachContainer(store, names, (rec) => removeContainer(store, rec, opts), onReport);
}

/**
 * Freezes every process of each running container.
 *
 * @example
 * ```ts ignore
 * await pauseContainers(store, ["web"]);
 * ```
 */
export async function pauseContainers(
  store: Store,
  names: readonly string[],
  onReport?: OnReport<void>,
): Promise<TargetReport[]> {
  const mgr = await CgroupManager.detect();
  return await eachContainer(store, names, async (rec) => {
    const state = await currentState(store, rec);
    if (state.Status === "paused") {
      throw new FailedPreconditionError(`Container ${rec.Id} is already paused`);
    }
    if (state.Status !== "running") {
      throw new FailedPreconditionError(`Container ${rec.Id} is not running`);
    }
    await mgr.freeze(rec.Id);
  }, onReport);
}

/**
 * Thaws each paused container.
 *
 * @example
 * ```ts ignore
 * await unpauseContainers(store, ["web"]);
 * ```
 */
export async function unpauseContainers(
  store: Store,
  names: readonly string[],
  onReport?: OnReport<void>,
): Promise<TargetReport[]> {
  const mgr = await CgroupManager.detect();
  return await eachContainer(store, names, async (rec) => {
    const state = await currentState(store, rec);
    if (state.Status !== "paused") {
      throw new FailedPreconditionError(`Container ${rec.Id} is not paused`);
    }
    await mgr.thaw(rec.Id);
  }, onReport);
}
