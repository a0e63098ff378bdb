/** `skiff unpause`: thaw paused containers; one report per container. */
import type { CommandContext } from "../cli/spec.ts";
import { openStore } from "../store/store.ts";
import { unpauseContainers } from "../engine/container_lifecycle.ts";
import { exitCode, printReport } from "./containers.ts";

/** Runs `skiff unpause CONTAINER...`. */
export default async function unpause(
  ctx: CommandContext<Record<never, never>>,
): Promise<number> {
  const store = await openStore(ctx.global);
  return exitCode(await unpauseContainers(store, ctx.args, printReport()));
}
