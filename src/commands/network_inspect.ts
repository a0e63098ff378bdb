/** `skiff network inspect`: Docker's JSON for networks. */
import { renderInspect } from "../cli/format.ts";
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { networkInspect as spec } from "../cli/table_networks.ts";
import { inspectNetworks } from "../engine/networks.ts";

/** Runs `skiff network inspect [-f FORMAT] NETWORK...`; exits 1 if any is missing. */
export default async function networkInspect(
  ctx: CommandContext<FlagsOf<typeof spec>>,
): Promise<number> {
  const reports = await inspectNetworks(ctx.global, ctx.args);
  const objects: unknown[] = [];
  for (const r of reports) {
    if (r.ok) objects.push(r.value);
    else console.error(`Error: ${r.error.message}`);
  }
  if (objects.length || !ctx.flags.format) {
    await Deno.stdout.write(new TextEncoder().encode(renderInspect(objects, ctx.flags.format)));
  }
  return reports.every((r) => r.ok) ? 0 : 1;
}
