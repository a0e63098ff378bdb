/**
 * `stats`: resource usage of containers, sampled from their cgroups: one round, or a round a
 * second while the caller keeps reading.
 *
 * @module
 */
import { openStore, type Store } from "../store/store.ts";
import { type Cgroups, detectCgroups } from "../runtime/cgroups.ts";
import { type Host, realHost } from "../sys/host.ts";
import { type ContainerRecord, findContainer, listContainers } from "../runtime/container_store.ts";
import { currentState } from "../runtime/state.ts";
import { isRunning } from "../runtime/status.ts";
import {
  computeStats,
  sampleStats,
  type StatsFigures,
  type StatsSample,
} from "../runtime/stats.ts";
import type { StoreOptions } from "./engine_types.ts";

/** One container's figures in a round. */
export interface StatsEntry {
  /** The name as given, or the full id when listing. */
  label: string;
  rec: ContainerRecord;
  figures: StatsFigures;
}

/** What `stats` was asked for. */
export interface StatsRequest {
  /** The containers (empty: the running ones, or every one with `all`). */
  names: readonly string[];
  all: boolean;
  /** A round a second until the caller stops reading; otherwise one round. */
  stream: boolean;
}

interface Target {
  label: string;
  rec: ContainerRecord;
}

/** What stats acts through; real ones by default. */
export interface StatsSeams {
  /** The cgroup manager (default: detected on the host). */
  cgroups?: Cgroups;
  /** The host: /proc, cgroup files and the clock between rounds. */
  host?: Host;
}

async function targets(
  store: Store,
  names: readonly string[],
  all: boolean,
  host: Host,
): Promise<Target[]> {
  const out: Target[] = [];
  if (names.length > 0) {
    for (const n of names) out.push({ label: n, rec: await findContainer(store, n) });
    return out;
  }
  for (const rec of await listContainers(store)) {
    const s = await currentState(store, rec, host);
    if (all || isRunning(s.Status)) out.push({ label: rec.Id, rec });
  }
  return out;
}

/**
 * The rounds of figures: the first after a 250 ms sample (CPU needs two), then one a second
 * while streaming. The target list is read again each round.
 *
 * @example
 * ```ts ignore
 * for await (const round of containerStats({}, { names: [], all: false, stream: false })) {}
 * ```
 */
export async function* containerStats(
  where: StoreOptions,
  req: StatsRequest,
  seams: StatsSeams = {},
): AsyncGenerator<StatsEntry[]> {
  const host = seams.host ?? realHost;
  const store = await openStore(where);
  const mgr = seams.cgroups ?? await detectCgroups(host);
  let prev = new Map<string, StatsSample>();
  for (let first = true;; first = false) {
    const list = await targets(store, req.names, req.all, host);
    if (first) {
      for (const t of list) prev.set(t.rec.Id, await sampleStats(store, t.rec, mgr, host));
      await host.sleep(250);
    }
    const next = new Map<string, StatsSample>();
    const round: StatsEntry[] = [];
    for (const t of list) {
      const cur = await sampleStats(store, t.rec, mgr, host);
      next.set(t.rec.Id, cur);
      round.push({ ...t, figures: computeStats(prev.get(t.rec.Id), cur) });
    }
    prev = next;
    yield round;
    if (!req.stream) return;
    await host.sleep(1000);
  }
}
