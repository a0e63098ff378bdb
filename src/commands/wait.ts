/** `skiff wait`: block until containers stop, then print their exit codes. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { wait as spec } from "../cli/table_containers.ts";
import { parseWaitCondition, waitForCondition } from "../engine/container_wait.ts";
import { exitCode, printReport } from "./containers.ts";

/** Runs `skiff wait [--condition not-running|next-exit|removed] CONTAINER...`. */
export default async function wait(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const condition = parseWaitCondition(ctx.flags.condition);
  return exitCode(
    await waitForCondition(ctx.global, ctx.args, condition, printReport((code) => String(code))),
  );
}
