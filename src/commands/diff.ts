/** `skiff diff`: inspect changes to files or directories on a container's file system. */
import type { CommandContext } from "../cli/spec.ts";
import { diffContainer } from "../engine/container_files.ts";

/** Runs `skiff diff CONTAINER`: one `A|C|D PATH` line per change. */
export default async function diff(ctx: CommandContext<Record<never, never>>): Promise<number> {
  const lines = (await diffContainer(ctx.global, ctx.args[0])).map((c) => `${c.kind} ${c.path}\n`);
  await Deno.stdout.write(new TextEncoder().encode(lines.join("")));
  return 0;
}
