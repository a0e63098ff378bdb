/** `skiff restart`: stop (with the timeout) then start each container. */
import type { CommandContext } from "../cli/spec.ts";
import { startContainer } from "../runtime/start.ts";
import { forEachContainer } from "./containers.ts";
import { stopAsFlagsSay } from "./stop.ts";

/** Runs `skiff restart [-t SECONDS] CONTAINER...`. */
export default function restart(ctx: CommandContext): Promise<number> {
  const stopOne = stopAsFlagsSay(ctx);
  return forEachContainer(ctx, async (store, rec) => {
    await stopOne(store, rec);
    await startContainer(store, rec);
  });
}
