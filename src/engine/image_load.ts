/** `load`: images from a tar archive (docker-archive or OCI layout). */
import { emitImageEvent } from "./events.ts";
import { loadArchive, type LoadedImage } from "../image/archive_load.ts";
import { removeStaleScratch } from "../image/gc.ts";
import { openStore } from "../store/store.ts";
import type { StoreOptions } from "./engine_types.ts";

export type { LoadedImage };

/**
 * Loads every image of the archive read from `input` and tags it as the archive says.
 *
 * @example
 * ```ts ignore
 * const loaded = await loadImages({}, (await Deno.open("busybox.tar")).readable);
 * ```
 */
export async function loadImages(
  where: StoreOptions,
  input: ReadableStream<Uint8Array>,
): Promise<LoadedImage[]> {
  const store = await openStore(where);
  await removeStaleScratch(store); // what a killed pull or load left behind
  const loaded = await loadArchive(store, input);
  for (const image of loaded) {
    await emitImageEvent(store, "load", image.id, image.names[0] ?? image.id);
  }
  return loaded;
}
