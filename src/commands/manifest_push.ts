/** `skiff manifest push`: push a local manifest list (and the images it names) to its registry. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { manifestPush as spec } from "../cli/table_manifest.ts";
import { pushManifestList } from "../engine/manifest_remote.ts";
import { exitOne } from "./exit_codes.ts";

/** Runs `skiff manifest push [-p] [--insecure] LIST`; prints the pushed list's digest. */
export default async function manifestPush(
  ctx: CommandContext<FlagsOf<typeof spec>>,
): Promise<number> {
  const digest = await exitOne(() =>
    pushManifestList(ctx.global, {
      list: ctx.args[0],
      purge: ctx.flags.purge,
      insecure: ctx.flags.insecure,
    })
  );
  console.log(digest);
  return 0;
}
