/**
 * `container prune`: removing every stopped (exited, created or dead) container, narrowed by
 * Docker's `until` and `label` / `label!=` filters.
 *
 * @module
 */
import { emitContainerEvent } from "./events.ts";
import { openStore } from "../store/store.ts";
import { diskUsage } from "../store/disk_usage.ts";
import { containerDir, listContainers } from "../runtime/container_store.ts";
import { removeContainer } from "../runtime/remove.ts";
import { currentState } from "../runtime/state.ts";
import { hasEnded } from "../runtime/status.ts";
import type { StoreOptions } from "./engine_types.ts";
import { labelsMatch, type PruneFilters, pruneFilters } from "./filters.ts";
import { releaseNetworks } from "./container_network.ts";

/** The checked filters of `container prune`. */
export type ContainerPruneFilters = PruneFilters;

/** What a prune removed, the bytes their writable layers took, and what it could not remove. */
export interface ContainerPruneReport {
  deleted: string[];
  reclaimed: number;
  errors: Error[];
}

/** Parses `container prune --filter` values (see {@linkcode pruneFilters}). */
export const containerPruneFilters: (raw: readonly string[]) => PruneFilters = pruneFilters;

/**
 * Removes the stopped containers the filters select; a container that cannot be removed is
 * reported and the others are still removed.
 *
 * @example
 * ```ts ignore
 * const { deleted, reclaimed } = await pruneContainers({}, containerPruneFilters([]));
 * ```
 */
export async function pruneContainers(
  where: StoreOptions,
  filters: ContainerPruneFilters,
): Promise<ContainerPruneReport> {
  const store = await openStore(where);
  const report: ContainerPruneReport = { deleted: [], reclaimed: 0, errors: [] };
  for (const rec of await listContainers(store)) {
    const state = await currentState(store, rec);
    if (!hasEnded(state.Status)) continue;
    if (filters.until !== undefined && new Date(rec.Created).getTime() >= filters.until) continue;
    if (!labelsMatch(rec.Labels, filters.labels, filters.notLabels)) continue;
    const size = await diskUsage(`${containerDir(store, rec.Id)}/upper`);
    try {
      await removeContainer(store, rec, { force: false, volumes: false });
      await releaseNetworks(store, rec);
      report.deleted.push(rec.Id);
      await emitContainerEvent(store, rec, "destroy");
      report.reclaimed += size;
    } catch (err) {
      report.errors.push(err instanceof Error ? err : new Error(String(err)));
    }
  }
  return report;
}
