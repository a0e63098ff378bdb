/** `tag`: adding a name to a local image. */
import { emitImageEvent } from "./events.ts";
import { InvalidArgumentError } from "../errors.ts";
import { familiarName, parseReference } from "../image/reference.ts";
import { resolveLocalImage } from "../image/resolve.ts";
import { updateTags } from "../store/images.ts";
import { openStore } from "../store/store.ts";
import type { StoreOptions } from "./engine_types.ts";

/**
 * Points the name `target` at the image `source` names; returns the full target name. A
 * digest reference is refused as a target.
 *
 * @example
 * ```ts ignore
 * await tagImage({}, "busybox", "localhost:5000/mine:1"); // "localhost:5000/mine:1"
 * ```
 */
export async function tagImage(
  where: StoreOptions,
  source: string,
  target: string,
): Promise<string> {
  const ref = parseReference(target);
  if (ref.digest) {
    throw new InvalidArgumentError(`refusing to create a tag with a digest reference: ${target}`);
  }
  const store = await openStore(where);
  const { record } = await resolveLocalImage(store, source);
  await updateTags(store, (tags) => {
    tags[ref.toString()] = record.id;
  });
  await emitImageEvent(store, "tag", record.id, familiarName(ref));
  return ref.toString();
}
