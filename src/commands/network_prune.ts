/** `skiff network prune`: remove every user-defined network no container uses. */
import { confirm } from "../cli/confirm.ts";
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { networkPrune as spec } from "../cli/table_networks.ts";
import { networkPruneFilters, pruneNetworks } from "../engine/networks.ts";

/** Runs `skiff network prune [-f] [--filter until=...] [--filter label=...]`. */
export default async function networkPrune(
  ctx: CommandContext<FlagsOf<typeof spec>>,
): Promise<number> {
  const filters = networkPruneFilters(ctx.flags.filter);
  const warning =
    "WARNING! This will remove all custom networks not used by at least one container.";
  if (!ctx.flags.force && !(await confirm(warning))) return 0;
  const deleted = await pruneNetworks(ctx.global, filters);
  if (deleted.length) console.log(["Deleted Networks:", ...deleted, ""].join("\n"));
  return 0;
}
