/** `skiff unpause`: thaw paused containers; one report per container. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { unpause as spec } from "../cli/table_containers.ts";
import { pauseContainers } from "../engine/container_lifecycle.ts";
import { ALL_SCOPES, exitCode, printReport, targets } from "./containers.ts";

/** Runs `skiff unpause [-a] CONTAINER...`. */
export default async function unpause(
  ctx: CommandContext<FlagsOf<typeof spec>>,
): Promise<number> {
  const names = await targets(ctx.global, ctx.args, ctx.flags.all, ALL_SCOPES.paused);
  return exitCode(await pauseContainers(ctx.global, names, "unpause", printReport()));
}
