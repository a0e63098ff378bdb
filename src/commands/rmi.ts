/** `skiff rmi` / `skiff image rm`: untag and remove images, one report per argument. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { rmi as spec } from "../cli/table.ts";
import { removeImages } from "../engine/image_remove.ts";
import { NotFoundError } from "../errors.ts";

/**
 * Runs `skiff rmi [-f] IMAGE...`; exits 1 if any argument failed. With -f an image that does
 * not exist is reported and does not fail, as docker 20.10 does.
 */
export default async function rmi(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const reports = await removeImages(ctx.global, ctx.args, { force: ctx.flags.force });
  let failed = false;
  for (const r of reports) {
    if (!r.ok) {
      console.error(`Error: ${r.error.message}`);
      if (!(ctx.flags.force && r.error instanceof NotFoundError)) failed = true;
    } else {
      for (const item of r.value) {
        console.log("Untagged" in item ? `Untagged: ${item.Untagged}` : `Deleted: ${item.Deleted}`);
      }
    }
  }
  return failed ? 1 : 0;
}
