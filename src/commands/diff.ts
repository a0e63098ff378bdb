/** `skiff diff`: inspect changes to files or directories on a container's file system. */
import type { CommandContext } from "../cli/spec.ts";
import { diffContainer } from "../engine/container_files.ts";
import { exitOne } from "./exit_codes.ts";

/** Runs `skiff diff CONTAINER`: one `A|C|D PATH` line per change. */
export default function diff(ctx: CommandContext<Record<never, never>>): Promise<number> {
  // Its errors exit 1, as docker's do (125 is for flags that do not parse).
  return exitOne(async () => {
    const changes = await diffContainer(ctx.global, ctx.args[0]);
    const lines = changes.map((c) => `${c.kind} ${c.path}\n`);
    await Deno.stdout.write(new TextEncoder().encode(lines.join("")));
    return 0;
  });
}
