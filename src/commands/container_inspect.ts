/** `skiff container inspect`: Docker's JSON for containers. */
import type { CommandContext } from "../cli/spec.ts";
import { renderInspect } from "../cli/format.ts";
import { openStore } from "../store/store.ts";
import { findContainer } from "../runtime/container_store.ts";
import { currentState } from "../runtime/state.ts";
import { inspectContainer } from "../runtime/views.ts";
import { writableLayerSize } from "../runtime/size.ts";
import { getImage } from "../store/images.ts";

/** Runs `skiff container inspect [-f FORMAT] CONTAINER...`; exits 1 if any is missing. */
export default async function containerInspect(ctx: CommandContext): Promise<number> {
  const store = await openStore(ctx.global);
  const objects: unknown[] = [];
  let failed = false;
  for (const name of ctx.args) {
    try {
      const rec = await findContainer(store, name);
      const obj = await inspectContainer(store, rec, await currentState(store, rec));
      if (ctx.flags.size === true) {
        const rw = await writableLayerSize(store, rec.Id);
        const image = await getImage(store, rec.Image).catch(() => undefined);
        obj.SizeRw = rw;
        obj.SizeRootFs = rw + (image?.size ?? 0);
      }
      objects.push(obj);
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
