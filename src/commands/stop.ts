/** `skiff stop`: stop signal, then SIGKILL after the timeout; one report per container. */
import type { CommandContext } from "../cli/spec.ts";
import { stopContainer } from "../runtime/stop.ts";
import { parseSignal } from "../runtime/run_options.ts";
import { forEachContainer } from "./containers.ts";

/** Runs `skiff stop [-t SECONDS] [-s SIGNAL] CONTAINER...`. */
export default function stop(ctx: CommandContext): Promise<number> {
  const signal = ctx.flags.signal ? parseSignal(ctx.flags.signal as string).name : undefined;
  return forEachContainer(ctx, async (store, rec) => {
    await stopContainer(
      store,
      rec,
      (ctx.flags.time as number | undefined) ?? rec.StopTimeout,
      signal ?? rec.StopSignal,
    );
  });
}
