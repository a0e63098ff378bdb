/**
 * The lifecycle verbs over several containers: start, stop, restart, kill, wait, pause,
 * unpause and rm, and the clean-up a monitor runs after its container exited. Each takes names
 * and plain options and returns one report per name.
 *
 * @module
 */
import { FailedPreconditionError } from "../errors.ts";
import { openStore, type Store } from "../store/store.ts";
import { type ContainerRecord, findContainer, getContainer } from "../runtime/container_store.ts";
import { parseSignal } from "../runtime/signals.ts";
import { startContainer } from "../runtime/start.ts";
import { killContainer, stopContainer, waitForExit } from "../runtime/stop.ts";
import { cleanupContainer, removeContainer } from "../runtime/remove.ts";
import { currentState } from "../runtime/state.ts";
import { isRunning } from "../runtime/status.ts";
import { type Cgroups, detectCgroups } from "../runtime/cgroups.ts";
import type { Host } from "../sys/host.ts";
import type { StoreOptions } from "./engine_types.ts";
import { eachContainer, type OnReport, type TargetReport } from "./container_targets.ts";
import { leaveNetworkNames, networkDriverFor, releaseNetworks } from "./container_network.ts";
import { emitContainerEvent } from "./events.ts";

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
 * await startContainers({}, ["web"]);
 * ```
 */
export function startContainers(
  where: StoreOptions,
  names: readonly string[],
  onReport?: OnReport<void>,
): Promise<TargetReport<void>[]> {
  return eachContainer(where, names, async (store, rec) => {
    await startContainer(store, rec, { network: await networkDriverFor(store, rec) });
    await emitContainerEvent(store, rec, "start");
  }, onReport);
}

function stopper(opts: StopOptions): (store: Store, rec: ContainerRecord) => Promise<void> {
  // A bad signal is refused before any container is touched.
  const signal = opts.signal ? parseSignal(opts.signal).name : undefined;
  return async (store, rec) => {
    const sig = signal ?? rec.StopSignal;
    if ((await currentState(store, rec)).Status === "running") {
      await emitContainerEvent(store, rec, "kill", { signal: signalNumber(sig) });
    }
    await stopContainer(store, rec, opts.timeout ?? rec.StopTimeout, sig);
    await leaveNetworkNames(store, rec);
    await emitContainerEvent(store, rec, "stop");
  };
}

/** A signal's number as Docker's kill event gives it ("15"); the name if it has none. */
function signalNumber(name: string): string {
  try {
    return String(parseSignal(name).number ?? name);
  } catch {
    return name;
  }
}

/**
 * Stops each container: its stop signal, then SIGKILL after the timeout.
 *
 * @example
 * ```ts ignore
 * await stopContainers({}, ["web"], { timeout: 1 });
 * ```
 */
export function stopContainers(
  where: StoreOptions,
  names: readonly string[],
  opts: StopOptions,
  onReport?: OnReport<void>,
): Promise<TargetReport<void>[]> {
  return eachContainer(where, names, stopper(opts), onReport);
}

/**
 * Stops then starts each container.
 *
 * @example
 * ```ts ignore
 * await restartContainers({}, ["web"], {});
 * ```
 */
export function restartContainers(
  where: StoreOptions,
  names: readonly string[],
  opts: StopOptions,
  onReport?: OnReport<void>,
): Promise<TargetReport<void>[]> {
  const stop = stopper(opts);
  return eachContainer(where, names, async (store, rec) => {
    await stop(store, rec);
    await startContainer(store, rec, { network: await networkDriverFor(store, rec) });
    await emitContainerEvent(store, rec, "start");
    await emitContainerEvent(store, rec, "restart");
  }, onReport);
}

/**
 * Sends a signal (SIGKILL unless given) to each running container.
 *
 * @example
 * ```ts ignore
 * await killContainers({}, ["web"], "HUP");
 * ```
 */
export function killContainers(
  where: StoreOptions,
  names: readonly string[],
  signal = "KILL",
  onReport?: OnReport<void>,
): Promise<TargetReport<void>[]> {
  const sig = parseSignal(signal).name;
  return eachContainer(where, names, async (store, rec) => {
    await emitContainerEvent(store, rec, "kill", { signal: signalNumber(sig) });
    await killContainer(store, rec, sig);
    // SIGKILL cannot be caught: the container's names leave its network now
    if (sig === "SIGKILL") await leaveNetworkNames(store, rec);
  }, onReport);
}

/**
 * Waits for each container to stop; the value is its exit code (-1 if unknown).
 *
 * @example
 * ```ts ignore
 * const [r] = await waitContainers({}, ["web"]); // r.ok && r.value === 0
 * ```
 */
export function waitContainers(
  where: StoreOptions,
  names: readonly string[],
  onReport?: OnReport<number>,
): Promise<TargetReport<number>[]> {
  return eachContainer(where, names, async (store, rec) => {
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
 * await removeContainers({}, ["web"], { force: true, volumes: false });
 * ```
 */
