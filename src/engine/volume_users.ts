/** Which containers use which volume: what `volume ls`, `volume rm` and `volume prune` check. */
import { listContainers } from "../runtime/container_store.ts";
import { anonymousVolumeName } from "../runtime/volumes.ts";
import type { Store } from "../store/store.ts";

/**
 * Names of volumes used by containers (in any state), each with the ids of the containers
 * using it.
 *
 * @example
 * ```ts ignore
 * (await volumeUsers(store)).get("data"); // ["3f2a..."]
 * ```
 */
export async function volumeUsers(store: Store): Promise<Map<string, string[]>> {
  const users = new Map<string, string[]>();
  for (const rec of await listContainers(store)) {
    for (const m of rec.Options.mounts) {
      if (m.type !== "volume") continue;
      const name = m.name ?? await anonymousVolumeName(rec.Id, m.target);
      users.set(name, [...(users.get(name) ?? []), rec.Id]);
    }
  }
  return users;
}
