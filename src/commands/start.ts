/** `skiff start`: start stopped containers; with -a, attach to the (single) container. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { start as spec } from "../cli/table_containers.ts";
import { startContainers } from "../engine/container_lifecycle.ts";
import { startAttached } from "../engine/container_attach.ts";
import { exitCode, printReport } from "./containers.ts";

/** Runs `skiff start [-a] [-i] CONTAINER...`. */
export default async function start(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const f = ctx.flags;
  if (!f.attach && !f.interactive) {
    return exitCode(await startContainers(ctx.global, ctx.args, printReport()));
  }
  const opts = { interactive: f.interactive, detachKeys: f["detach-keys"] };
  return await startAttached(ctx.global, ctx.args, opts) ?? 0;
}
