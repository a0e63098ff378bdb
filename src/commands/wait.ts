/** `skiff wait`: block until containers stop, then print their exit codes. */
import type { CommandContext } from "../cli/spec.ts";
import { waitContainers } from "../engine/container_lifecycle.ts";
import { exitCode, printReport } from "./containers.ts";

/** Runs `skiff wait CONTAINER...`. */
export default async function wait(ctx: CommandContext<Record<never, never>>): Promise<number> {
  return exitCode(await waitContainers(ctx.global, ctx.args, printReport((code) => String(code))));
}
