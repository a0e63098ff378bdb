/**
 * What the image, volume and system verbs of the engine share: where the store is, and the
 * per-target report of a verb that takes several names (`rmi a b c`, `volume rm`, `inspect`).
 *
 * @module
 */

/**
 * Which store a verb works on: the `--root` / `--runroot` the user gave (unset: environment,
 * then defaults). The engine opens the store itself, after checking its options, so a refused
 * request creates nothing.
 */
export interface StoreOptions {
  root?: string;
  runroot?: string;
}

/** The outcome for one target of a multi-target verb: its result, or why it failed. */
export type TargetReport<T> =
  | { target: string; ok: true; value: T }
  | { target: string; ok: false; error: Error };

/**
 * Runs `fn` for each target in order, one after the other; a failure is reported for its
 * target and does not stop the others.
 *
 * @example
 * ```ts
 * const reports = await eachTarget(["a", "b"], (name) => Promise.resolve(name.length));
 * reports[0]; // { target: "a", ok: true, value: 1 }
 * ```
 */
export async function eachTarget<T>(
  targets: readonly string[],
  fn: (target: string) => Promise<T>,
): Promise<TargetReport<T>[]> {
  const out: TargetReport<T>[] = [];
  for (const target of targets) {
    try {
      out.push({ target, ok: true, value: await fn(target) });
    } catch (err) {
      out.push({
        target,
        ok: false,
        error: err instanceof Error ? err : new Error(String(err)),
      });
    }
  }
  return out;
}
