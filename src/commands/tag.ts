/** `skiff tag SOURCE TARGET`: add a name to a local image. */
import type { CommandContext } from "../cli/spec.ts";
import { openStore } from "../store/store.ts";
import { updateTags } from "../store/images.ts";
import { resolveLocalImage } from "../image/resolve.ts";
import { parseReference } from "../image/reference.ts";
import { InvalidArgumentError } from "../errors.ts";

/** Runs `skiff tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]`. */
export default async function tag(ctx: CommandContext): Promise<number> {
  const [source, target] = ctx.args;
  const ref = parseReference(target);
  if (ref.digest) {
    throw new InvalidArgumentError(`refusing to create a tag with a digest reference: ${target}`);
  }
  const store = await openStore(ctx.global);
  const { record } = await resolveLocalImage(store, source);
  await updateTags(store, (tags) => {
    tags[ref.toString()] = record.id;
  });
  return 0;
}
