/**
 * `run`: create and start a container, then (in the foreground) relay its stdio until it exits
 * and give its exit code, after its monitor removed it with `--rm`.
 *
 * @module
 */
import { emitContainerEvent } from "./events.ts";
import { ExecError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import type { StoreOptions } from "./engine_types.ts";
import type { ContainerRecord, ContainerState } from "../runtime/container_store.ts";
import { startContainer } from "../runtime/start.ts";
import { removeContainer } from "../runtime/remove.ts";
import { procStartTime, readExit } from "../runtime/state.ts";
import { blockingClock, waitUntil } from "../runtime/wait.ts";
import { attachTerminal } from "../runtime/attach_terminal.ts";
import { createContainer, type CreateRequest, type PullEvents } from "./container_create.ts";
import { forwardSignals } from "./container_attach.ts";
import { networkDriverFor, releaseNetworks } from "./container_network.ts";

/** A container `run` created and started. */
export interface StartedRun {
  store: Store;
  rec: ContainerRecord;
  state: ContainerState;
}

/**
 * Creates and starts a container; with `attach`, its process waits for an attach client. A
 * container that never started is removed again if it was created with `--rm`.
 *
 * @example
 * ```ts ignore
 * const run = await startRun({}, { image: "busybox", options }, false, events);
 * ```
 */
export async function startRun(
  where: StoreOptions,
  req: CreateRequest,
  attach: boolean,
  events: PullEvents,
): Promise<StartedRun> {
  const { store, rec } = await createContainer(where, req, events);
  try {
    const network = await networkDriverFor(store, rec);
    if (attach) await emitContainerEvent(store, rec, "attach");
    const state = await startContainer(store, rec, { waitForAttach: attach, network });
    await emitContainerEvent(store, rec, "start");
    return { store, rec, state };
  } catch (err) {
    if (rec.Options.autoRemove) {
      await removeContainer(store, rec, { force: true, volumes: true }).catch(() => {});
      await releaseNetworks(store, rec);
    }
    throw err;
  }
}

/** What the foreground relays. */
export interface RunAttachOptions {
  streams: { stdin: boolean; stdout: boolean; stderr: boolean };
  detachKeys: Uint8Array;
  /** --sig-proxy (default true): the signals `run` receives go to the container's process. */
  sigProxy?: boolean;
}

/**
 * Relays a started container's stdio until it exits; resolves with its exit code (undefined if
 * the user detached). A command that could not be run (126, 127) is an ExecError with the
 * monitor's reason.
 *
 * @example
 * ```ts ignore
 * const code = await attachRun(run, { streams, detachKeys });
 * ```
 */
export async function attachRun(
  { store, rec, state }: StartedRun,
  opts: RunAttachOptions,
): Promise<number | undefined> {
  const code = await attachTerminal(store, rec, {
    stdin: rec.Options.interactive && opts.streams.stdin,
    streams: opts.streams,
    tty: rec.Options.tty,
    detachKeys: opts.detachKeys,
    proxySignals: opts.sigProxy === false ? undefined : forwardSignals(state.Pid),
  });
  if (code === undefined) return undefined; // detached: the container keeps running
  if (code === 126 || code === 127) {
    const exit = await readExit(store, rec.Id);
    if (exit?.error) throw new ExecError(exit.error, code);
  }
  if (rec.Options.autoRemove) {
    await waitMonitorGone(state.MonitorPid, state.MonitorStartTime);
    await releaseNetworks(store, rec); // the monitor removed the container
  }
  return code;
}

/**
 * Waits for the monitor to finish its clean-up (so `--rm` has removed the container when
 * `run` returns). Nothing else runs by now, so the pauses block the thread (the blocking
 * clock): the first setTimeout loads Deno's Node compatibility timers, about 7 ms of CPU that
 * every `run --rm` would pay for a few milliseconds of waiting.
 */
async function waitMonitorGone(pid: number, start: string | undefined): Promise<void> {
  await waitUntil(async () => {
    const now = await procStartTime(pid);
    return now === undefined || now !== start;
  }, {
    timeoutMs: 30_000,
    initialDelayMs: 1,
    maxDelayMs: 50,
    clock: blockingClock,
  });
}
