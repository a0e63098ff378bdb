/**
 * The build's layer cache: a step's key is a digest over its parent's key and the step as
 * resolved (the instruction with the variables in effect, its mounts, the config it runs
 * with, COPY/ADD's content key); the index maps a key to the layer the step made (or none,
 * for a step that changed nothing) and the time it was made, so that a hit rebuilds the
 * very same image. One small JSON file per key under `<root>/build-cache/steps`, written
 * to a temporary name and renamed: two builds writing the same key write equal content,
 * and a reader sees a whole entry or none. An entry whose layer has left the store (pruned)
 * is a miss.
 */
import { randomSuffix, writeJsonAtomic } from "../../store/atomic.ts";
import { blobPath } from "../../store/blobs.ts";
import { buildCacheDir, type CachedStep, cacheEntryPath } from "../../store/build_cache.ts";
import { layerDir } from "../../store/layers.ts";
import { activeLease, withGcShared } from "../../store/leases.ts";
import type { Store } from "../../store/store.ts";

export { buildCacheDir, type CachedStep };

/** JSON with object keys sorted, so that equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * A step's cache key: sha256 over the parent's key and the step's description.
 *
 * @example
 * ```ts
 * import { stepKey } from "./cache.ts";
 * const a = await stepKey("sha256:00", { run: "make" });
 * a === await stepKey("sha256:00", { run: "make" }); // true
 * ```
 */
export async function stepKey(parent: string, step: unknown): Promise<string> {
  const bytes = new TextEncoder().encode(canonicalJson([parent, step]));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return `sha256:${Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * The cached result of `key`, undefined when there is none or its layer is gone. A hit's
 * layer joins the build's lease (under the gc lock, so that a prune running meanwhile
 * either removed it before, and this is a miss, or keeps it) and the record is marked used.
 */
export async function lookupStep(store: Store, key: string): Promise<CachedStep | undefined> {
  const path = cacheEntryPath(store, key);
  // synchronous reads: these are small files, looked up at every step of every build
  const entry = await withGcShared(store, async () => {
    let entry: CachedStep | undefined;
    try {
      entry = JSON.parse(Deno.readTextFileSync(path)) as CachedStep;
    } catch {
      return undefined;
    }
    if (!entry || typeof entry.created !== "string") return undefined;
    if (entry.layer) {
      try {
        Deno.statSync(`${layerDir(store, entry.layer.chainId)}/meta.json`);
        Deno.statSync(blobPath(store, entry.layer.digest));
      } catch {
        return undefined;
      }
      await activeLease(store)?.hold([entry.layer]);
    }
    return entry;
  });
  // the record's time is its last use (builder prune --filter until, --keep-storage), and
  // it counts its uses (system df's USAGE); pruned meanwhile, the build holds its layer still
  if (entry) {
    const tmp = `${path.slice(0, path.lastIndexOf("/"))}/.tmp-${randomSuffix()}`;
    try {
      Deno.writeTextFileSync(tmp, JSON.stringify({ ...entry, used: (entry.used ?? 1) + 1 }), {
        mode: 0o600,
      });
      Deno.renameSync(tmp, path);
    } catch {
      try {
        Deno.removeSync(tmp);
      } catch {
        // not made
      }
    }
  }
  return entry;
}

/** Records what step `key` made (atomically; a concurrent equal write is harmless). */
export async function saveStep(store: Store, key: string, entry: CachedStep): Promise<void> {
  const path = cacheEntryPath(store, key);
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true, mode: 0o700 });
  await writeJsonAtomic(path, entry, 0o600);
}
