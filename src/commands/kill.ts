/** `skiff kill`: send a signal (SIGKILL by default) to running containers. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { kill as spec } from "../cli/table_containers.ts";
import { killContainers } from "../engine/container_lifecycle.ts";
import { exitCode, printReport } from "./containers.ts";

/** Runs `skiff kill [-s SIGNAL] CONTAINER...`. */
export default async function kill(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  return exitCode(await killContainers(ctx.global, ctx.args, ctx.flags.signal, printReport()));
}
