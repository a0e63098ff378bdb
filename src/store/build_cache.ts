/**
 * The build cache's records in the store: `build-cache/steps/<key hex>.json`, one per step
 * a build ran (the layer it made, or none, and when), and `build-cache/mounts/<hex>`, the
 * directories of `RUN --mount=type=cache`. A step record keeps its layer (and the layer's
 * parents) from garbage collection until the record is pruned; the file's modification time
 * is when a build last used it.
 */
import { readJson } from "./atomic.ts";
import type { ImageLayer } from "./images.ts";
import type { Store } from "./store.ts";

/** What a cached step made. */
export interface CachedStep {
  /** The layer it added; null when it changed no file. */
  layer: ImageLayer | null;
  /** When it ran (its history entry's time). */
  created: string;
  /** How many builds used it (the one that made it included); absent: 1. */
  used?: number;
}

/** A step record as listed: its key, content, and when a build last used it. */
export interface CacheRecord {
  key: string;
  entry: CachedStep;
  lastUsed: Date;
}

/** A cache mount directory as listed. */
export interface CacheMountRecord {
  /** The hex name of its directory. */
  id: string;
  path: string;
  created: Date;
  lastUsed: Date;
}

/** The cache's directory in a store. */
export function buildCacheDir(store: Store): string {
  return `${store.root}/build-cache`;
}

/** The file of a step record. */
export function cacheEntryPath(store: Store, key: string): string {
  if (!/^sha256:[0-9a-f]{64}$/.test(key)) throw new Error(`invalid cache key ${key}`);
  return `${buildCacheDir(store)}/steps/${key.slice(7)}.json`;
}

/**
 * Every step record (unreadable or half-written ones are skipped).
 *
 * @example
 * ```ts ignore
 * for (const r of await listCacheRecords(store)) console.log(r.key, r.entry.layer?.chainId);
 * ```
 */
export async function listCacheRecords(store: Store): Promise<CacheRecord[]> {
  const dir = `${buildCacheDir(store)}/steps`;
  let names: string[];
  try {
    names = (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name);
  } catch {
    return [];
  }
  const out: CacheRecord[] = [];
  for (const name of names) {
    const m = /^([0-9a-f]{64})\.json$/.exec(name);
    if (!m) continue;
    const path = `${dir}/${name}`;
    const [entry, st] = await Promise.all([
      readJson<CachedStep>(path).catch(() => undefined),
      Deno.stat(path).catch(() => undefined),
    ]);
    if (!entry || typeof entry.created !== "string" || !st) continue;
    out.push({ key: `sha256:${m[1]}`, entry, lastUsed: st.mtime ?? new Date(entry.created) });
  }
  return out;
}

/** Every cache mount directory. */
export async function listCacheMounts(store: Store): Promise<CacheMountRecord[]> {
  const dir = `${buildCacheDir(store)}/mounts`;
  let names: string[];
  try {
    names = (await Array.fromAsync(Deno.readDir(dir))).filter((e) => e.isDirectory)
      .map((e) => e.name);
  } catch {
    return [];
  }
  const out: CacheMountRecord[] = [];
  for (const id of names) {
    if (!/^[0-9a-f]{64}$/.test(id)) continue;
    const path = `${dir}/${id}`;
    const st = await Deno.stat(path).catch(() => undefined);
    if (!st) continue;
    const created = st.birthtime ?? st.mtime ?? new Date(0);
    out.push({ id, path, created, lastUsed: st.mtime ?? created });
  }
  return out;
}

/** Removes a step record (gone already is fine). */
export async function removeCacheRecord(store: Store, key: string): Promise<void> {
  await Deno.remove(cacheEntryPath(store, key)).catch(() => {});
}
