/** `skiff system reset`: remove everything in the store, as `podman system reset` does. */
import { confirm } from "../cli/confirm.ts";
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { systemReset as spec } from "../cli/table.ts";
import { resetStore } from "../engine/system_reset.ts";
import { resolveStorePaths } from "../store/paths.ts";

/** Runs `skiff system reset [-f]`. */
export default async function systemReset(
  ctx: CommandContext<FlagsOf<typeof spec>>,
): Promise<number> {
  const { root, runroot } = resolveStorePaths(ctx.global);
  const warning = [
    "WARNING! This will remove:",
    "        - all containers",
    "        - all images",
    "        - all networks",
    "        - all build cache",
    "        - all volumes",
    `        - the graphRoot directory: "${root}"`,
    `        - the runRoot directory: "${runroot}"`,
  ].join("\n");
  if (!ctx.flags.force && !(await confirm(warning))) return 0;
  const { errors } = await resetStore(ctx.global);
  for (const err of errors) console.error(`Error: ${err.message}`);
  return errors.length ? 1 : 0;
}
