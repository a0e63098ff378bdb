/** `skiff stop`: stop signal, then SIGKILL after the timeout; one report per container. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { stop as spec } from "../cli/table_containers.ts";
import { stopContainers } from "../engine/container_lifecycle.ts";
import { ALL_SCOPES, exitCode, missing, printReport, targets } from "./containers.ts";

/**
 * Runs `skiff stop [-a] [-i] [-t SECONDS] [-s SIGNAL] CONTAINER...`; `--all` takes every
 * running container and `--ignore` passes over names that do not exist, as Podman does.
 */
export default async function stop(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const f = ctx.flags;
  const opts = { timeout: f.time, signal: f.signal };
  const names = await targets(ctx.global, ctx.args, f.all, ALL_SCOPES.running);
  const print = printReport<void>();
  const reports = await stopContainers(ctx.global, names, opts, (r) => {
    if (!(f.ignore && missing(r))) return print(r);
  });
  return exitCode(reports.filter((r) => !(f.ignore && missing(r))));
}
