/** Listing volumes with docker's `volume ls` filters, and which containers use each. */
import { openStore } from "../store/store.ts";
import { listVolumes, type VolumeRecord } from "../store/volumes.ts";
import { type Filters, labelsMatch } from "./filters.ts";
import type { StoreOptions } from "./engine_types.ts";
import { volumeUsers } from "./volume_users.ts";

/** The filter keys `volume ls` takes. */
export const VOLUME_LIST_FILTERS = ["name", "dangling", "driver", "label"] as const;

/** One listed volume and the ids of the containers using it. */
export interface VolumeListEntry {
  volume: VolumeRecord;
  users: string[];
}

/**
 * Keeps the volumes matching docker's `volume ls` filters: name (substring), dangling (no
 * container uses it), driver, label (`key` or `key=value`). Other keys are ignored.
 *
 * @example
 * ```ts ignore
 * filterVolumes(volumes, new Map([["dangling", ["true"]]]), users);
 * ```
 */
export function filterVolumes(
  volumes: VolumeRecord[],
  filters: Filters,
  users: Map<string, string[]>,
): VolumeRecord[] {
  return volumes.filter((v) => {
    const names = filters.get("name");
    if (names && !names.some((n) => v.Name.includes(n))) return false;
    const dangling = filters.get("dangling");
    if (dangling) {
      const want = ["true", "1"].includes(dangling[dangling.length - 1]);
      if (users.has(v.Name) === want) return false;
    }
    const drivers = filters.get("driver");
    if (drivers && !drivers.includes(v.Driver)) return false;
    const labels = filters.get("label");
    const notLabels = filters.get("label!"); // prune's `label!=`
    if ((labels || notLabels) && !labelsMatch(v.Labels, labels ?? [], notLabels ?? [])) {
      return false;
    }
    return true;
  });
}

/**
 * The volumes matching `filters`, by name, each with its users.
 *
 * @example
 * ```ts ignore
 * const entries = await listVolumeEntries({}, new Map([["label", ["app"]]]));
 * ```
 */
export async function listVolumeEntries(
  where: StoreOptions,
  filters: Filters = new Map(),
): Promise<VolumeListEntry[]> {
  const store = await openStore(where);
  const users = await volumeUsers(store);
  return filterVolumes(await listVolumes(store), filters, users).map((volume) => ({
    volume,
    users: users.get(volume.Name) ?? [],
  }));
}
