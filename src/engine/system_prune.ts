/**
 * `system prune`: stopped containers, unused networks (with their bridges), dangling images (or
 * every unused one with `all`) and, when asked, unused volumes, in Docker's order. Filters are
 * checked before anything is removed.
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.ts";
import { type ContainerPruneReport, pruneContainers } from "./container_prune.ts";
import type { StoreOptions } from "./engine_types.ts";
import { type Filters, parseFilters, type PruneFilters, pruneFilters } from "./filters.ts";
import { type ImagePruneReport, pruneImages } from "./image_remove.ts";
import { pruneNetworks } from "./networks.ts";
import { type BuilderPruneReport, pruneBuildCache } from "./build_cache.ts";
import { pruneVolumes, type VolumePruneReport } from "./volume_prune.ts";

/** What `system prune` asks for. */
export interface SystemPruneOptions {
  /** Every unused image, not only dangling ones. */
  all: boolean;
  /** Unused volumes too. */
  volumes: boolean;
  /** `--filter until=...`, `label=...`, `label!=...`. */
  filters: readonly string[];
}

/** The checked request: the filters for each kind of object. */
export interface CheckedSystemPrune {
  all: boolean;
  volumes: boolean;
  prune: PruneFilters;
  images: Filters;
  volumeFilters: Filters;
}

/**
 * Checks the filters before anything is asked or removed: Docker refuses `until` with
 * `--volumes`. Each kind gets the filters it takes: `until`, `label` and `label!=` for
 * containers, networks and images, `label` and `label!=` for volumes.
 *
 * @example
 * ```ts
 * checkSystemPrune({ all: false, volumes: false, filters: ["until=1h"] }).prune.until !== undefined; // true
 * ```
 */
export function checkSystemPrune(opts: SystemPruneOptions): CheckedSystemPrune {
  const prune = pruneFilters(opts.filters);
  if (opts.volumes && prune.until !== undefined) {
    throw new InvalidArgumentError('The "until" filter is not supported with "--volumes"');
  }
  const images = parseFilters(opts.filters, ["until", "label", "label!"]);
  const volumeFilters = parseFilters(
    opts.filters.filter((f) => f.startsWith("label=") || f.startsWith("label!=")),
    ["label", "label!"],
  );
  return { all: opts.all, volumes: opts.volumes, prune, images, volumeFilters };
}

/** What each part of the prune removed. */
export interface SystemPruneReport {
  containers: ContainerPruneReport;
  networks: string[];
  volumes?: VolumePruneReport;
  images: ImagePruneReport;
  buildCache: BuilderPruneReport;
}

/**
 * Prunes containers, then networks, then volumes (when asked), then images, then the build
 * cache (dangling records, or every one with `all`; `until` applies to it too), as Docker does.
 *
 * @example
 * ```ts ignore
 * const r = await pruneSystem({}, checkSystemPrune({ all: true, volumes: false, filters: [] }));
 * ```
 */
export async function pruneSystem(
  where: StoreOptions,
  req: CheckedSystemPrune,
): Promise<SystemPruneReport> {
  const containers = await pruneContainers(where, req.prune);
  const networks = await pruneNetworks(where, req.prune);
  const volumes = req.volumes
    ? await pruneVolumes(where, { all: true, filters: req.volumeFilters })
    : undefined;
  const images = await pruneImages(where, { all: req.all, filters: req.images });
  const buildCache = await pruneBuildCache(where, {
    all: req.all,
    ...(req.prune.until !== undefined ? { until: req.prune.until } : {}),
  });
  return { containers, networks, volumes, images, buildCache };
}
