/**
 * The build cache as `system df` and `builder prune` see it: one record per step a build
 * ran (type `regular`, its size the layer it made) and one per `RUN --mount=type=cache`
 * directory (type `exec.cachemount`). A record is shared when an image has its layer, active
 * while a running build holds it, and dangling when no image has its layer.
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.ts";
import { collectGarbage } from "../image/gc.ts";
import { listCacheMounts, listCacheRecords, removeCacheRecord } from "../store/build_cache.ts";
import { diskUsage } from "../store/disk_usage.ts";
import { listImages } from "../store/images.ts";
import { getLayer, layerContentSize } from "../store/layers.ts";
import { liveLeases } from "../store/leases.ts";
import { withLock } from "../store/lock.ts";
import { randomSuffix } from "../store/atomic.ts";
import { resolveStorePaths } from "../store/paths.ts";
import { openStore, type Store, storeLayout } from "../store/store.ts";
import { parseSize, parseTimestamp } from "../units.ts";
import type { StoreOptions } from "./engine_types.ts";
import { parseFilters } from "./filters.ts";

/** One record of the build cache. */
export interface BuildCacheRecord {
  /** Its id as docker prints it (25 characters). */
  id: string;
  type: "regular" | "exec.cachemount";
  size: number;
  created: Date;
  lastUsed: Date;
  /** How many builds used it. */
  usage: number;
  /** An image has its layer. */
  shared: boolean;
  /** A running build holds it. */
  inUse: boolean;
  /** Where it lives: the step key, or the cache mount directory. */
  ref: { kind: "step"; key: string; chainId?: string } | { kind: "mount"; path: string };
}

/**
 * Every record of the build cache, oldest use first.
 *
 * @example
 * ```ts ignore
 * for (const r of await buildCacheRecords(store)) console.log(r.id, r.size);
 * ```
 */
export async function buildCacheRecords(store: Store): Promise<BuildCacheRecord[]> {
  const imageLayers = new Set<string>();
  for (const img of await listImages(store).catch(() => [])) {
    for (const l of img.layers) imageLayers.add(l.chainId);
  }
  const leased = await liveLeases(store).catch(() => ({ layers: new Set<string>() }));
  const out: BuildCacheRecord[] = [];
  const sized = new Set<string>();
  for (const r of await listCacheRecords(store)) {
    const chainId = r.entry.layer?.chainId;
    let size = 0;
    // a layer two records name (two builds of one step) is counted once
    if (chainId && !sized.has(chainId)) {
      sized.add(chainId);
      const meta = await getLayer(store, chainId).catch(() => undefined);
      size = meta ? layerContentSize(meta) : 0;
    }
    out.push({
      id: r.key.slice(7, 32),
      type: "regular",
      size,
      created: new Date(r.entry.created),
      lastUsed: r.lastUsed,
      usage: r.entry.used ?? 1,
      shared: chainId !== undefined && imageLayers.has(chainId),
      inUse: chainId !== undefined && leased.layers.has(chainId),
      ref: { kind: "step", key: r.key, ...(chainId ? { chainId } : {}) },
    });
  }
  for (const m of await listCacheMounts(store)) {
    out.push({
      id: m.id.slice(0, 25),
      type: "exec.cachemount",
      size: await diskUsage(m.path),
      created: m.created,
      lastUsed: m.lastUsed,
      usage: 1,
      shared: false,
      inUse: false,
      ref: { kind: "mount", path: m.path },
    });
  }
  return out.sort((a, b) => a.lastUsed.getTime() - b.lastUsed.getTime());
}

/** The Build Cache line of `system df`: records, active ones, size, what a prune frees. */
export interface BuildCacheUsage {
  records: BuildCacheRecord[];
  total: number;
  active: number;
  size: number;
  reclaimable: number;
}

/**
 * The build cache's usage, reading the store without creating anything.
 *
 * @example
 * ```ts ignore
 * const { total, size } = await buildCacheUsage({});
 * ```
 */
export async function buildCacheUsage(where: StoreOptions): Promise<BuildCacheUsage> {
  const store = storeLayout(resolveStorePaths(where));
  const records = await buildCacheRecords(store);
  const sum = (rs: BuildCacheRecord[]) => rs.reduce((n, r) => n + r.size, 0);
  return {
    records,
    total: records.length,
    active: records.filter((r) => r.inUse).length,
    size: sum(records),
    reclaimable: sum(records.filter((r) => !r.inUse && !r.shared)),
  };
}

