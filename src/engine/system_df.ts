/**
 * `system df`: what the store's images, containers and volumes take on disk, and how much of
 * it a prune could give back, counted as Docker's daemon counts it.
 *
 * @module
 */
import { listImages, readTags, tagsOf } from "../store/images.ts";
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

/** One image: its names, size and how many containers use it. */
export interface DfImage {
  id: string;
  /** Full names (`docker.io/library/busybox:latest`); empty when dangling. */
  tags: string[];
  created: string;
  size: number;
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
  containers: DfContainer[];
  volumes: DfVolume[];
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
  const images = (await listImages(store).catch(() => [])).map((img) => ({
    id: img.id,
    tags: tagsOf(tags, img.id),
    created: img.created ?? img.addedAt,
    size: img.size,
    containers: useCount.get(img.id) ?? 0,
  }));
  const users = await volumeUsers(store).catch(() => new Map<string, string[]>());
  const volumes: DfVolume[] = [];
  for (const v of await listVolumes(store).catch(() => [])) {
    volumes.push({
      name: v.Name,
      links: users.get(v.Name)?.length ?? 0,
      size: await diskUsage(v.Mountpoint),
    });
  }
  return { images, containers, volumes };
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
 * reclaimable is what is not active (skiff keeps no build cache yet).
 *
 * @example
 * ```ts
 * summarize({ images: [], containers: [], volumes: [{ name: "v", links: 0, size: 5 }] })[2];
 * // { type: "Local Volumes", total: 1, active: 0, size: 5, reclaimable: 5 }
 * ```
 */
export function summarize(r: DiskUsageReport): DfSummary[] {
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const usedImages = r.images.filter((i) => i.containers > 0);
  const activeContainers = r.containers.filter((c) => c.active);
  const usedVolumes = r.volumes.filter((v) => v.links > 0);
  const imageSize = sum(r.images.map((i) => i.size));
  const containerSize = sum(r.containers.map((c) => c.sizeRw));
  const volumeSize = sum(r.volumes.map((v) => v.size));
  return [
    {
      type: "Images",
      total: r.images.length,
      active: usedImages.length,
      size: imageSize,
      reclaimable: imageSize - sum(usedImages.map((i) => i.size)),
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
    { type: "Build Cache", total: 0, active: 0, size: 0, reclaimable: 0 },
  ];
}
