/** `skiff rm`: remove containers (-f kills running ones, -v removes anonymous volumes). */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { rm as spec } from "../cli/table_containers.ts";
import { removeContainers } from "../engine/container_lifecycle.ts";
import { withDependents } from "../engine/container_depend.ts";
import type { TargetReport } from "../engine/container_targets.ts";
import { FailedPreconditionError } from "../errors.ts";
import { ALL_SCOPES, exitCode, missing, printReport, targets } from "./containers.ts";
import { exitOne } from "./exit_codes.ts";

/**
 * Runs `skiff rm [-a] [-f] [-i] [-v] [--depend] CONTAINER...`. With -f (or Podman's -i) a name
 * that does not exist is passed over silently, as Docker does, so that teardown scripts under
 * `set -e` can run twice. `--all` takes every container; `--depend` removes the containers
 * that join a target's namespaces first. Legacy links (`--link`) do not exist in skiff.
 */
export default async function rm(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const f = ctx.flags;
  if (f.link) {
    await exitOne(() =>
      Promise.reject(
        new FailedPreconditionError(
          "--link: skiff has no legacy container links to remove (containers on a user-defined network reach each other by name)",
        ),
      )
    );
  }
  const opts = { force: f.force, volumes: f.volumes };
  // -f: a missing name is reported but does not fail, as docker 20.10 does; --ignore: silent
  const gone = (r: TargetReport<void>) => (f.force || f.ignore) && missing(r);
  let names = await targets(ctx.global, ctx.args, f.all, ALL_SCOPES.any);
  if (f.depend) names = await withDependents(ctx.global, names);
  const print = printReport<void>();
  const reports = await removeContainers(ctx.global, names, opts, (r) => {
    if (!(f.ignore && missing(r))) return print(r);
  });
  return exitCode(reports.filter((r) => !gone(r)));
}
