/**
 * Resource usage of running containers for `stats`, computed as Docker's
 * client does: CPU % from the container's CPU time over the host's CPU time
 * between two samples, memory without the inactive file cache, the host's
 * memory as the limit when none is set, block I/O from the blkio/io
 * controller and network I/O from the container's network namespace.
 */
import type { Store } from "../store/store.ts";
import { type Host, realHost } from "../sys/host.ts";
import { type Cgroups, detectCgroups } from "./cgroups.ts";
import type { ContainerRecord } from "./container_store.ts";
import { currentState } from "./state.ts";
import { isRunning } from "./status.ts";

/** One reading of one container. */
export interface StatsSample {
  /** False when the container is not running (Docker shows "--"). */
  valid: boolean;
  /** Container CPU time, ns. */
  cpuNs: number;
  /** Host CPU time (all CPUs) from /proc/stat, ns. */
  systemNs: number;
  onlineCpus: number;
  memUsage: number;
  memLimit: number;
  blkRead: number;
  blkWrite: number;
  netRx: number;
  netTx: number;
  pids: number;
}

/** Figures of one container for display. */
export interface StatsFigures {
  valid: boolean;
  cpuPercent: number;
  memUsage: number;
  memLimit: number;
  memPercent: number;
  netRx: number;
  netTx: number;
  blkRead: number;
  blkWrite: number;
  pids: number;
}

const CLOCK_TICKS = 100;

/** Host CPU time in ns and the number of CPUs, from /proc/stat. */
async function hostCpu(host: Host): Promise<{ systemNs: number; onlineCpus: number }> {
  const text = await readOr(host, "/proc/stat");
  let systemNs = 0, onlineCpus = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("cpu ")) {
      const ticks = line.trim().split(/\s+/).slice(1, 8).reduce((a, b) => a + Number(b), 0);
      systemNs = (ticks * 1e9) / CLOCK_TICKS;
    } else if (/^cpu\d+ /.test(line)) onlineCpus++;
  }
  return { systemNs, onlineCpus: onlineCpus || navigator.hardwareConcurrency || 1 };
}

/** MemTotal of the host, bytes. */
async function hostMemory(host: Host): Promise<number> {
  const text = await readOr(host, "/proc/meminfo");
  const m = /^MemTotal:\s+(\d+) kB/m.exec(text);
  return m ? Number(m[1]) * 1024 : 0;
}

async function readOr(host: Host, path: string): Promise<string> {
  return await host.readTextFile(path).catch(() => "");
}

/** Inactive file cache (Docker subtracts it from the usage). */
async function inactiveFile(host: Host, dirs: string[], version: 1 | 2): Promise<number> {
  for (const dir of dirs) {
    if (version === 1 && !dir.includes("/memory/")) continue;
    const text = await readOr(host, `${dir}/memory.stat`);
    const key = version === 1 ? "total_inactive_file" : "inactive_file";
    const m = new RegExp(`^${key} (\\d+)$`, "m").exec(text);
    if (m) return Number(m[1]);
  }
  return 0;
}

/** Bytes read and written, from blkio (v1) or io.stat (v2). */
async function blockIo(host: Host, dirs: string[], version: 1 | 2): Promise<[number, number]> {
  let read = 0, write = 0;
  for (const dir of dirs) {
    if (version === 2) {
      for (const line of (await readOr(host, `${dir}/io.stat`)).split("\n")) {
        read += Number(/rbytes=(\d+)/.exec(line)?.[1] ?? 0);
        write += Number(/wbytes=(\d+)/.exec(line)?.[1] ?? 0);
      }
    } else if (dir.includes("/blkio/")) {
      let text = await readOr(host, `${dir}/blkio.throttle.io_service_bytes_recursive`);
      if (text === "") text = await readOr(host, `${dir}/blkio.throttle.io_service_bytes`);
      for (const line of text.split("\n")) {
        const f = line.trim().split(/\s+/);
        if (f.length !== 3) continue;
        if (f[1] === "Read") read += Number(f[2]);
        else if (f[1] === "Write") write += Number(f[2]);
      }
    }
  }
  return [read, write];
}

/** Received and sent bytes of the interfaces (but loopback) in the process's network namespace. */
async function netIo(host: Host, pid: number): Promise<[number, number]> {
  let rx = 0, tx = 0;
  for (const line of (await readOr(host, `/proc/${pid}/net/dev`)).split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (name === "lo") continue;
    const f = line.slice(colon + 1).trim().split(/\s+/);
    rx += Number(f[0] ?? 0);
    tx += Number(f[8] ?? 0);
  }
  return [rx, tx];
}

/**
 * Takes one reading of a container's usage (an invalid one when it is not running).
 *
 * @example
 * ```ts ignore
 * const a = await sampleStats(store, rec);
 * ```
 */
export async function sampleStats(
  store: Store,
  rec: ContainerRecord,
  cgroups?: Cgroups,
  host: Host = realHost,
): Promise<StatsSample> {
  const cpu = await hostCpu(host);
  const empty: StatsSample = {
    valid: false,
    cpuNs: 0,
    ...cpu,
    memUsage: 0,
    memLimit: 0,
    blkRead: 0,
    blkWrite: 0,
    netRx: 0,
    netTx: 0,
    pids: 0,
  };
  const state = await currentState(store, rec, host);
  if (!isRunning(state.Status)) return empty;
  cgroups = (cgroups ?? await detectCgroups(host)).forParent(rec.CgroupParent);
  const stats = await cgroups.stats(rec.Id).catch(() => undefined);
  if (!stats) return empty;
  const dirs = cgroups.paths(rec.Id);
  const version = cgroups.version;
  const cache = await inactiveFile(host, dirs, version);
  const [blkRead, blkWrite] = await blockIo(host, dirs, version);
  const [netRx, netTx] = rec.Options.network === "host" ? [0, 0] : await netIo(host, state.Pid);
  return {
    valid: true,
    cpuNs: stats.cpuUsageNs,
    ...cpu,
    memUsage: cache < stats.memoryUsage ? stats.memoryUsage - cache : stats.memoryUsage,
    memLimit: stats.memoryLimit ?? await hostMemory(host),
    blkRead,
    blkWrite,
    netRx,
    netTx,
    pids: stats.pids,
  };
}

/**
 * Docker's figures from two readings of the same container (CPU % needs both).
 *
 * @example
 * ```ts ignore
 * computeStats(before, after).cpuPercent; // 12.5
 * ```
 */
export function computeStats(prev: StatsSample | undefined, cur: StatsSample): StatsFigures {
  let cpuPercent = 0;
  if (prev && prev.valid && cur.valid) {
    const cpuDelta = cur.cpuNs - prev.cpuNs;
    const systemDelta = cur.systemNs - prev.systemNs;
    if (cpuDelta > 0 && systemDelta > 0) {
      cpuPercent = (cpuDelta / systemDelta) * cur.onlineCpus * 100;
    }
  }
  return {
    valid: cur.valid,
    cpuPercent,
    memUsage: cur.memUsage,
    memLimit: cur.memLimit,
    memPercent: cur.memLimit > 0 ? (cur.memUsage / cur.memLimit) * 100 : 0,
    netRx: cur.netRx,
    netTx: cur.netTx,
    blkRead: cur.blkRead,
    blkWrite: cur.blkWrite,
    pids: cur.pids,
  };
}
