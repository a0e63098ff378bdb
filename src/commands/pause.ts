/** `skiff pause`: freeze every process of running containers; one report per container. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { pause as spec } from "../cli/table_containers.ts";
import { pauseContainers } from "../engine/container_lifecycle.ts";
import { ALL_SCOPES, exitCode, printReport, targets } from "./containers.ts";

/** Runs `skiff pause [-a] CONTAINER...`. */
export default async function pause(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const names = await targets(ctx.global, ctx.args, ctx.flags.all, ALL_SCOPES.running);
  return exitCode(await pauseContainers(ctx.global, names, "pause", printReport()));
}
