/** `skiff builder prune`: remove build cache, asking first as `docker builder prune` does. */
import { confirm } from "../cli/confirm.ts";
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { builderPrune as spec } from "../cli/table.ts";
import { checkBuilderPrune, pruneBuildCache } from "../engine/build_cache.ts";
import { humanSize } from "../units.ts";

/** Runs `skiff builder prune [-a] [-f] [--filter until=...] [--keep-storage SIZE]`. */
export default async function builderPrune(
  ctx: CommandContext<FlagsOf<typeof spec>>,
): Promise<number> {
  const f = ctx.flags;
  const req = checkBuilderPrune({
    all: f.all,
    filters: f.filter,
    keepStorage: f["keep-storage"],
  });
  const warning = f.all
    ? "WARNING! This will remove all build cache."
    : "WARNING! This will remove all dangling build cache.";
  if (!f.force && !(await confirm(warning))) return 0;
  const r = await pruneBuildCache(ctx.global, req);
  if (r.deleted.length) console.log(["Deleted build cache objects:", ...r.deleted, ""].join("\n"));
  console.log(`Total reclaimed space: ${humanSize(r.reclaimed)}`);
  return 0;
}
