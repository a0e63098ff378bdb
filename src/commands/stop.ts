/** `skiff stop`: stop signal, then SIGKILL after the timeout; one report per container. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { stop as spec } from "../cli/table_containers.ts";
import { stopContainers } from "../engine/container_lifecycle.ts";
import { exitCode, printReport } from "./containers.ts";

/** Runs `skiff stop [-t SECONDS] [-s SIGNAL] CONTAINER...`. */
export default async function stop(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const opts = { timeout: ctx.flags.time, signal: ctx.flags.signal };
  return exitCode(await stopContainers(ctx.global, ctx.args, opts, printReport()));
}
