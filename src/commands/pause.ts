/** `skiff pause`: freeze every process of running containers; one report per container. */
import type { CommandContext } from "../cli/spec.ts";
import { FailedPreconditionError } from "../errors.ts";
import { CgroupManager } from "../runtime/cgroups.ts";
import { currentState } from "../runtime/state.ts";
import { forEachContainer } from "./containers.ts";

/** Runs `skiff pause CONTAINER...`. */
export default async function pause(ctx: CommandContext): Promise<number> {
  const mgr = await CgroupManager.detect();
  return await forEachContainer(ctx, async (store, rec) => {
    const state = await currentState(store, rec);
    if (state.Status === "paused") {
      throw new FailedPreconditionError(`Container ${rec.Id} is already paused`);
    }
    if (state.Status !== "running") {
      throw new FailedPreconditionError(`Container ${rec.Id} is not running`);
    }
    await mgr.freeze(rec.Id);
  });
}
