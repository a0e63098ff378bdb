/** `skiff volume prune`: remove volumes no container uses (named ones kept by all=false). */
import { confirm } from "../cli/confirm.ts";
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { volumePrune as spec } from "../cli/table.ts";
import { humanSize } from "../units.ts";
import { parseFilters } from "../engine/filters.ts";
import { pruneTakesAll, pruneVolumes, VOLUME_PRUNE_FILTERS } from "../engine/volume_prune.ts";
import { exitOne } from "./exit_codes.ts";

/** Runs `skiff volume prune [-a] [-f] [--filter label=...]`. */
export default async function volumePrune(
  ctx: CommandContext<FlagsOf<typeof spec>>,
): Promise<number> {
  const filters = await exitOne(() =>
    Promise.resolve().then(() => parseFilters(ctx.flags.filter, VOLUME_PRUNE_FILTERS))
  );
  const all = pruneTakesAll(ctx.flags.all, filters);
  const what = all ? "all local volumes" : "anonymous local volumes";
  const warning = `WARNING! This will remove ${what} not used by at least one container.`;
  if (!ctx.flags.force && !(await confirm(warning))) return 0;
  const { deleted, reclaimed } = await pruneVolumes(ctx.global, { all, filters });
  if (deleted.length) console.log(["Deleted Volumes:", ...deleted, ""].join("\n"));
  console.log(`Total reclaimed space: ${humanSize(reclaimed)}`);
  return 0;
}
