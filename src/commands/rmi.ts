/** `skiff rmi` / `skiff image rm`: untag and remove images, one report per argument. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { rmi as spec } from "../cli/table.ts";
import { removeImages } from "../engine/image_remove.ts";

/** Runs `skiff rmi [-f] IMAGE...`; exits 1 if any argument failed. */
export default async function rmi(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const reports = await removeImages(ctx.global, ctx.args, { force: ctx.flags.force });
  for (const r of reports) {
    if (!r.ok) console.error(`Error: ${r.error.message}`);
    else {
      for (const item of r.value) {
        console.log("Untagged" in item ? `Untagged: ${item.Untagged}` : `Deleted: ${item.Deleted}`);
      }
    }
  }
  return reports.every((r) => r.ok) ? 0 : 1;
}
