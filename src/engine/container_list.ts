/**
 * `ps`: the containers to list, with Docker's filters (id, name, label, status, exited,
 * ancestor), `-a`, `-n`/`-l` (counted after the filters) and `-s`, as rows for the renderer.
 *
 * @module
 */
import { InvalidArgumentError, NotFoundError } from "../errors.ts";
import { type Store, storeLayout } from "../store/store.ts";
import { resolveStorePaths } from "../store/paths.ts";
import type { StoreOptions } from "./engine_types.ts";
import { getImage, type ImageRecord, listImages, readTags, type TagMap } from "../store/images.ts";
import { resolveLocalImage } from "../image/resolve.ts";
import { humanSize } from "../units.ts";
import {
  type ContainerRecord,
  type ContainerState,
  listContainers,
} from "../runtime/container_store.ts";
import { currentState } from "../runtime/state.ts";
import { type ContainerRow, containerRow } from "../runtime/views.ts";
import { writableLayerSize } from "../runtime/size.ts";
import { containerHealth } from "../runtime/health_view.ts";
import { isRunning, isSupervised } from "../runtime/status.ts";
import { realHost } from "../sys/host.ts";
import { activeBindings, containerExposedPorts } from "../network/port_record.ts";
import { psPorts } from "../network/port_format.ts";
import { isBridgeNetwork } from "./container_network.ts";
import { type Filters, labelsMatch, parseFilters } from "./filters.ts";

/** What `ps` was asked for. */
export interface ListOptions {
  /** Stopped containers too. */
  all: boolean;
  /** Only the n most recently created (any state); -1 or 0: no limit. */
  last: number;
  /** Only the most recently created one. */
  latest: boolean;
  /** `key=value` filters as given. */
  filters: readonly string[];
  /** Fill the Size column. */
  size: boolean;
  /** Full ids. */
  noTrunc: boolean;
}

const STATUSES = ["created", "restarting", "running", "removing", "paused", "exited", "dead"];

/**
 * Parses ps's filters, refusing unknown keys and statuses.
 *
 * @example
 * ```ts ignore
 * psFilters(["status=exited", "label=app"]); // Map { status: ["exited"], label: ["app"] }
 * ```
 */
export function psFilters(list: readonly string[]): Filters {
  const filters = parseFilters(list, [
    "id",
    "name",
    "label",
    "status",
    "exited",
    "ancestor",
    "health",
    "is-task",
    "volume",
    "network",
  ]);
  for (const st of filters.get("status") ?? []) {
    if (!STATUSES.includes(st)) throw new InvalidArgumentError(`invalid filter 'status=${st}'`);
  }
  for (const h of filters.get("health") ?? []) {
    if (!["starting", "healthy", "unhealthy", "none"].includes(h)) {
      throw new InvalidArgumentError(`Unrecognised filter value for health: ${h}`);
    }
  }
  return filters;
}

/**
 * Whether a name filter value, a regular expression as Docker reads it, matches the container's
 * name with its leading `/` or without it, as docker 20.10's daemon tries both (`^/web$` and
 * `^web$` are exact matches); an invalid expression matches nothing.
 *
 * @example
 * ```ts ignore
 * nameMatches("web-1", "^/web"); // true
 * nameMatches("web-1", "^web"); // true
 * ```
 */
export function nameMatches(name: string, pattern: string): boolean {
  try {
    const re = new RegExp(pattern);
    return re.test(`/${name}`) || re.test(name);
  } catch {
    return false;
  }
}

/**
 * Whether a container is listed: without `all` (or a status filter) only live ones; then every
 * filter key must match (values of one key are alternatives, except labels, which all apply).
 * `ancestors` holds the ids of the images the `ancestor` values name and their descendants;
 * `health` is the container's health status ("none" without a check) for the `health` filter.
 *
 * @example
 * ```ts ignore
 * psMatches(rec, state, psFilters(["name=web"]), true);
 * ```
 */
export function psMatches(
  rec: ContainerRecord,
  state: ContainerState,
  filters: Filters,
  all: boolean,
  ancestors?: ReadonlySet<string>,
  health = "none",
): boolean {
  const status = filters.get("status");
  if (!all && !status && !isSupervised(state.Status)) return false;
  if (status && !status.includes(state.Status)) return false;
  const ids = filters.get("id");
  if (ids && !ids.some((p) => rec.Id.startsWith(p))) return false;
  const names = filters.get("name");
  if (names && !names.some((n) => nameMatches(rec.Name, n))) return false;
  const exited = filters.get("exited");
  if (exited && !(state.Status === "exited" && exited.includes(String(state.ExitCode)))) {
    return false;
  }
  if (filters.has("ancestor") && !ancestors?.has(rec.Image)) return false;
  const healths = filters.get("health");
  if (healths && !healths.includes(health)) return false;
  // no container of skiff's is a swarm task
  if (filters.get("is-task")?.every((v) => v === "true")) return false;
  const volumes = filters.get("volume");
  if (volumes && !rec.Options.mounts.some((m) => volumeFilterHit(m, volumes))) return false;
  const networks = filters.get("network");
  if (networks && !networks.some((n) => containerNetworks(rec).includes(n))) return false;
  const labels = filters.get("label");
  return !labels || labelsMatch(rec.Labels, labels);
}

