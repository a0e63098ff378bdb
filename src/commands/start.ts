/** `skiff start`: start stopped containers; with -a, attach to the (single) container. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { start as spec } from "../cli/table_containers.ts";
import { startContainers } from "../engine/container_lifecycle.ts";
import { startAttached } from "../engine/container_attach.ts";
import { ALL_SCOPES, exitCode, printReport, targets } from "./containers.ts";

/** Runs `skiff start [--all] [-a] [-i] CONTAINER...` (`--all`: every container not running). */
export default async function start(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const f = ctx.flags;
  const names = await targets(ctx.global, ctx.args, f.all, ALL_SCOPES.stopped);
  if (!f.attach && !f.interactive) {
    return exitCode(await startContainers(ctx.global, names, printReport()));
  }
  const opts = { interactive: f.interactive, detachKeys: f["detach-keys"] };
  return await startAttached(ctx.global, names, opts) ?? 0;
}
