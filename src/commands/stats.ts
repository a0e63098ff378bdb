/** `skiff stats`: live (or with --no-stream, one) table of containers' resource usage. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { stats as spec } from "../cli/table_containers.ts";
import { renderList } from "../cli/format.ts";
import { bytesSize, humanSizeWithPrecision } from "../units.ts";
import type { ContainerRecord } from "../runtime/container_store.ts";
import type { StatsFigures } from "../runtime/stats.ts";
import { containerStats } from "../engine/container_stats.ts";
import { exitOne } from "./exit_codes.ts";

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
 * ```ts ignore
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

/** Runs `skiff stats [-a] [--no-stream] [--no-trunc] [--format F] [CONTAINER...]`. */
export default async function stats(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const f = ctx.flags;
  const stream = !f["no-stream"];
  const tty = Deno.stdout.isTerminal();
  const enc = new TextEncoder();
  const req = { names: ctx.args, all: f.all, stream };
  await exitOne(async () => {
    for await (const round of containerStats(ctx.global, req)) {
      const rows = round.map((e) => statsRow(e.label, e.rec, e.figures, f["no-trunc"]));
      const out = renderList(rows, {
        format: f.format,
        columns,
        defaultTable: DEFAULT_TABLE,
        contextType: "*container.statsContext",
      });
      await Deno.stdout.write(enc.encode(stream && tty ? `\x1b[2J\x1b[H${out}` : out));
    }
  });
  return 0;
}
