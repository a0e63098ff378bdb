/** `skiff stats`: live (or with --no-stream, one) table of containers' resource usage. */
import type { CommandContext } from "../cli/spec.ts";
import { renderList } from "../cli/format.ts";
import { bytesSize, humanSizeWithPrecision } from "../units.ts";
import { openStore, type Store } from "../store/store.ts";
import { CgroupManager } from "../runtime/cgroups.ts";
import { type ContainerRecord, findContainer, listContainers } from "../runtime/container_store.ts";
import { currentState } from "../runtime/state.ts";
import {
  computeStats,
  sampleStats,
  type StatsFigures,
  type StatsSample,
} from "../runtime/stats.ts";

/** One row, with Docker's template fields. */
export interface StatsRow {
  Container: string;
  Name: string;
  ID: string;
  CPUPerc: string;
  MemUsage: string;
  MemPerc: string;
  NetIO: string;
  BlockIO: string;
  PIDs: string;
}

const columns = [
  { field: "Container", header: "CONTAINER" },
  { field: "Name", header: "NAME" },
  { field: "ID", header: "CONTAINER ID" },
  { field: "CPUPerc", header: "CPU %" },
  { field: "MemUsage", header: "MEM USAGE / LIMIT" },
  { field: "MemPerc", header: "MEM %" },
  { field: "NetIO", header: "NET I/O" },
  { field: "BlockIO", header: "BLOCK I/O" },
  { field: "PIDs", header: "PIDS" },
];

const DEFAULT_TABLE =
  "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";

const pair = (a: number, b: number) =>
  `${humanSizeWithPrecision(a, 3)} / ${humanSizeWithPrecision(b, 3)}`;

/**
 * Formats figures as Docker's stats formatter does ("--" for a stopped container).
 *
 * @example
 * ```ts
 * statsRow("web", rec, figures, false).CPUPerc; // "0.25%"
 * ```
 */
export function statsRow(
  container: string,
  rec: ContainerRecord,
  f: StatsFigures,
  noTrunc: boolean,
): StatsRow {
  const id = noTrunc ? rec.Id : rec.Id.slice(0, 12);
  if (!f.valid) {
    return {
      Container: container,
      Name: rec.Name,
      ID: id,
      CPUPerc: "--",
      MemUsage: "-- / --",
      MemPerc: "--",
      NetIO: "--",
      BlockIO: "--",
      PIDs: "--",
    };
  }
  return {
    Container: container,
    Name: rec.Name,
    ID: id,
    CPUPerc: `${f.cpuPercent.toFixed(2)}%`,
    MemUsage: `${bytesSize(f.memUsage)} / ${bytesSize(f.memLimit)}`,
    MemPerc: `${f.memPercent.toFixed(2)}%`,
    NetIO: pair(f.netRx, f.netTx),
    BlockIO: pair(f.blkRead, f.blkWrite),
    PIDs: String(f.pids),
  };
}

interface Target {
  label: string;
  rec: ContainerRecord;
}

async function targets(store: Store, names: string[], all: boolean): Promise<Target[]> {
  if (names.length > 0) {
    const out: Target[] = [];
    for (const n of names) out.push({ label: n, rec: await findContainer(store, n) });
    return out;
  }
  const out: Target[] = [];
  for (const rec of await listContainers(store)) {
    const s = await currentState(store, rec);
    if (all || s.Status === "running" || s.Status === "paused") out.push({ label: rec.Id, rec });
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `skiff stats [-a] [--no-stream] [--no-trunc] [--format F] [CONTAINER...]`. */
export default async function stats(ctx: CommandContext): Promise<number> {
  const store = await openStore(ctx.global);
  const mgr = await CgroupManager.detect();
  const noTrunc = ctx.flags["no-trunc"] === true;
  const stream = ctx.flags["no-stream"] !== true;
  const tty = Deno.stdout.isTerminal();
  const enc = new TextEncoder();
  let prev = new Map<string, StatsSample>();
  let first = true;
  for (;;) {
    const list = await targets(store, ctx.args, ctx.flags.all === true);
    if (first) {
      for (const t of list) prev.set(t.rec.Id, await sampleStats(store, t.rec, mgr));
      await sleep(250);
    }
    const next = new Map<string, StatsSample>();
    const rows: StatsRow[] = [];
    for (const t of list) {
      const cur = await sampleStats(store, t.rec, mgr);
      next.set(t.rec.Id, cur);
      rows.push(statsRow(t.label, t.rec, computeStats(prev.get(t.rec.Id), cur), noTrunc));
    }
    prev = next;
    first = false;
    const out = renderList(rows, {
      format: ctx.flags.format as string | undefined,
      columns,
      defaultTable: DEFAULT_TABLE,
    });
    await Deno.stdout.write(enc.encode(stream && tty ? `\x1b[2J\x1b[H${out}` : out));
    if (!stream) return 0;
    await sleep(1000);
  }
}
