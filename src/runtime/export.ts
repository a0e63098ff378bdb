/**
 * `skiff export`: a container's whole file system (its upper directory over
 * the image's layers, mounted read-only in `R/tmp`) as one tar stream. A
 * running container is frozen while it is read, and every entry is reached
 * from its directory's descriptor (writeTar), never through a symlink.
 */
import { writeTar } from "../image/tar_write.ts";
import type { Store } from "../store/store.ts";
import type { ContainerRecord } from "./container_store.ts";
import { containerFreezeControl, withFrozen } from "./freeze.ts";
import { mountContainerRoot } from "./rootfs_mount.ts";

/**
 * Writes the tar of the container's file system to `out` (closed at the
 * end); the temporary mount is removed whatever happens.
 *
 * @example
 * ```ts ignore
 * await exportContainer(store, rec, (await Deno.create("rootfs.tar")).writable);
 * ```
 */
export async function exportContainer(
  store: Store,
  rec: ContainerRecord,
  out: WritableStream<Uint8Array>,
): Promise<void> {
  await withFrozen(containerFreezeControl(store, rec), rec.Name, async () => {
    const m = await mountContainerRoot(store, rec, { writable: false });
    try {
      await writeTar(m.path).pipeTo(out);
    } finally {
      await m.unmount();
    }
  });
}
