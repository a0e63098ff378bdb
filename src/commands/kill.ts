/** `skiff kill`: send a signal (SIGKILL by default) to running containers. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { kill as spec } from "../cli/table_containers.ts";
import { killContainers } from "../engine/container_lifecycle.ts";
import { exitCode, printReport } from "./containers.ts";
import { exitOne } from "./exit_codes.ts";

/** Runs `skiff kill [-s SIGNAL] CONTAINER...`; a bad signal exits 1, as Docker's does. */
export default async function kill(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const reports = await exitOne(() =>
    killContainers(ctx.global, ctx.args, ctx.flags.signal, printReport())
  );
  return exitCode(reports);
}
