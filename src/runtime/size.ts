/**
 * Disk usage of a container's writable layer (its overlay upper directory),
 * for `ps -s` and `inspect -s`. Symlinks are not followed; hard links count once.
 */
import { diskUsage } from "../store/disk_usage.ts";
import type { Store } from "../store/store.ts";
import { containerDir } from "./container_store.ts";

/**
 * Bytes used by the files in a container's upper directory.
 *
 * @example
 * ```ts ignore
 * await writableLayerSize(store, rec.Id); // 4096
 * ```
 */
export function writableLayerSize(store: Store, id: string): Promise<number> {
  return diskUsage(`${containerDir(store, id)}/upper`);
}
