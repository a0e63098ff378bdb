/** `skiff manifest add`: Podman's verb to add an image to a local manifest list. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { manifestAdd as spec } from "../cli/table_manifest.ts";
import { addToManifestList } from "../engine/manifest_lists.ts";
import { exitOne } from "./exit_codes.ts";

/** Runs `skiff manifest add [--arch A] [--os O] ... LIST IMAGE`; prints the list's new digest. */
export default async function manifestAdd(
  ctx: CommandContext<FlagsOf<typeof spec>>,
): Promise<number> {
  const f = ctx.flags;
  const digest = await exitOne(() =>
    addToManifestList(ctx.global, {
      list: ctx.args[0],
      image: ctx.args[1],
      changes: {
        arch: f.arch,
        os: f.os,
        osVersion: f["os-version"],
        osFeatures: f["os-features"].flatMap((v) => v.split(",")).filter((v) => v !== ""),
        variant: f.variant,
      },
      insecure: f.insecure || !f["tls-verify"],
    })
  );
  console.log(digest);
  return 0;
}
