/** `skiff inspect`: Docker's JSON for containers or images, whichever the name finds first. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { imageInspect as spec } from "../cli/table.ts";
import { renderInspect } from "../cli/format.ts";
import { openStore } from "../store/store.ts";
import { inspectImages } from "../engine/image_inspect.ts";
import { findContainer } from "../runtime/container_store.ts";
import { currentState } from "../runtime/state.ts";
import { inspectContainer } from "../runtime/views.ts";
import { NotFoundError } from "../errors.ts";

/** Runs `skiff inspect [-f FORMAT] NAME|ID...`; exits 1 if any object is missing. */
export default async function inspect(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const store = await openStore(ctx.global);
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
      const [image] = await inspectImages(ctx.global, [name]);
      if (image.ok) objects.push(image.value);
      else if (image.error instanceof NotFoundError) {
        throw new NotFoundError(`No such object: ${name}`);
      } else throw image.error;
    } catch (err) {
      failed = true;
      console.error(`Error: ${(err as Error).message}`);
    }
  }
  if (objects.length || !ctx.flags.format) {
    await Deno.stdout.write(
      new TextEncoder().encode(renderInspect(objects, ctx.flags.format)),
    );
  }
  return failed ? 1 : 0;
}
