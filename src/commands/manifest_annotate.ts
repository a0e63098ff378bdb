/** `skiff manifest annotate`: change the platform of an image in a local manifest list. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { manifestAnnotate as spec } from "../cli/table_manifest.ts";
import { annotateManifestList } from "../engine/manifest_lists.ts";
import { exitOne } from "./exit_codes.ts";

/** Runs `skiff manifest annotate [--arch A] [--os O] ... LIST IMAGE`; prints nothing. */
export default async function manifestAnnotate(
  ctx: CommandContext<FlagsOf<typeof spec>>,
): Promise<number> {
  const f = ctx.flags;
  await exitOne(() =>
    annotateManifestList(ctx.global, ctx.args[0], ctx.args[1], {
      arch: f.arch,
      os: f.os,
      osVersion: f["os-version"],
      osFeatures: f["os-features"].flatMap((v) => v.split(",")).filter((v) => v !== ""),
      variant: f.variant,
    })
  );
  return 0;
}
