/** `skiff inspect`: Docker's JSON for containers or images, whichever the name finds first. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { inspect as spec } from "../cli/table.ts";
import { renderInspect } from "../cli/format.ts";
import { exitOne } from "./exit_codes.ts";
import { inspectObjects, inspectType } from "../engine/container_inspect.ts";

/**
 * Runs `skiff inspect [-f FORMAT] [-s] [--type TYPE] NAME|ID...`; exits 1 if any object is
 * missing.
 */
export default async function inspect(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const type = await exitOne(() => Promise.resolve(ctx.flags.type).then(inspectType));
  const reports = await inspectObjects(ctx.global, ctx.args, { type, size: ctx.flags.size });
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
