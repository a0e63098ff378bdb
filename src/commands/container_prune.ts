/** `skiff container prune`: remove every stopped (exited or created) container. */
import { confirm } from "../cli/confirm.ts";
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { containerPrune as spec } from "../cli/table_containers.ts";
import { humanSize } from "../units.ts";
import { containerPruneFilters, pruneContainers } from "../engine/container_prune.ts";

/** Runs `skiff container prune [-f] [--filter until=...] [--filter label=...]`. */
export default async function containerPrune(
  ctx: CommandContext<FlagsOf<typeof spec>>,
): Promise<number> {
  const filters = containerPruneFilters(ctx.flags.filter);
  if (
    !ctx.flags.force && !(await confirm("WARNING! This will remove all stopped containers."))
  ) return 0;
  const { deleted, reclaimed, errors } = await pruneContainers(ctx.global, filters);
  for (const err of errors) console.error(`Error: ${err.message}`);
  if (deleted.length) console.log(["Deleted Containers:", ...deleted, ""].join("\n"));
  console.log(`Total reclaimed space: ${humanSize(reclaimed)}`);
  return errors.length ? 1 : 0;
}
