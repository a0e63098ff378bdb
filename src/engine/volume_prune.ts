/**
 * `volume prune`: removing volumes no container uses: all of them, as docker 20.10 and podman
 * do; `--filter all=false` keeps named ones (docker 23's default, which `-a`/`all=true` undo
 * there: both are accepted here and change nothing).
 */
import { emitVolumeEvent } from "./events.ts";
import { diskUsage } from "../store/disk_usage.ts";
import { withLock } from "../store/lock.ts";
import { openStore } from "../store/store.ts";
import { listVolumes, removeVolume } from "../store/volumes.ts";
import type { StoreOptions } from "./engine_types.ts";
import type { Filters } from "./filters.ts";
import { filterVolumes } from "./volume_list.ts";
import { volumeUsers } from "./volume_users.ts";

/** The filter keys `volume prune` takes (`all=true` is the same as `--all`). */
export const VOLUME_PRUNE_FILTERS = ["label", "label!", "all"] as const;

/** What `volume prune` removed and the bytes their content took. */
export interface VolumePruneReport {
  deleted: string[];
  reclaimed: number;
}

/**
 * Whether a prune takes named volumes too: yes unless the `all` filter says false (or 0)
 * and `--all` is not given.
 *
 * @example
 * ```ts
 * pruneTakesAll(false, new Map([["all", ["false"]]])); // false
 * ```
 */
export function pruneTakesAll(all: boolean, filters: Filters): boolean {
  const value = filters.get("all")?.at(-1);
  return all || !(value === "false" || value === "0");
}

/**
 * Removes every unused volume matching the label filters (anonymous ones only when `all` is
 * false).
 *
 * @example
 * ```ts ignore
 * const { deleted, reclaimed } = await pruneVolumes({}, { all: true, filters: new Map() });
 * ```
 */
export async function pruneVolumes(
  where: StoreOptions,
  opts: { all?: boolean; filters?: Filters },
): Promise<VolumePruneReport> {
  const filters: Filters = opts.filters ?? new Map();
  const everything = pruneTakesAll(opts.all === true, filters);
  const store = await openStore(where);
  const deleted: string[] = [];
  let reclaimed = 0;
  await withLock(`${store.locks}/names.lock`, async () => {
    const users = await volumeUsers(store);
    for (const v of filterVolumes(await listVolumes(store), filters, users)) {
      if (users.has(v.Name) || (!everything && !v.Anonymous)) continue;
      const size = await diskUsage(v.Mountpoint);
      await removeVolume(store, v.Name);
      deleted.push(v.Name);
      reclaimed += size;
    }
  });
  for (const name of deleted) await emitVolumeEvent(store, "destroy", name);
  return { deleted, reclaimed };
}
