/** `skiff run`: create and start a container, attached (default) or detached (-d). */
import type { CommandContext } from "../cli/spec.ts";
import { openStore } from "../store/store.ts";
import { startContainer } from "../runtime/start.ts";
import { removeContainer } from "../runtime/remove.ts";
import { attachTerminal, parseAttachStreams, parseDetachKeys } from "../runtime/attach_terminal.ts";
import { readJson } from "../store/atomic.ts";
import { containerRunDir } from "../runtime/container_store.ts";
import type { ExitFile } from "../runtime/state.ts";
import { procStartTime } from "../runtime/state.ts";
import { createFromFlags } from "./create.ts";
import { ExecError, InvalidArgumentError } from "../errors.ts";

/** Runs `skiff run [OPTIONS] IMAGE [COMMAND] [ARG...]`; exits with the container's code. */
export default async function run(ctx: CommandContext): Promise<number> {
  const detach = ctx.flags.detach === true;
  if (detach && ctx.flags.rm === true && ctx.flags.restart && ctx.flags.restart !== "no") {
    throw new InvalidArgumentError("Conflicting options: --restart and --rm");
  }
  const detachKeys = parseDetachKeys((ctx.flags["detach-keys"] as string) || "ctrl-p,ctrl-q");
  const streams = parseAttachStreams((ctx.flags.attach as string[] | undefined) ?? []);
  if (detach && (ctx.flags.attach as string[] | undefined)?.length) {
    throw new InvalidArgumentError("Conflicting options: -a and -d");
  }
  const store = await openStore(ctx.global);
  const rec = await createFromFlags(store, ctx);
  let state;
  try {
    state = await startContainer(store, rec, { waitForAttach: !detach });
  } catch (err) {
    // A container that never started is not left behind by --rm.
    if (rec.Options.autoRemove) {
      await removeContainer(store, rec, { force: true, volumes: true }).catch(() => {});
    }
    throw err;
  }
  if (detach) {
    console.log(rec.Id);
    return 0;
  }
  const code = await attachTerminal(store, rec, {
    stdin: rec.Options.interactive && streams.stdin,
    streams,
    tty: rec.Options.tty,
    detachKeys,
    proxySignals: (sig) => {
      try {
        Deno.kill(state.Pid, sig);
      } catch {
        // already gone
      }
    },
  });
  if (code === undefined) return 0; // detached: the container keeps running
  const runDir = containerRunDir(store, rec.Id);
  const exit = await readJson<ExitFile>(`${runDir}/exit`).catch(() => undefined);
  if ((code === 126 || code === 127) && exit?.error) {
    throw new ExecError(exit.error, code);
  }
  if (rec.Options.autoRemove) await waitMonitorGone(state.MonitorPid, state.MonitorStartTime);
  return code;
}

/**
 * Waits for the monitor to finish its clean-up (so `--rm` has removed the container when
 * `run` returns). Nothing else runs by now, so the pauses block the thread: the first
 * setTimeout loads Deno's Node compatibility timers, about 7 ms of CPU that every
 * `run --rm` would pay for a few milliseconds of waiting.
 */
async function waitMonitorGone(pid: number, start: string | undefined): Promise<void> {
  let delay = 1;
  for (let waited = 0; waited < 30_000; waited += delay) {
    const now = await procStartTime(pid);
    if (now === undefined || now !== start) return;
    Atomics.wait(pause, 0, 0, delay);
    delay = Math.min(delay * 2, 50);
  }
}

/** Never notified: Atomics.wait on it is a plain sleep. */
const pause = new Int32Array(new SharedArrayBuffer(4));
