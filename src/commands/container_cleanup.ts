/** `skiff container cleanup`: run by a container's monitor after the container exited. */
import type { CommandContext } from "../cli/spec.ts";
import { openStore } from "../store/store.ts";
import { getContainer } from "../runtime/container_store.ts";
import { cleanupContainer } from "../runtime/remove.ts";
import { findContainer } from "../runtime/container_store.ts";

/** Runs `skiff container cleanup ID`. */
export default async function cleanup(ctx: CommandContext): Promise<number> {
  const store = await openStore(ctx.global);
  const rec = await getContainer(store, ctx.args[0]) ?? await findContainer(store, ctx.args[0]);
  await cleanupContainer(store, rec);
  return 0;
}
