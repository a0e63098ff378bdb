/** `skiff unpause`: thaw paused containers; one report per container. */
import type { CommandContext } from "../cli/spec.ts";
import { pauseContainers } from "../engine/container_lifecycle.ts";
import { exitCode, printReport } from "./containers.ts";

/** Runs `skiff unpause CONTAINER...`. */
export default async function unpause(
  ctx: CommandContext<Record<never, never>>,
): Promise<number> {
  return exitCode(await pauseContainers(ctx.global, ctx.args, "unpause", printReport()));
}
