/** `skiff container cleanup`: run by a container's monitor after the container exited. */
import type { CommandContext } from "../cli/spec.ts";
import { cleanupAfterExit } from "../engine/container_lifecycle.ts";

/** Runs `skiff container cleanup ID`. */
export default async function cleanup(ctx: CommandContext<Record<never, never>>): Promise<number> {
  await cleanupAfterExit(ctx.global, ctx.args[0]);
  return 0;
}
