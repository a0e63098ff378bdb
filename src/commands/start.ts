/** `skiff start`: start stopped containers; with -a, attach to the (single) container. */
import type { CommandContext } from "../cli/spec.ts";
import { openStore } from "../store/store.ts";
import { findContainer } from "../runtime/container_store.ts";
import { startContainer } from "../runtime/start.ts";
import { attachTerminal, parseDetachKeys } from "../runtime/attach_terminal.ts";
import { InvalidArgumentError } from "../errors.ts";
import { forEachContainer } from "./containers.ts";

/** Runs `skiff start [-a] [-i] CONTAINER...`. */
export default async function start(ctx: CommandContext): Promise<number> {
  const attach = ctx.flags.attach === true || ctx.flags.interactive === true;
  if (!attach) {
    return await forEachContainer(ctx, async (store, rec) => {
      await startContainer(store, rec);
    });
  }
  if (ctx.args.length > 1) {
    throw new InvalidArgumentError("you cannot start and attach multiple containers at once");
  }
  const store = await openStore(ctx.global);
  const rec = await findContainer(store, ctx.args[0]);
  const state = await startContainer(store, rec, { waitForAttach: true });
  const detachKeys = parseDetachKeys((ctx.flags["detach-keys"] as string) || "ctrl-p,ctrl-q");
  const code = await attachTerminal(store, rec, {
    detachKeys,
    stdin: ctx.flags.interactive === true && rec.Options.interactive,
    tty: rec.Options.tty,
    proxySignals: (sig) => {
      try {
        Deno.kill(state.Pid, sig);
      } catch {
        // gone
      }
    },
  });
  return code ?? 0;
}
