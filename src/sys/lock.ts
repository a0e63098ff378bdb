/**
 * Exclusive file locks (flock) for writers. Readers never lock: every write
 * is an atomic rename. A lock file records who holds it and since when.
 */

/**
 * Runs `fn` while holding the exclusive lock at `path`; the lock is released
 * when `fn` settles, or by the kernel if the process dies.
 *
 * @example
 * ```ts ignore
 * await withLock(`${root}/locks/repositories.lock`, () => updateTags());
 * ```
 */
export async function withLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const file = await Deno.open(path, { create: true, write: true, read: true });
  try {
    await file.lock(true);
    await file.truncate(0);
    await file.write(
      new TextEncoder().encode(`${Deno.pid} ${new Date().toISOString()}\n`),
    );
    return await fn();
  } finally {
    try {
      await file.unlock();
    } finally {
      file.close();
    }
  }
}
