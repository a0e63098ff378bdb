/** `skiff inspect`: Docker's JSON for containers or images, whichever the name finds first. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { imageInspect as spec } from "../cli/table.ts";
import { renderInspect } from "../cli/format.ts";
import { inspectObjects } from "../engine/container_inspect.ts";

/** Runs `skiff inspect [-f FORMAT] NAME|ID...`; exits 1 if any object is missing. */
export default async function inspect(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const reports = await inspectObjects(ctx.global, ctx.args);
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
