/** `skiff rename`: give a container a new name. */
import type { CommandContext } from "../cli/spec.ts";
import { SkiffError } from "../errors.ts";
import { renameNamed } from "../engine/container_names.ts";

/** Runs `skiff rename CONTAINER NEW_NAME`; refusals exit 1, as Docker's do. */
export default async function rename(ctx: CommandContext<Record<never, never>>): Promise<number> {
  try {
    await renameNamed(ctx.global, ctx.args[0], ctx.args[1]);
    return 0;
  } catch (err) {
    if (err instanceof SkiffError) err.exitCode = 1;
    throw err;
  }
}
