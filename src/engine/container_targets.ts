/**
 * Docker's one-report-per-target shape for verbs that take several containers (rm, stop, kill,
 * start, restart, pause, unpause, wait, inspect): each name is looked up and acted on in turn,
 * a failure is recorded and the next name still runs.
 *
 * @module
 */
import type { Store } from "../store/store.ts";
import { type ContainerRecord, findContainer } from "../runtime/container_store.ts";

/** The outcome for one named container: its value, or the error that stopped it. */
export type TargetReport<T = void> =
  | { target: string; ok: true; value: T }
  | { target: string; ok: false; error: Error };

/** Called as each target finishes, in order (so a CLI can print as it goes). */
export type OnReport<T> = (report: TargetReport<T>) => void | Promise<void>;

/**
 * Runs `action` for each named container in order and returns one report per name.
 *
 * @example
 * ```ts ignore
 * const reports = await eachContainer(store, ["web", "db"], (rec) => killContainer(store, rec, "SIGKILL"));
 * ```
 */
export async function eachContainer<T>(
  store: Store,
  names: readonly string[],
  action: (rec: ContainerRecord, name: string) => Promise<T>,
  onReport?: OnReport<T>,
): Promise<TargetReport<T>[]> {
  const reports: TargetReport<T>[] = [];
  for (const target of names) {
    let report: TargetReport<T>;
    try {
      const rec = await findContainer(store, target);
      report = { target, ok: true, value: await action(rec, target) };
    } catch (err) {
      report = { target, ok: false, error: err as Error };
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
