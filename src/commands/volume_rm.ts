/** `skiff volume rm`: remove volumes no container uses. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { volumeRm as spec } from "../cli/table.ts";
import { removeVolumes } from "../engine/volume_remove.ts";

/** Runs `skiff volume rm [-f] VOLUME...`: one line per removed volume, one error per failure. */
export default async function volumeRm(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const reports = await removeVolumes(ctx.global, ctx.args, { force: ctx.flags.force });
  for (const r of reports) {
    if (!r.ok) console.error(`Error: ${r.error.message}`);
    else if (r.value.removed) console.log(r.target);
  }
  return reports.every((r) => r.ok) ? 0 : 1;
}
