/** `skiff unpause`: thaw paused containers; one report per container. */
import type { CommandContext } from "../cli/spec.ts";
import { FailedPreconditionError } from "../errors.ts";
import { CgroupManager } from "../runtime/cgroups.ts";
import { currentState } from "../runtime/state.ts";
import { forEachContainer } from "./containers.ts";

/** Runs `skiff unpause CONTAINER...`. */
export default async function unpause(ctx: CommandContext): Promise<number> {
  const mgr = await CgroupManager.detect();
  return await forEachContainer(ctx, async (store, rec) => {
    const state = await currentState(store, rec);
    if (state.Status !== "paused") {
      throw new FailedPreconditionError(`Container ${rec.Id} is not paused`);
    }
    await mgr.thaw(rec.Id);
  });
}
