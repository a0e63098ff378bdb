/** `skiff volume inspect`: docker's JSON for volumes. */
import { renderInspect } from "../cli/format.ts";
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { volumeInspect as spec } from "../cli/table.ts";
import { inspectVolumes } from "../engine/volume_inspect.ts";

/** Runs `skiff volume inspect [-f FORMAT] VOLUME...`; exits 1 if any is missing. */
export default async function volumeInspect(
  ctx: CommandContext<FlagsOf<typeof spec>>,
): Promise<number> {
  const reports = await inspectVolumes(ctx.global, ctx.args);
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
