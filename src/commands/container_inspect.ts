/** `skiff container inspect`: Docker's JSON for containers. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { containerInspect as spec } from "../cli/table_containers.ts";
import { renderInspect } from "../cli/format.ts";
import { inspectContainers } from "../engine/container_inspect.ts";

/** Runs `skiff container inspect [-f FORMAT] [-s] CONTAINER...`; exits 1 if any is missing. */
export default async function containerInspect(
  ctx: CommandContext<FlagsOf<typeof spec>>,
): Promise<number> {
  const reports = await inspectContainers(ctx.global, ctx.args, { size: ctx.flags.size });
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
