/** `skiff tag SOURCE TARGET`: add a name to a local image. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { tag as spec } from "../cli/table.ts";
import { tagImage } from "../engine/image_tag.ts";
import { exitOne } from "./exit_codes.ts";
import { InvalidArgumentError } from "../errors.ts";
import { taggedNotFound } from "./image_words.ts";
import { parseReference } from "../image/reference.ts";

/** Whether `name` parses as an image reference. */
function validReference(name: string): boolean {
  try {
    parseReference(name);
    return true;
  } catch {
    return false;
  }
}

/** Runs `skiff tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]`; its errors exit 1, as Docker's do. */
export default async function tag(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const [source, target] = ctx.args;
  // a bad target is named in docker's CLI words; a missing source with its default tag
  await exitOne(() =>
    taggedNotFound(source, () => tagImage(ctx.global, source, target)).catch((err) => {
      if (err instanceof InvalidArgumentError && !validReference(target)) {
        err.message =
          `Error parsing reference: "${target}" is not a valid repository/tag: ${err.message}`;
      }
      throw err;
    })
  );
  return 0;
}
