/** `skiff pause`: freeze every process of running containers; one report per container. */
import type { CommandContext } from "../cli/spec.ts";
import { pauseContainers } from "../engine/container_lifecycle.ts";
import { exitCode, printReport } from "./containers.ts";

/** Runs `skiff pause CONTAINER...`. */
export default async function pause(ctx: CommandContext<Record<never, never>>): Promise<number> {
  return exitCode(await pauseContainers(ctx.global, ctx.args, "pause", printReport()));
}
