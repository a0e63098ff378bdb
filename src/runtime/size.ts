/**
 * Disk usage of a container's writable layer (its overlay upper directory),
 * for `ps -s` and `inspect -s`. Symlinks are not followed; hard links count once.
 */
import type { Store } from "../store/store.ts";
import { containerDir } from "./container_store.ts";

/**
 * Bytes used by the files in a container's upper directory.
 *
 * @example
 * ```ts
 * await writableLayerSize(store, rec.Id); // 4096
 * ```
 */
export async function writableLayerSize(store: Store, id: string): Promise<number> {
  let total = 0;
  const seen = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch {
      return;
    }
    for (const e of entries) {
      const path = `${dir}/${e.name}`;
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
  await walk(`${containerDir(store, id)}/upper`);
  return total;
}
