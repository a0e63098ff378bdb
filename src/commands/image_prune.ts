/** `skiff image prune`: remove dangling images (with -a, every image no container uses). */
import { confirm } from "../cli/confirm.ts";
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { imagePrune as spec } from "../cli/table.ts";
import { humanSize } from "../units.ts";
import { parseFilters } from "../engine/filters.ts";
import { IMAGE_PRUNE_FILTERS, pruneImages } from "../engine/image_remove.ts";

/** Runs `skiff image prune [-a] [-f] [--filter until=...]`. */
export default async function imagePrune(
  ctx: CommandContext<FlagsOf<typeof spec>>,
): Promise<number> {
  const all = ctx.flags.all;
  const warning = all
    ? "WARNING! This will remove all images without at least one container associated to them."
    : "WARNING! This will remove all dangling images.";
  if (!ctx.flags.force && !(await confirm(warning))) return 0;
  const filters = parseFilters(ctx.flags.filter, IMAGE_PRUNE_FILTERS);
  const { deleted, reclaimed } = await pruneImages(ctx.global, { all, filters });
  const lines = deleted.map((d) =>
    "Untagged" in d ? `untagged: ${d.Untagged}` : `deleted: ${d.Deleted}`
  );
  if (lines.length) console.log(["Deleted Images:", ...lines, ""].join("\n"));
  console.log(`Total reclaimed space: ${humanSize(reclaimed)}`);
  return 0;
}
