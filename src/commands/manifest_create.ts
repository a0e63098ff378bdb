/** `skiff manifest create`: a local manifest list. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { manifestCreate as spec } from "../cli/table_manifest.ts";
import { createManifestList } from "../engine/manifest_lists.ts";
import { exitOne } from "./exit_codes.ts";

/** Runs `skiff manifest create [-a] [--insecure] LIST IMAGE...`; prints what it created. */
export default async function manifestCreate(
  ctx: CommandContext<FlagsOf<typeof spec>>,
): Promise<number> {
  const name = await exitOne(() =>
    createManifestList(ctx.global, {
      list: ctx.args[0],
      images: ctx.args.slice(1),
      amend: ctx.flags.amend,
      insecure: ctx.flags.insecure,
    })
  );
  console.log(`Created manifest list ${name}`);
  return 0;
}