/** What `builder prune` is asked. */
export interface BuilderPruneOptions {
  /** Every record, not only dangling ones. */
  all?: boolean;
  /** `--filter` values: `until=` only. */
  filters?: readonly string[];
  /** `--keep-storage`: leave this much cache (bytes), pruning the least recently used first. */
  keepStorage?: string;
}

/** What a prune removed and the bytes it freed. */
export interface BuilderPruneReport {
  deleted: string[];
  reclaimed: number;
}

/** The checked request (filters and sizes parsed before anything is removed). */
export interface CheckedBuilderPrune {
  all: boolean;
  /** Only records last used before this time (ms). */
  until?: number;
  keepStorage?: number;
}

/**
 * Checks a prune request: `until` is the only filter (a duration or a time), and
 * `--keep-storage` a size ("10GB", "512MB").
 *
 * @example
 * ```ts
 * checkBuilderPrune({ filters: ["until=24h"], keepStorage: "1kB" }).keepStorage; // 1024
 * ```
 */
export function checkBuilderPrune(opts: BuilderPruneOptions): CheckedBuilderPrune {
  const filters = parseFilters(opts.filters ?? [], ["until"]);
  const untils = filters.get("until") ?? [];
  if (untils.length > 1) throw new InvalidArgumentError("more than one until filter specified");
  let keepStorage: number | undefined;
  if (opts.keepStorage !== undefined && opts.keepStorage !== "") {
    try {
      keepStorage = parseSize(opts.keepStorage);
    } catch {
      throw new InvalidArgumentError(
        `invalid argument "${opts.keepStorage}" for "--keep-storage" flag: invalid size`,
      );
    }
  }
  return {
    all: opts.all === true,
    ...(untils[0] !== undefined ? { until: parseTimestamp(untils[0]) } : {}),
    ...(keepStorage !== undefined ? { keepStorage } : {}),
  };
}

/**
 * Removes build cache records: dangling ones (every one with `all`), last used before
 * `until`, and with `keepStorage` only the least recently used until that much is left.
 * Records a running build holds are kept. The layers no longer referenced are collected.
 *
 * @example
 * ```ts ignore
 * const { deleted, reclaimed } = await pruneBuildCache({}, checkBuilderPrune({ all: true }));
 * ```
 */
export async function pruneBuildCache(
  where: StoreOptions,
  req: CheckedBuilderPrune,
): Promise<BuilderPruneReport> {
  const store = await openStore(where);
  const records = await buildCacheRecords(store);
  let left = records.reduce((n, r) => n + r.size, 0);
  const doomed: BuildCacheRecord[] = [];
  for (const r of records) { // least recently used first
    if (r.inUse || (!req.all && r.shared)) continue;
    if (req.until !== undefined && r.lastUsed.getTime() >= req.until) continue;
    if (req.keepStorage !== undefined && left <= req.keepStorage) break;
    doomed.push(r);
    left -= r.size;
  }
  // the sizes of the layers that may go, read before they are gone
  const sizes = new Map<string, number>();
  for (const r of doomed) {
    if (r.ref.kind !== "step" || !r.ref.chainId) continue;
    const meta = await getLayer(store, r.ref.chainId).catch(() => undefined);
    if (meta) sizes.set(r.ref.chainId, layerContentSize(meta));
  }
  let reclaimed = 0;
  for (const r of doomed) {
    if (r.ref.kind === "step") await removeCacheRecord(store, r.ref.key);
    else reclaimed += await removeCacheMount(store, r.ref.path, r.size);
  }
  const removed = await collectGarbage(store);
  for (const chain of removed.layers) reclaimed += sizes.get(chain) ?? 0;
  return { deleted: doomed.map((r) => r.id), reclaimed };
}

/**
 * Removes a cache mount directory, waiting for a step that holds it locked; it is renamed
 * away first so that a build starting meanwhile makes a fresh one.
 */
async function removeCacheMount(store: Store, path: string, size: number): Promise<number> {
  const hex = path.slice(path.lastIndexOf("/") + 1);
  return await withLock(`${store.locks}/build-cache-${hex}.lock`, async () => {
    const doomed = `${store.tmp}/rm-cache-${randomSuffix()}`;
    try {
      await Deno.rename(path, doomed);
    } catch {
      return 0;
    }
    await Deno.remove(doomed, { recursive: true }).catch(() => {});
    return size;
  });
}
