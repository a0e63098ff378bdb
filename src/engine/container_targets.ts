/**
 * Docker's one-report-per-target shape for the verbs that take several containers (rm, stop,
 * kill, start, restart, pause, unpause, wait): each name is looked up and acted on in turn, a
 * failure is reported for its name and the next name still runs.
 *
 * @module
 */
import { openStore, type Store } from "../store/store.ts";
import { type ContainerRecord, findContainer, listContainers } from "../runtime/container_store.ts";
import { currentState } from "../runtime/state.ts";
import type { ContainerStatus } from "../runtime/status.ts";
import { resolveStorePaths } from "../store/paths.ts";
import { storeLayout } from "../store/store.ts";
import type { StoreOptions, TargetReport } from "./engine_types.ts";

export type { TargetReport };

/** Called as each target finishes, in order (so a CLI can print as it goes). */
export type OnReport<T> = (report: TargetReport<T>) => void | Promise<void>;

/**
 * Opens the store, then runs `action` for each named container in order; one report per name.
 *
 * @example
 * ```ts ignore
 * await eachContainer({}, ["web", "db"], (store, rec) => killContainer(store, rec, "SIGKILL"));
 * ```
 */
export async function eachContainer<T>(
  where: StoreOptions,
  names: readonly string[],
  action: (store: Store, rec: ContainerRecord) => Promise<T>,
  onReport?: OnReport<T>,
): Promise<TargetReport<T>[]> {
  const store = await openStore(where);
  const reports: TargetReport<T>[] = [];
  for (const target of names) {
    let report: TargetReport<T>;
    try {
      const rec = await findContainer(store, target);
      report = { target, ok: true, value: await action(store, rec) };
    } catch (err) {
      report = { target, ok: false, error: err instanceof Error ? err : new Error(String(err)) };
    }
    reports.push(report);
    await onReport?.(report);
  }
  return reports;
}

/** Whether any report is a failure (the CLI then exits 1). */
export function anyFailed(reports: readonly TargetReport<unknown>[]): boolean {
  return reports.some((r) => !r.ok);
}

/**
 * The full ids of every container whose status `wanted` accepts (Podman's `--all`), oldest
 * first. Nothing is created to answer.
 *
 * @example
 * ```ts ignore
 * await containerIdsWhere({}, (s) => s === "running"); // ["3f2a...", ...]
 * ```
 */
export async function containerIdsWhere(
  where: StoreOptions,
  wanted: (status: ContainerStatus) => boolean,
): Promise<string[]> {
  const store = storeLayout(resolveStorePaths(where));
  const recs = await listContainers(store).catch(() => []);
  const out: { id: string; created: string }[] = [];
  for (const rec of recs) {
    if (wanted((await currentState(store, rec)).Status)) {
      out.push({ id: rec.Id, created: rec.Created });
    }
  }
  return out.sort((a, b) => a.created < b.created ? -1 : a.created > b.created ? 1 : 0)
    .map((c) => c.id);
}
