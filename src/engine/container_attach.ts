/**
 * Connecting the caller's stdio to a container: `attach` to a running one, `start -a`, and the
 * foreground half of `run`. Signals the caller receives are forwarded to the container's process.
 *
 * @module
 */
import { emitContainerEvent } from "./events.ts";
import { FailedPreconditionError, InvalidArgumentError } from "../errors.ts";
import { openStore } from "../store/store.ts";
import { type Host, realHost } from "../sys/host.ts";
import type { StoreOptions } from "./engine_types.ts";
import { networkDriverFor } from "./container_network.ts";
import { findContainer } from "../runtime/container_store.ts";
import { currentState } from "../runtime/state.ts";
import { startContainer } from "../runtime/start.ts";
import { attachTerminal, parseDetachKeys } from "../runtime/attach_terminal.ts";

/** Docker's default detach sequence. */
export const DEFAULT_DETACH_KEYS = "ctrl-p,ctrl-q";

/** A signal forwarder to a process that may already be gone. */
export function forwardSignals(pid: number, host: Host = realHost): (sig: string) => void {
  return (sig) => {
    if (pid <= 0) return; // no process (a restart's back-off): kill(0) would reach our own group
    try {
      host.kill(pid, sig);
    } catch {
      // already gone
    }
  };
}

function refused(message: string): FailedPreconditionError {
  const err = new FailedPreconditionError(message);
  err.exitCode = 1;
  return err;
}

/** Options of `attach`. */
export interface AttachOptions {
  /** Do not send our stdin (it is sent only if the container keeps stdin open). */
  noStdin: boolean;
  /** Key sequence to detach ("ctrl-p,ctrl-q" when empty). */
  detachKeys?: string;
  /** Forward signals to the container's process. */
  sigProxy: boolean;
  /** The caller's check of its input, given whether the container has a tty (runs last). */
  checkInput?: (tty: boolean) => void;
}

/**
 * Attaches to a running container; resolves with its exit code, or undefined on detach.
 *
 * @example
 * ```ts ignore
 * const code = await attachContainer({}, "web", { noStdin: false, sigProxy: true });
 * ```
 */
export async function attachContainer(
  where: StoreOptions,
  name: string,
  opts: AttachOptions,
): Promise<number | undefined> {
  const detachKeys = parseDetachKeys(opts.detachKeys || DEFAULT_DETACH_KEYS);
  const store = await openStore(where);
  const rec = await findContainer(store, name);
  const state = await currentState(store, rec);
  if (state.Status === "paused") {
    throw refused("You cannot attach to a paused container, unpause it first");
  }
  if (state.Status !== "running") {
    throw refused("You cannot attach to a stopped container, start it first");
  }
  opts.checkInput?.(rec.Options.tty);
  await emitContainerEvent(store, rec, "attach");
  return await attachTerminal(store, rec, {
    stdin: !opts.noStdin && rec.Options.interactive,
    tty: rec.Options.tty,
    detachKeys,
    proxySignals: opts.sigProxy ? forwardSignals(state.Pid) : undefined,
  });
}

/** Options of `start -a`. */
export interface StartAttachedOptions {
  /** Send our stdin too (`-i`). */
  interactive: boolean;
  detachKeys?: string;
}

/**
 * Starts one container and attaches to it (`start -a`); resolves with its exit code, or
 * undefined on detach.
 *
 * @example
 * ```ts ignore
 * const code = await startAttached({}, ["web"], { interactive: false });
 * ```
 */
export async function startAttached(
  where: StoreOptions,
  names: readonly string[],
  opts: StartAttachedOptions,
): Promise<number | undefined> {
  if (names.length > 1) {
    throw new InvalidArgumentError("you cannot start and attach multiple containers at once");
  }
  const detachKeys = parseDetachKeys(opts.detachKeys || DEFAULT_DETACH_KEYS);
  const store = await openStore(where);
  const rec = await findContainer(store, names[0]);
  const network = await networkDriverFor(store, rec);
  await emitContainerEvent(store, rec, "attach");
  const state = await startContainer(store, rec, { waitForAttach: true, network });
  await emitContainerEvent(store, rec, "start");
  return await attachTerminal(store, rec, {
    detachKeys,
    stdin: opts.interactive && rec.Options.interactive,
    tty: rec.Options.tty,
    proxySignals: forwardSignals(state.Pid),
  });
}
