/** `skiff image inspect`: Docker's JSON for one or more images. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { imageInspect as spec } from "../cli/table.ts";
import { renderInspect } from "../cli/format.ts";
import { inspectImages } from "../engine/image_inspect.ts";

/** Runs `skiff image inspect [-f FORMAT] IMAGE...`; exits 1 if any image is missing. */
export default async function imageInspect(
  ctx: CommandContext<FlagsOf<typeof spec>>,
): Promise<number> {
  const reports = await inspectImages(ctx.global, ctx.args);
  const objects: unknown[] = [];
  for (const r of reports) {
    if (r.ok) objects.push(r.value);
    else console.error(`Error: ${r.error.message}`);
  }
  const out = renderInspect(objects, ctx.flags.format);
  if (objects.length || !ctx.flags.format) {
    await Deno.stdout.write(new TextEncoder().encode(out));
  }
  return reports.every((r) => r.ok) ? 0 : 1;
}