/** Whether a mount is one a `volume` filter names: by volume name or by destination. */
function volumeFilterHit(m: ContainerRecord["Options"]["mounts"][number], values: string[]) {
  return values.includes(m.target) || (m.type === "volume" && m.name !== undefined &&
    values.includes(m.name));
}

/** The names of the networks a container is on, as the `network` filter reads them. */
function containerNetworks(rec: ContainerRecord): string[] {
  return rec.Options.networks?.map((n) => n.name) ?? [String(rec.Options.network)];
}

/** Whether `child`'s layers start with all of `parent`'s and add more (built from it). */
function descendsFrom(child: ImageRecord, parent: ImageRecord): boolean {
  const n = parent.layers.length;
  return n > 0 && child.layers.length > n &&
    child.layers[n - 1].chainId === parent.layers[n - 1].chainId;
}

/**
 * The image ids an `ancestor` filter selects, as Docker's rule: each value (a name, name:tag,
 * or a short or full id) names a local image, which is selected with every image built from it
 * (its layers and more); a value that names no image selects nothing.
 */
async function ancestorIds(store: Store, values: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  const images = await listImages(store);
  for (const value of values) {
    let record: ImageRecord;
    try {
      ({ record } = await resolveLocalImage(store, value));
    } catch (err) {
      if (err instanceof NotFoundError || err instanceof InvalidArgumentError) continue;
      throw err;
    }
    out.add(record.id);
    for (const img of images) if (descendsFrom(img, record)) out.add(img.id);
  }
  return out;
}

/**
 * The IMAGE column: the name the container was made from while it still names that image;
 * once the name was removed or moved to another image, the image's id (short unless
 * `noTrunc`), as Docker's daemon reports it.
 */
async function imageColumn(
  store: Store,
  rec: { Image: string; ImageName: string },
  tags: TagMap,
  noTrunc: boolean,
  seen: Map<string, string | undefined>,
): Promise<string> {
  if (!seen.has(rec.ImageName)) {
    const found = await resolveLocalImage(store, rec.ImageName, tags).then(
      (r) => r.record.id,
      () => undefined,
    );
    seen.set(rec.ImageName, found);
  }
  if (seen.get(rec.ImageName) === rec.Image) return rec.ImageName;
  return noTrunc ? rec.Image : rec.Image.replace(/^sha256:/, "").slice(0, 12);
}

/** A row of `ps` with the container's labels, for `{{.Label "key"}}`. */
export type ListedContainer = ContainerRow & { labels: Record<string, string> };

/**
 * The rows `ps` shows, newest first.
 *
 * @example
 * ```ts ignore
 * const rows = await listContainerRows({}, { all: true, last: -1, latest: false, filters: [], size: false, noTrunc: false });
 * ```
 */
export async function listContainerRows(
  where: StoreOptions,
  opts: ListOptions,
): Promise<ListedContainer[]> {
  const filters = psFilters(opts.filters);
  // Only read: a missing store lists nothing and is not created.
  const store = storeLayout(resolveStorePaths(where));
  const recs = await listContainers(store);
  const last = opts.latest ? 1 : opts.last;
  const all = opts.all || last > 0;
  const ancestor = filters.get("ancestor");
  const ancestors = ancestor ? await ancestorIds(store, ancestor) : undefined;
  const states = await Promise.all(recs.map((r) => currentState(store, r)));
  const now = Date.now();
  const tags = recs.length ? await readTags(store).catch(() => ({})) : {};
  const imageNames = new Map<string, string | undefined>();
  const rows: ListedContainer[] = [];
  for (let i = 0; i < recs.length; i++) {
    const rec = recs[i], state = states[i];
    const health = filters.has("health") || state.Status === "running"
      ? (await containerHealth(store, rec, state))?.Status
      : undefined;
    if (!psMatches(rec, state, filters, all, ancestors, health ?? "none")) continue;
    // -n/-l count what the filters kept, as Docker does
    if (last > 0 && rows.length === last) break;
    const row = {
      ...containerRow(rec, state, {
        noTrunc: opts.noTrunc,
        now,
        health: state.Status === "running" ? health : undefined,
      }),
      labels: rec.Labels,
    };
    row.Image = await imageColumn(store, rec, tags, opts.noTrunc, imageNames);
    if (isRunning(state.Status) && isBridgeNetwork(rec.Options.network)) {
      row.Ports = psPorts(
        containerExposedPorts(rec),
        await activeBindings(store, rec.Id, realHost),
      );
    }
    if (opts.size) {
      // Docker's "writable size (virtual size)": the upper layer, then with the image.
      const rw = await writableLayerSize(store, rec.Id);
      const image = await getImage(store, rec.Image).catch(() => undefined);
      row.Size = `${humanSize(rw)} (virtual ${humanSize(rw + (image?.size ?? 0))})`;
    }
    rows.push(row);
  }
  return rows;
}
