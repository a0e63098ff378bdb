/**
 * `container prune`: removing every stopped (exited, created or dead) container, narrowed by
 * Docker's `until` and `label` / `label!=` filters.
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.ts";
import { parseTimestamp } from "../units.ts";
import { openStore } from "../store/store.ts";
import { diskUsage } from "../store/disk_usage.ts";
import { containerDir, listContainers } from "../runtime/container_store.ts";
import { removeContainer } from "../runtime/remove.ts";
import { currentState } from "../runtime/state.ts";
import { hasEnded } from "../runtime/status.ts";
import type { StoreOptions } from "./engine_types.ts";
import { labelsMatch, parseFilters } from "./filters.ts";
import { releaseNetworks } from "./container_network.ts";

/** The checked filters of a prune. */
export interface ContainerPruneFilters {
  /** Only containers created before this time (ms since the epoch). */
  until?: number;
  /** `key` or `key=value`: all must match. */
  labels: string[];
  /** `label!=`: none may match. */
  notLabels: string[];
}

/** What a prune removed, the bytes their writable layers took, and what it could not remove. */
export interface ContainerPruneReport {
  deleted: string[];
  reclaimed: number;
  errors: Error[];
}

/**
 * Parses prune's `--filter` values (until, label, label!=); refuses unknown keys and a second
 * until before anything is asked or removed.
 *
 * @example
 * ```ts ignore
 * containerPruneFilters(["label!=keep"]); // { labels: [], notLabels: ["keep"] }
 * ```
 */
export function containerPruneFilters(raw: readonly string[]): ContainerPruneFilters {
  const filters = parseFilters(
    raw.map((f) => f.replace(/^label!=/, "label_not=")),
    ["until", "label", "label_not"],
  );
  const untils = (filters.get("until") ?? []).map((u) => parseTimestamp(u));
  if (untils.length > 1) throw new InvalidArgumentError("more than one until filter specified");
  return {
    until: untils[0],
    labels: filters.get("label") ?? [],
    notLabels: filters.get("label_not") ?? [],
  };
}

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
      report.reclaimed += size;
    } catch (err) {
      report.errors.push(err instanceof Error ? err : new Error(String(err)));
    }
  }
  return report;
}
