/**
 * Stopping and killing: `stop` sends the stop signal, waits up to the
 * timeout, then SIGKILL; `kill` sends one signal. Both go straight to the
 * container's process; the monitor learns of the exit as its parent.
 */
import { FailedPreconditionError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import { type Host, procStartTime, realHost } from "../sys/host.ts";
import type { Cgroups } from "./cgroups.ts";
import { type ContainerRecord, containerRunDir, type ContainerState } from "./container_store.ts";
import { hasClassicName, parseSignal } from "./signals.ts";
import { currentState, waitMonitorDone } from "./state.ts";
import { canKill, canStop, hasEnded } from "./status.ts";
import { waitUntil } from "./wait.ts";

/** What stopping and killing act through; the real host and its cgroups by default. */
export interface StopEnv {
  host?: Host;
  /** The cgroup manager (default: detected on the host when a paused container needs a thaw). */
  cgroups?: Cgroups;
}

function sendSignal(host: Host, pid: number, signal: string): void {
  const sig = parseSignal(signal);
  if (pid <= 0) return; // no process (a restart's back-off): kill(0) would reach our own group
  try {
    host.kill(pid, hasClassicName(sig) ? sig.name : sig.number);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

/**
 * Waits until the container's monitor is gone (or `timeoutMs` passes); returns the final state.
 *
 * @example
 * ```ts ignore
 * const state = await waitForExit(store, rec, 10_000); // undefined: still running
 * ```
 */
export async function waitForExit(
  store: Store,
  rec: ContainerRecord,
  timeoutMs = Infinity,
  host: Host = realHost,
): Promise<ContainerState | undefined> {
  const deadline = host.now() + timeoutMs;
  let state: ContainerState | undefined;
  const ended = await waitUntil(async () => {
    state = await currentState(store, rec, host);
    return hasEnded(state.Status);
  }, { timeoutMs, maxDelayMs: 100, clock: host });
  if (!ended) return undefined;
  const left = Math.max(0, Math.min(10_000, deadline - host.now()));
  await waitMonitorDone(store, rec, left, host);
  return state;
}

/**
 * Tells the monitor not to restart the container. The run directory may be
 * gone (run root wiped under a live container); stopping must still work.
 */
async function markStopping(host: Host, store: Store, rec: ContainerRecord): Promise<void> {
  const dir = containerRunDir(store, rec.Id);
  await host.mkdir(dir, { recursive: true, mode: 0o700 });
  await host.writeTextFile(`${dir}/stopping`, "");
}

/**
 * Stops a container: stop signal, then SIGKILL after `timeoutSeconds`.
 * Suppresses the restart policy (as Docker does for an explicit stop).
 *
 * @example
 * ```ts ignore
 * await stopContainer(store, rec, 10);
 * ```
 */
export async function stopContainer(
  store: Store,
  rec: ContainerRecord,
  timeoutSeconds = rec.StopTimeout,
  signal = rec.StopSignal,
  env: StopEnv = {},
): Promise<ContainerState> {
  const host = env.host ?? realHost;
  const state = await currentState(store, rec, host);
  if (!canStop(state.Status)) return state;
  await markStopping(host, store, rec);
  if (state.Status === "paused") await thawQuietly(rec, host, env.cgroups);
  const pidStart = await procStartTime(host, state.Pid);
  if (pidStart !== undefined) {
    sendSignal(host, state.Pid, signal);
    const gone = await waitUntil(
      async () => (await procStartTime(host, state.Pid)) !== pidStart,
      { timeoutMs: timeoutSeconds * 1000, maxDelayMs: 100, clock: host },
    );
    if (!gone) sendSignal(host, state.Pid, "SIGKILL");
  }
  return (await waitForExit(store, rec, 10_000, host)) ?? await currentState(store, rec, host);
}

async function thawQuietly(rec: ContainerRecord, host: Host, cgroups?: Cgroups): Promise<void> {
  try {
    if (!cgroups) {
      const { detectCgroups }: typeof import("./cgroups.ts") = await import(
        new URL("./cgroups.ts", import.meta.url).href
      );
      cgroups = await detectCgroups(host);
    }
    await cgroups.forParent(rec.CgroupParent).thaw(rec.Id);
  } catch {
    // not frozen after all, or no cgroup: the signal decides
  }
}

/**
 * Sends a signal to a running container's process.
 *
 * @example
 * ```ts ignore
 * await killContainer(store, rec, "SIGHUP");
 * ```
 */
export async function killContainer(
  store: Store,
  rec: ContainerRecord,
  signal = "SIGKILL",
  env: StopEnv = {},
): Promise<void> {
  const host = env.host ?? realHost;
  const state = await currentState(store, rec, host);
  if (!canKill(state.Status)) {
    throw new FailedPreconditionError(
      `Cannot kill container: ${rec.Id}: container ${rec.Id} is not running`,
    );
  }
  const sig = parseSignal(signal);
  if (sig.name === "SIGKILL" || sig.name === "SIGTERM") {
    // An explicit kill is a user's stop: no restart.
    await markStopping(host, store, rec);
  }
  if (state.Status === "paused" && sig.name === "SIGKILL") {
    await thawQuietly(rec, host, env.cgroups);
  }
  sendSignal(host, state.Pid, sig.name);
}
