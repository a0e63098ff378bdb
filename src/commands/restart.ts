/** `skiff restart`: stop (with the timeout) then start each container. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { restart as spec } from "../cli/table_containers.ts";
import { restartContainers } from "../engine/container_lifecycle.ts";
import { ALL_SCOPES, exitCode, printReport, targets } from "./containers.ts";

/** Runs `skiff restart [-a] [-t SECONDS] CONTAINER...`. */
export default async function restart(
  ctx: CommandContext<FlagsOf<typeof spec>>,
): Promise<number> {
  const opts = { timeout: ctx.flags.time, signal: ctx.flags.signal };
  const names = await targets(ctx.global, ctx.args, ctx.flags.all, ALL_SCOPES.any);
  return exitCode(await restartContainers(ctx.global, names, opts, printReport()));
}
