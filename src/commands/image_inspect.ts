/** `skiff image inspect`: Docker's JSON for one or more images. */
import type { CommandContext } from "../cli/spec.ts";
import { renderInspect } from "../cli/format.ts";
import { openStore } from "../store/store.ts";
import { readTags } from "../store/images.ts";
import { resolveLocalImage } from "../image/resolve.ts";
import { inspectImage } from "../image/views.ts";

/** Runs `skiff image inspect [-f FORMAT] IMAGE...`; exits 1 if any image is missing. */
export default async function imageInspect(ctx: CommandContext): Promise<number> {
  const store = await openStore(ctx.global);
  const tags = await readTags(store);
  const objects: unknown[] = [];
  let failed = false;
  for (const name of ctx.args) {
    try {
      const { record } = await resolveLocalImage(store, name, tags);
      objects.push(await inspectImage(store, record, tags));
    } catch (err) {
      failed = true;
      console.error(`Error: ${(err as Error).message}`);
    }
  }
  const out = renderInspect(objects, ctx.flags.format as string | undefined);
  if (objects.length || !ctx.flags.format) {
    await Deno.stdout.write(new TextEncoder().encode(out));
  }
  return failed ? 1 : 0;
}
