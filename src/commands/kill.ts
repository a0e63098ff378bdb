/** `skiff kill`: send a signal (SIGKILL by default) to running containers. */
import type { CommandContext } from "../cli/spec.ts";
import { killContainer } from "../runtime/stop.ts";
import { parseSignal } from "../runtime/run_options.ts";
import { forEachContainer } from "./containers.ts";

/** Runs `skiff kill [-s SIGNAL] CONTAINER...`. */
export default function kill(ctx: CommandContext): Promise<number> {
  const signal = parseSignal((ctx.flags.signal as string | undefined) ?? "KILL").name;
  return forEachContainer(ctx, async (store, rec) => {
    await killContainer(store, rec, signal);
  });
}
