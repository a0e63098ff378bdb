/** `skiff inspect`: Docker's JSON for containers or images, whichever the name finds first. */
import type { CommandContext } from "../cli/spec.ts";
import { renderInspect } from "../cli/format.ts";
import { openStore } from "../store/store.ts";
import { readTags } from "../store/images.ts";
import { resolveLocalImage } from "../image/resolve.ts";
import { inspectImage } from "../image/views.ts";
import { findContainer } from "../runtime/container_store.ts";
import { currentState } from "../runtime/state.ts";
import { inspectContainer } from "../runtime/views.ts";
import { NotFoundError } from "../errors.ts";

/** Runs `skiff inspect [-f FORMAT] NAME|ID...`; exits 1 if any object is missing. */
export default async function inspect(ctx: CommandContext): Promise<number> {
  const store = await openStore(ctx.global);
  const tags = await readTags(store);
  const objects: unknown[] = [];
  let failed = false;
  for (const name of ctx.args) {
    try {
      try {
        const rec = await findContainer(store, name);
        objects.push(await inspectContainer(store, rec, await currentState(store, rec)));
        continue;
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
      try {
        const { record } = await resolveLocalImage(store, name, tags);
        objects.push(await inspectImage(store, record, tags));
      } catch (err) {
        if (err instanceof NotFoundError) throw new NotFoundError(`No such object: ${name}`);
        throw err;
      }
    } catch (err) {
      failed = true;
      console.error(`Error: ${(err as Error).message}`);
    }
  }
  if (objects.length || !ctx.flags.format) {
    await Deno.stdout.write(
      new TextEncoder().encode(renderInspect(objects, ctx.flags.format as string | undefined)),
    );
  }
  return failed ? 1 : 0;
}
