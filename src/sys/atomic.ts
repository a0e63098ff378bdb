/** Crash-safe file writes: write a temporary file in the same directory, then rename. */
import { ownerTag } from "./scratch.ts";

/**
 * A name suffix for temporary files and scratch directories: this process's tag (scratch.ts)
 * and 16 random hex digits, `o<pid>.<start time>-<hex>`, so that what a killed command left
 * can be told from work in progress.
 */
export function randomSuffix(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `${ownerTag()}-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * Writes `data` to `path` atomically: readers see the old or the new
 * content, never a partial file, and a kill at any point leaves at most a
 * stray `.tmp-*` file behind.
 *
 * @example
 * ```ts ignore
 * await writeFileAtomic("/var/lib/skiff/repositories.json", JSON.stringify(tags));
 * ```
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  mode = 0o644,
): Promise<void> {
  const slash = path.lastIndexOf("/");
  const tmp = `${path.slice(0, slash)}/.tmp-${path.slice(slash + 1)}-${randomSuffix()}`;
  try {
    // Synchronous on purpose: these files are small, and Deno's first async
    // writeFile costs ~5 ms of set-up that every command would pay.
    if (typeof data === "string") Deno.writeTextFileSync(tmp, data, { mode });
    else Deno.writeFileSync(tmp, data, { mode });
    if (mode !== 0o644) await Deno.chmod(tmp, mode);
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}
