/**
 * `system df`: what the store's images, containers and volumes take on disk, and how much of
 * it a prune could give back, counted as Docker's daemon counts it.
 *
 * @module
 */
import { listImages, readTags, tagsOf } from "../store/images.ts";
import { getLayer, layerContentSize } from "../store/layers.ts";
import { resolveStorePaths } from "../store/paths.ts";
import { storeLayout } from "../store/store.ts";
import { listVolumes } from "../store/volumes.ts";
import { diskUsage } from "../store/disk_usage.ts";
import { listContainers } from "../runtime/container_store.ts";
import { currentState } from "../runtime/state.ts";
import { isRunning } from "../runtime/status.ts";
import { writableLayerSize } from "../runtime/size.ts";
import { type ContainerRow, containerRow } from "../runtime/views.ts";
import type { StoreOptions } from "./engine_types.ts";
import { volumeUsers } from "./volume_users.ts";
import { type BuildCacheUsage, buildCacheUsage } from "./build_cache.ts";

/** One image: its names, size and how many containers use it. */
export interface DfImage {
  id: string;
  /** Full names (`docker.io/library/busybox:latest`); empty when dangling. */
  tags: string[];
  created: string;
  size: number;
  /** What its layers shared with another image take (Docker's SharedSize). */
  sharedSize: number;
  containers: number;
}

/** One container: its `ps` row, writable layer size, and whether it is running or paused. */
export interface DfContainer {
  row: ContainerRow;
  sizeRw: number;
  active: boolean;
}

/** One volume: its size and how many containers use it. */
export interface DfVolume {
  name: string;
  links: number;
  size: number;
}

/** Everything `system df` reports. */
export interface DiskUsageReport {
  images: DfImage[];
  /** Every layer counted once (Docker's LayersSize). */
  layersSize: number;
  containers: DfContainer[];
  volumes: DfVolume[];
  /** The build cache's records and totals (none when absent). */
  buildCache?: BuildCacheUsage;
}

/**
 * Reads the store (creating nothing) and measures it.
 *
 * @example
 * ```ts ignore
 * const { images, containers, volumes } = await diskUsageReport({});
 * ```
 */
export async function diskUsageReport(where: StoreOptions): Promise<DiskUsageReport> {
  const store = storeLayout(resolveStorePaths(where));
  const recs = await listContainers(store).catch(() => []);
  const useCount = new Map<string, number>();
  const containers: DfContainer[] = [];
  for (const rec of recs) {
    useCount.set(rec.Image, (useCount.get(rec.Image) ?? 0) + 1);
    const state = await currentState(store, rec);
    containers.push({
      row: containerRow(rec, state, { noTrunc: false }),
      sizeRw: await writableLayerSize(store, rec.Id),
      active: isRunning(state.Status),
    });
  }
  const tags = await readTags(store).catch(() => ({}));
  const records = await listImages(store).catch(() => []);
  // each layer's size once, and how many images have it
  const layerSize = new Map<string, number>();
  const layerUsers = new Map<string, number>();
  for (const img of records) {
    for (const chainId of new Set(img.layers.map((l) => l.chainId))) {
      if (!layerSize.has(chainId)) {
        const meta = await getLayer(store, chainId).catch(() => undefined);
        layerSize.set(chainId, meta ? layerContentSize(meta) : 0);
      }
      layerUsers.set(chainId, (layerUsers.get(chainId) ?? 0) + 1);
    }
  }
  const images = records.map((img) => ({
    id: img.id,
    tags: tagsOf(tags, img.id),
    created: img.created ?? img.addedAt,
    size: img.size,
    sharedSize: [...new Set(img.layers.map((l) => l.chainId))]
      .filter((c) => (layerUsers.get(c) ?? 0) > 1)
      .reduce((n, c) => n + (layerSize.get(c) ?? 0), 0),
    containers: useCount.get(img.id) ?? 0,
  }));
  const layersSize = [...layerSize.values()].reduce((a, b) => a + b, 0);
  const users = await volumeUsers(store).catch(() => new Map<string, string[]>());
  const volumes: DfVolume[] = [];
  for (const v of await listVolumes(store).catch(() => [])) {
    volumes.push({
      name: v.Name,
      links: users.get(v.Name)?.length ?? 0,
      size: await diskUsage(v.Mountpoint),
    });
  }
  const buildCache = await buildCacheUsage(where);
  return { images, layersSize, containers, volumes, buildCache };
}

/** One line of the summary: Docker's TYPE TOTAL ACTIVE SIZE RECLAIMABLE, as numbers. */
export interface DfSummary {
  type: "Images" | "Containers" | "Local Volumes" | "Build Cache";
  total: number;
  active: number;
  size: number;
  reclaimable: number;
}

/**
 * The four summary lines: images used by a container and running containers are active;
 * reclaimable is what is not active; the build cache's reclaimable part is what no image
 * shares and no running build holds (what `builder prune -a` gives back). Images take their
 * layers' size once; what a used image does not share with another is not reclaimable.
 *
 * @example
 * ```ts
 * summarize({ images: [], layersSize: 0, containers: [], volumes: [{ name: "v", links: 0, size: 5 }] })[2];
 * // { type: "Local Volumes", total: 1, active: 0, size: 5, reclaimable: 5 }
 * ```
 */
export function summarize(r: DiskUsageReport): DfSummary[] {
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const usedImages = r.images.filter((i) => i.containers > 0);
  const activeContainers = r.containers.filter((c) => c.active);
  const usedVolumes = r.volumes.filter((v) => v.links > 0);
  const imageSize = r.layersSize;
  const containerSize = sum(r.containers.map((c) => c.sizeRw));
  const volumeSize = sum(r.volumes.map((v) => v.size));
  return [
    {
      type: "Images",
      total: r.images.length,
      active: usedImages.length,
      size: imageSize,
      reclaimable: Math.max(0, imageSize - sum(usedImages.map((i) => i.size - i.sharedSize))),
    },
    {
      type: "Containers",
      total: r.containers.length,
      active: activeContainers.length,
      size: containerSize,
      reclaimable: containerSize - sum(activeContainers.map((c) => c.sizeRw)),
    },
    {
      type: "Local Volumes",
      total: r.volumes.length,
      active: usedVolumes.length,
      size: volumeSize,
      reclaimable: volumeSize - sum(usedVolumes.map((v) => v.size)),
    },
    {
      type: "Build Cache",
      total: r.buildCache?.total ?? 0,
      active: r.buildCache?.active ?? 0,
      size: r.buildCache?.size ?? 0,
      reclaimable: r.buildCache?.reclaimable ?? 0,
    },
  ];
}
