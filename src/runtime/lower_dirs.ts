/**
 * Where a container's image layers are on the host: the overlay lower
 * directories, top first (used to mount its root and to read its changes).
 */
import { NotFoundError } from "../errors.ts";
import { getLayer, lowerDir } from "../store/layers.ts";
import type { Store } from "../store/store.ts";
import type { ContainerRecord } from "./container_store.ts";

/** Lower directories (top first) of a container's image. */
export async function lowerDirs(store: Store, rec: ContainerRecord): Promise<string[]> {
  const dirs: string[] = [];
  for (const chain of rec.Layers) {
    const meta = await getLayer(store, chain);
    if (!meta) {
      throw new NotFoundError(
        `layer ${chain} of container ${rec.Name} is missing from the store`,
      );
    }
    dirs.push(lowerDir(store, meta));
  }
  return dirs.reverse();
}
