/** `skiff manifest exists`: Podman's check for a local manifest list. */
import type { CommandContext } from "../cli/spec.ts";
import { manifestListExists } from "../engine/manifest_lists.ts";

/** Runs `skiff manifest exists LIST`: exit 0 if the local list exists, 1 if not; prints nothing. */
export default async function manifestExists(ctx: CommandContext): Promise<number> {
  return (await manifestListExists(ctx.global, ctx.args[0])) ? 0 : 1;
}
