/** `skiff manifest push`: push a local manifest list (and the images it names) to its registry. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { manifestPush as spec } from "../cli/table_manifest.ts";
import { pushManifestList } from "../engine/manifest_remote.ts";
import { exitOne } from "./exit_codes.ts";

/**
 * Runs `skiff manifest push [-p] [--insecure] LIST`; prints each image it put into the list's
 * repository, then the list's digest.
 */
export default async function manifestPush(
  ctx: CommandContext<FlagsOf<typeof spec>>,
): Promise<number> {
  const digest = await exitOne(() =>
    pushManifestList(ctx.global, {
      list: ctx.args[0],
      purge: ctx.flags.purge,
      insecure: ctx.flags.insecure,
      // docker's line for each image put into the list's repository
      pushedRef: (ref, digest) => console.log(`Pushed ref ${ref} with digest: ${digest}`),
    })
  );
  console.log(digest);
  return 0;
}
