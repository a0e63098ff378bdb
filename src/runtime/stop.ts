/**
 * Stopping and killing: `stop` sends the stop signal, waits up to the
 * timeout, then SIGKILL; `kill` sends one signal. Both go straight to the
 * container's process; the monitor learns of the exit as its parent.
 */
import { FailedPreconditionError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import { type ContainerRecord, containerRunDir, type ContainerState } from "./container_store.ts";
import { parseSignal } from "./run_options.ts";
import { currentState, procStartTime, waitMonitorDone } from "./state.ts";

function sendSignal(pid: number, signal: string): void {
  const sig = parseSignal(signal);
  try {
    Deno.kill(pid, sig.name as Deno.Signal);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

/** Waits until the container's monitor is gone (or `timeoutMs` passes); returns the final state. */
export async function waitForExit(
  store: Store,
  rec: ContainerRecord,
  timeoutMs = Infinity,
): Promise<ContainerState | undefined> {
  const deadline = Date.now() + timeoutMs;
  let delay = 5;
  for (;;) {
    const state = await currentState(store, rec);
    if (state.Status === "exited" || state.Status === "created" || state.Status === "dead") {
      await waitMonitorDone(store, rec, Math.max(0, Math.min(10_000, deadline - Date.now())));
      return state;
    }
    if (Date.now() >= deadline) return undefined;
    await new Promise((r) => setTimeout(r, Math.min(delay, Math.max(1, deadline - Date.now()))));
    delay = Math.min(delay * 2, 100);
  }
}

/**
 * Tells the monitor not to restart the container. The run directory may be
 * gone (run root wiped under a live container); stopping must still work.
 */
async function markStopping(store: Store, rec: ContainerRecord): Promise<void> {
  const dir = containerRunDir(store, rec.Id);
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  Deno.writeTextFileSync(`${dir}/stopping`, "");
}

/** Waits for a process to disappear. */
async function waitGone(pid: number, start: string | undefined, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let delay = 5;
  while (Date.now() < deadline) {
    const now = await procStartTime(pid);
    if (now === undefined || now !== start) return true;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 100);
  }
  return false;
}

/**
 * Stops a container: stop signal, then SIGKILL after `timeoutSeconds`.
 * Suppresses the restart policy (as Docker does for an explicit stop).
 *
 * @example
 * ```ts
 * await stopContainer(store, rec, 10);
 * ```
 */
export async function stopContainer(
  store: Store,
  rec: ContainerRecord,
  timeoutSeconds = rec.StopTimeout,
  signal = rec.StopSignal,
): Promise<ContainerState> {
  const state = await currentState(store, rec);
  if (state.Status !== "running" && state.Status !== "paused" && state.Status !== "restarting") {
    return state;
  }
  await markStopping(store, rec);
  if (state.Status === "paused") await thawQuietly(rec.Id);
  const pidStart = await procStartTime(state.Pid);
  if (pidStart !== undefined) sendSignal(state.Pid, signal);
  if (pidStart === undefined || !(await waitGone(state.Pid, pidStart, timeoutSeconds * 1000))) {
    if (pidStart !== undefined) sendSignal(state.Pid, "SIGKILL");
  }
  return (await waitForExit(store, rec, 10_000)) ?? await currentState(store, rec);
}

async function thawQuietly(id: string): Promise<void> {
  const { CgroupManager } = await import("./cgroups.ts");
  const mgr = await CgroupManager.detect();
  await mgr.thaw(id).catch(() => {});
}

/**
 * Sends a signal to a running container's process.
 *
 * @example
 * ```ts
 * await killContainer(store, rec, "SIGHUP");
 * ```
 */
export async function killContainer(
  store: Store,
  rec: ContainerRecord,
  signal = "SIGKILL",
): Promise<void> {
  const state = await currentState(store, rec);
  if (state.Status !== "running" && state.Status !== "paused") {
    throw new FailedPreconditionError(
      `Cannot kill container: ${rec.Id}: container ${rec.Id} is not running`,
    );
  }
  const sig = parseSignal(signal);
  if (sig.name === "SIGKILL" || sig.name === "SIGTERM") {
    // An explicit kill is a user's stop: no restart.
    await markStopping(store, rec);
  }
  if (state.Status === "paused" && sig.name === "SIGKILL") await thawQuietly(rec.Id);
  sendSignal(state.Pid, sig.name);
}
