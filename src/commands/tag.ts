/** `skiff tag SOURCE TARGET`: add a name to a local image. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { tag as spec } from "../cli/table.ts";
import { tagImage } from "../engine/image_tag.ts";

/** Runs `skiff tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]`. */
export default async function tag(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const [source, target] = ctx.args;
  await tagImage(ctx.global, source, target);
  return 0;
}
