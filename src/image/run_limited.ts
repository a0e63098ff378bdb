/**
 * Runs tasks with at most `limit` at once (layer downloads and uploads). After
 * the first failure no new task starts; the first error is thrown once the
 * running ones have settled.
 *
 * @example
 * ```ts ignore
 * await runLimited(layers.map((l) => () => fetchLayer(l)), 6);
 * ```
 */
export async function runLimited(tasks: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next++];
      try {
        await task();
      } catch (err) {
        errors.push(err);
        next = tasks.length; // stop starting new work
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  if (errors.length) throw errors[0];
}
