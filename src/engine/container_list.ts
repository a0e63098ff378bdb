/**
 * `ps`: the containers to list, with Docker's filters (id, name, label, status, exited,
 * ancestor), `-a`, `-n`/`-l` and `-s`, as rows for the renderer.
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.ts";
import { storeLayout } from "../store/store.ts";
import { resolveStorePaths } from "../store/paths.ts";
import type { StoreOptions } from "./engine_types.ts";
import { getImage } from "../store/images.ts";
import { humanSize } from "../units.ts";
import {
  type ContainerRecord,
  type ContainerState,
  listContainers,
} from "../runtime/container_store.ts";
import { currentState } from "../runtime/state.ts";
import { type ContainerRow, containerRow } from "../runtime/views.ts";
import { writableLayerSize } from "../runtime/size.ts";
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
  const filters = parseFilters(list, ["id", "name", "label", "status", "exited", "ancestor"]);
  for (const st of filters.get("status") ?? []) {
    if (!STATUSES.includes(st)) throw new InvalidArgumentError(`invalid filter 'status=${st}'`);
  }
  return filters;
}

/**
 * Whether a container is listed: without `all` (or a status filter) only live ones; then every
 * filter key must match (values of one key are alternatives, except labels, which all apply).
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
): boolean {
  const status = filters.get("status");
  if (!all && !status && !isSupervised(state.Status)) return false;
  if (status && !status.includes(state.Status)) return false;
  const ids = filters.get("id");
  if (ids && !ids.some((p) => rec.Id.startsWith(p))) return false;
  const names = filters.get("name");
  if (names && !names.some((n) => rec.Name.includes(n))) return false;
  const exited = filters.get("exited");
  if (exited && !(state.Status === "exited" && exited.includes(String(state.ExitCode)))) {
    return false;
  }
  const ancestor = filters.get("ancestor");
  if (ancestor && !ancestor.some((a) => rec.ImageName === a || rec.Image.includes(a))) {
    return false;
  }
  const labels = filters.get("label");
  return !labels || labelsMatch(rec.Labels, labels);
}

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
): Promise<ContainerRow[]> {
  const filters = psFilters(opts.filters);
  // Only read: a missing store lists nothing and is not created.
  const store = storeLayout(resolveStorePaths(where));
  let recs = await listContainers(store);
  const last = opts.latest ? 1 : opts.last;
  const all = opts.all || last > 0;
  if (last > 0) recs = recs.slice(0, last);
  const states = await Promise.all(recs.map((r) => currentState(store, r)));
  const now = Date.now();
  const rows: ContainerRow[] = [];
  for (let i = 0; i < recs.length; i++) {
    const rec = recs[i], state = states[i];
    if (!psMatches(rec, state, filters, all)) continue;
    const row = containerRow(rec, state, { noTrunc: opts.noTrunc, now });
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
