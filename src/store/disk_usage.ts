/**
 * Disk usage of a directory tree, as Docker's `directory.Size` counts it: every entry by
 * `lstat` (a symlink is its own few bytes, never its target), a hard-linked file once.
 * Used for a container's writable layer (`ps -s`, `inspect -s`, `container prune`).
 */

/**
 * Bytes used by the files and symlinks under `dir` (0 if it does not exist). Symlinks are not
 * followed; files with several links are counted once; unreadable entries are skipped.
 *
 * @example
 * ```ts ignore
 * await diskUsage("/var/lib/skiff/containers/<id>/upper"); // 4096
 * ```
 */
export async function diskUsage(dir: string): Promise<number> {
  let total = 0;
  const seen = new Set<string>();
  const walk = async (d: string): Promise<void> => {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(d));
    } catch {
      return;
    }
    for (const e of entries) {
      const path = `${d}/${e.name}`;
      const st = await Deno.lstat(path).catch(() => undefined);
      if (!st) continue;
      if (st.isDirectory) {
        await walk(path);
        continue;
      }
      if ((st.nlink ?? 1) > 1) {
        const key = `${st.dev}:${st.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      if (st.isFile || st.isSymlink) total += st.size;
    }
  };
  await walk(dir);
  return total;
}
