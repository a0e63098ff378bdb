/** `skiff rm`: remove containers (-f kills running ones, -v removes anonymous volumes). */
import type { CommandContext } from "../cli/spec.ts";
import { removeContainer } from "../runtime/remove.ts";
import { forEachContainer } from "./containers.ts";

/** Runs `skiff rm [-f] [-v] CONTAINER...`. */
export default function rm(ctx: CommandContext): Promise<number> {
  return forEachContainer(ctx, async (store, rec) => {
    await removeContainer(store, rec, {
      force: ctx.flags.force === true,
      volumes: ctx.flags.volumes === true,
    });
  });
}
