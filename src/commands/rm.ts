/** `skiff rm`: remove containers (-f kills running ones, -v removes anonymous volumes). */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { rm as spec } from "../cli/table_containers.ts";
import { removeContainers } from "../engine/container_lifecycle.ts";
import type { TargetReport } from "../engine/container_targets.ts";
import { NotFoundError } from "../errors.ts";
import { exitCode, printReport } from "./containers.ts";

/**
 * Runs `skiff rm [-f] [-v] CONTAINER...`. With -f a name that does not exist is passed over
 * silently, as Docker does, so that teardown scripts under `set -e` can run twice.
 */
export default async function rm(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const opts = { force: ctx.flags.force, volumes: ctx.flags.volumes };
  const gone = (r: TargetReport<void>) => opts.force && !r.ok && r.error instanceof NotFoundError;
  const print = printReport<void>();
  const reports = await removeContainers(ctx.global, ctx.args, opts, (r) => {
    if (!gone(r)) return print(r);
  });
  return exitCode(reports.filter((r) => !gone(r)));
}
