/** `skiff diff`: inspect changes to files or directories on a container's file system. */
import type { CommandContext } from "../cli/spec.ts";
import { findContainer } from "../runtime/container_store.ts";
import { containerChanges } from "../runtime/diff.ts";
import { openStore } from "../store/store.ts";

/** Runs `skiff diff CONTAINER`: one `A|C|D PATH` line per change. */
export default async function diff(ctx: CommandContext): Promise<number> {
  const store = await openStore(ctx.global);
  const rec = await findContainer(store, ctx.args[0]);
  const lines = (await containerChanges(store, rec)).map((c) => `${c.kind} ${c.path}\n`);
  await Deno.stdout.write(new TextEncoder().encode(lines.join("")));
  return 0;
}
