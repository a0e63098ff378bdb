/** `skiff manifest inspect`: show a manifest list or an image manifest, local or remote. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { manifestInspect as spec } from "../cli/table_manifest.ts";
import { inspectManifest } from "../engine/manifest_remote.ts";
import { exitOne } from "./exit_codes.ts";

/** Runs `skiff manifest inspect [-v] [--insecure] [LIST] IMAGE`; prints the JSON. */
export default async function manifestInspect(
  ctx: CommandContext<FlagsOf<typeof spec>>,
): Promise<number> {
  const two = ctx.args.length === 2;
  const text = await exitOne(() =>
    inspectManifest(ctx.global, {
      list: two ? ctx.args[0] : undefined,
      image: two ? ctx.args[1] : ctx.args[0],
      verbose: ctx.flags.verbose,
      insecure: ctx.flags.insecure,
    })
  );
  console.log(text);
  return 0;
}
