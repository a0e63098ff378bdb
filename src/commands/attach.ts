/** `skiff attach`: connect the terminal or pipes to a running container's stdio. */
import type { CommandContext } from "../cli/spec.ts";
import { FailedPreconditionError } from "../errors.ts";
import { openStore } from "../store/store.ts";
import { findContainer } from "../runtime/container_store.ts";
import { currentState } from "../runtime/state.ts";
import { attachTerminal, parseDetachKeys } from "../runtime/attach_terminal.ts";

function refused(message: string): FailedPreconditionError {
  const err = new FailedPreconditionError(message);
  err.exitCode = 1;
  return err;
}

/** Runs `skiff attach [--no-stdin] [--detach-keys K] [--sig-proxy=false] CONTAINER`. */
export default async function attach(ctx: CommandContext): Promise<number> {
  const detachKeys = parseDetachKeys((ctx.flags["detach-keys"] as string) || "ctrl-p,ctrl-q");
  const store = await openStore(ctx.global);
  const rec = await findContainer(store, ctx.args[0]);
  const state = await currentState(store, rec);
  if (state.Status === "paused") {
    throw refused("You cannot attach to a paused container, unpause it first");
  }
  if (state.Status !== "running") {
    throw refused("You cannot attach to a stopped container, start it first");
  }
  const sigProxy = ctx.flags["sig-proxy"] !== false;
  const code = await attachTerminal(store, rec, {
    stdin: ctx.flags["no-stdin"] !== true && rec.Options.interactive,
    tty: rec.Options.tty,
    detachKeys,
    proxySignals: sigProxy
      ? (sig) => {
        try {
          Deno.kill(state.Pid, sig);
        } catch {
          // already gone
        }
      }
      : undefined,
  });
  return code ?? 0;
}
