/** `skiff tag SOURCE TARGET`: add a name to a local image. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { tag as spec } from "../cli/table.ts";
import { tagImage } from "../engine/image_tag.ts";
import { exitOne } from "./exit_codes.ts";

/** Runs `skiff tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]`; its errors exit 1, as Docker's do. */
export default async function tag(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const [source, target] = ctx.args;
  await exitOne(() => tagImage(ctx.global, source, target));
  return 0;
}
