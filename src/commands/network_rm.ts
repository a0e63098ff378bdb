/** `skiff network rm`: remove networks no container uses. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { networkRm as spec } from "../cli/table_networks.ts";
import { removeNetworks } from "../engine/networks.ts";

/** Runs `skiff network rm [-f] NETWORK...`: one line per removed network, one error per failure. */
export default async function networkRm(
  ctx: CommandContext<FlagsOf<typeof spec>>,
): Promise<number> {
  const reports = await removeNetworks(ctx.global, ctx.args, { force: ctx.flags.force });
  for (const r of reports) {
    if (!r.ok) console.error(`Error: ${r.error.message}`);
    else if (r.value.removed) console.log(r.target);
  }
  return reports.every((r) => r.ok) ? 0 : 1;
}
