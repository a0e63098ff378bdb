/** `skiff restart`: stop (with the timeout) then start each container. */
import type { CommandContext } from "../cli/spec.ts";
import { stopContainer } from "../runtime/stop.ts";
import { startContainer } from "../runtime/start.ts";
import { parseSignal } from "../runtime/run_options.ts";
import { forEachContainer } from "./containers.ts";

/** Runs `skiff restart [-t SECONDS] CONTAINER...`. */
export default function restart(ctx: CommandContext): Promise<number> {
  const signal = ctx.flags.signal ? parseSignal(ctx.flags.signal as string).name : undefined;
  return forEachContainer(ctx, async (store, rec) => {
    await stopContainer(
      store,
      rec,
      (ctx.flags.time as number | undefined) ?? rec.StopTimeout,
      signal ?? rec.StopSignal,
    );
    await startContainer(store, rec);
  });
}
