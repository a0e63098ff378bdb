/** `skiff wait`: block until containers stop, then print their exit codes. */
import type { CommandContext } from "../cli/spec.ts";
import { waitForExit } from "../runtime/stop.ts";
import { forEachContainer } from "./containers.ts";

/** Runs `skiff wait CONTAINER...`. */
export default function wait(ctx: CommandContext): Promise<number> {
  return forEachContainer(ctx, async (store, rec) => {
    const state = await waitForExit(store, rec);
    return String(state?.ExitCode ?? -1);
  });
}