export function removeContainers(
  where: StoreOptions,
  names: readonly string[],
  opts: RemoveContainersOptions,
  onReport?: OnReport<void>,
): Promise<TargetReport<void>[]> {
  return eachContainer(where, names, async (store, rec) => {
    if (opts.force && isRunning((await currentState(store, rec)).Status)) {
      await emitContainerEvent(store, rec, "kill", { signal: "9" });
    }
    await removeContainer(store, rec, opts);
    await releaseNetworks(store, rec);
    await emitContainerEvent(store, rec, "destroy");
  }, onReport);
}

/** What pause and unpause do to a container's processes. */
export type PauseVerb = "pause" | "unpause";

/** The seams of pause and unpause (tests pass fakes). */
export interface PauseSeams {
  /** The cgroup manager (default: detected on the host, once for all targets). */
  cgroups?: Cgroups;
  /** The host whose /proc tells a container's state. */
  host?: Host;
}

/**
 * `pause` freezes every process of each running container; `unpause` thaws each paused one.
 *
 * @example
 * ```ts ignore
 * await pauseContainers({}, ["web"], "pause");
 * ```
 */
export async function pauseContainers(
  where: StoreOptions,
  names: readonly string[],
  verb: PauseVerb,
  onReport?: OnReport<void>,
  seams: PauseSeams = {},
): Promise<TargetReport<void>[]> {
  const mgr = seams.cgroups ?? await detectCgroups(seams.host);
  return await eachContainer(where, names, async (store, rec) => {
    const { Status } = await currentState(store, rec, seams.host);
    if (verb === "unpause") {
      if (Status !== "paused") {
        throw new FailedPreconditionError(`Container ${rec.Id} is not paused`);
      }
      await mgr.forParent(rec.CgroupParent).thaw(rec.Id);
      return await emitContainerEvent(store, rec, "unpause");
    }
    if (Status === "paused") {
      throw new FailedPreconditionError(`Container ${rec.Id} is already paused`);
    }
    if (Status !== "running") {
      throw new FailedPreconditionError(`Container ${rec.Id} is not running`);
    }
    await mgr.forParent(rec.CgroupParent).freeze(rec.Id);
    await emitContainerEvent(store, rec, "pause");
  }, onReport);
}

/**
 * `container cleanup ID`: records the exit and frees the container's resources, for a container
 * whose monitor was killed before it could (harmless when the monitor already did it).
 *
 * @example
 * ```ts ignore
 * await cleanupAfterExit({}, id);
 * ```
 */
export async function cleanupAfterExit(where: StoreOptions, id: string): Promise<void> {
  const store = await openStore(where);
  const rec = await getContainer(store, id) ?? await findContainer(store, id);
  await cleanupContainer(store, rec);
  if (rec.Options.autoRemove) await releaseNetworks(store, rec);
}
