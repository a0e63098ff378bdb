/**
 * Podman's `container exists`, `image exists` and `volume exists`: whether a name or id is
 * known to the store, for scripts (`if skiff image exists busybox; then ...`). Nothing is
 * created to answer.
 *
 * @module
 */
import { NotFoundError } from "../errors.ts";
import { resolveLocalImage } from "../image/resolve.ts";
import { findContainer } from "../runtime/container_store.ts";
import { resolveStorePaths } from "../store/paths.ts";
import { storeLayout } from "../store/store.ts";
import { getVolume } from "../store/volumes.ts";
import type { StoreOptions } from "./engine_types.ts";

/** The kinds of object `exists` answers for. */
export type ExistsKind = "container" | "image" | "volume";

/**
 * Whether the object exists; a lookup that fails for another reason (an ambiguous id prefix,
 * an unreadable store) is an error, not a no.
 *
 * @example
 * ```ts ignore
 * await objectExists({}, "image", "busybox"); // true
 * ```
 */
export async function objectExists(
  where: StoreOptions,
  kind: ExistsKind,
  ref: string,
): Promise<boolean> {
  const store = storeLayout(resolveStorePaths(where));
  try {
    if (kind === "container") await findContainer(store, ref);
    else if (kind === "image") await resolveLocalImage(store, ref);
    else return (await getVolume(store, ref)) !== undefined;
    return true;
  } catch (err) {
    if (err instanceof NotFoundError) return false;
    throw err;
  }
}
