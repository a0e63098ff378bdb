/** `skiff manifest rm`: delete local manifest lists. */
import type { CommandContext } from "../cli/spec.ts";
import { removeManifestLists } from "../engine/manifest_lists.ts";

/** Runs `skiff manifest rm LIST...`: one error line per list that could not be removed. */
export default async function manifestRm(ctx: CommandContext): Promise<number> {
  const reports = await removeManifestLists(ctx.global, ctx.args);
  const failed = reports.filter((r) => !r.ok);
  for (const r of failed) if (!r.ok) console.error(`Error: ${r.error.message}`);
  return failed.length ? 1 : 0;
}
