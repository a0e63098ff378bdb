/** `skiff rm`: remove containers (-f kills running ones, -v removes anonymous volumes). */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { rm as spec } from "../cli/table_containers.ts";
import { removeContainers } from "../engine/container_lifecycle.ts";
import { exitCode, printReport } from "./containers.ts";

/** Runs `skiff rm [-f] [-v] CONTAINER...`. */
export default async function rm(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const opts = { force: ctx.flags.force, volumes: ctx.flags.volumes };
  return exitCode(await removeContainers(ctx.global, ctx.args, opts, printReport()));
}
