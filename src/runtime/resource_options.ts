/**
 * The resource flags of `docker run` / `docker create` beyond memory, CPUs and pids
 * (`--cpu-period`, `--cpuset-cpus`, `--blkio-weight`, `--device-read-bps`, `--shm-size`,
 * `--cgroupns`...): their typed form and the pure parsers and checks, with Docker's messages.
 */
import { InvalidArgumentError } from "../errors.ts";
import { parseSize } from "../units.ts";

/** A block device named on the command line, with its numbers (from a stat of the path). */
export interface BlockDevice {
  /** The path as given ("/dev/vda"). */
  path: string;
  major: number;
  minor: number;
}

/** `--blkio-weight-device PATH:WEIGHT`. */
export interface WeightDevice extends BlockDevice {
  weight: number;
}

/** `--device-{read,write}-{bps,iops} PATH:RATE`. */
export interface ThrottleDevice extends BlockDevice {
  /** Bytes or operations per second. */
  rate: number;
}

/** The resource options beyond -m, --memory-swap, --cpus, -c and --pids-limit. */
export interface ResourceOptions {
  /** --cpu-period, microseconds. */
  cpuPeriod?: number;
  /** --cpu-quota, microseconds per period; -1 or 0: none. */
  cpuQuota?: number;
  /** --cpuset-cpus ("0-2,4"). */
  cpusetCpus?: string;
  /** --cpuset-mems. */
  cpusetMems?: string;
  /** --cpu-rt-period, microseconds. */
  cpuRtPeriod?: number;
  /** --cpu-rt-runtime, microseconds. */
  cpuRtRuntime?: number;
  /** --memory-reservation, bytes (a soft limit). */
  memoryReservation?: number;
  /** --memory-swappiness 0..100; undefined: the kernel's. */
  memorySwappiness?: number;
  /** --oom-kill-disable */
  oomKillDisable?: boolean;
  /** --oom-score-adj -1000..1000. */
  oomScoreAdj?: number;
  /** --blkio-weight 10..1000; 0: none. */
  blkioWeight?: number;
  /** --blkio-weight-device */
  blkioWeightDevice?: WeightDevice[];
  /** --device-read-bps */
  deviceReadBps?: ThrottleDevice[];
  /** --device-write-bps */
  deviceWriteBps?: ThrottleDevice[];
  /** --device-read-iops */
  deviceReadIops?: ThrottleDevice[];
  /** --device-write-iops */
  deviceWriteIops?: ThrottleDevice[];
  /** --shm-size in bytes; undefined: 64 MiB. */
  shmSize?: number;
  /** --cgroupns; undefined: private on cgroup v2, host on v1 (Docker's default). */
  cgroupns?: "host" | "private";
}

/** The size of /dev/shm without --shm-size (Docker's). */
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

/** Looks up a block device's numbers: major/minor, or an Error saying why not. */
export type DeviceLookup = (path: string) => { major: number; minor: number };

function flagError(flag: string, value: string, why: string): InvalidArgumentError {
  return new InvalidArgumentError(`invalid argument "${value}" for "--${flag}" flag: ${why}`);
}

function splitDevice(flag: string, value: string): [string, string] {
  const i = value.lastIndexOf(":");
  if (i < 0) throw flagError(flag, value, `bad format: ${value}`);
  const path = value.slice(0, i);
  if (!path.startsWith("/dev/")) {
    throw flagError(flag, value, `bad format for device path: ${value}`);
  }
  return [path, value.slice(i + 1)];
}

/**
 * Parses `--blkio-weight-device PATH:WEIGHT` (weight 10..1000, or 0) as Docker does.
 *
 * @example
 * ```ts
 * parseWeightDevice("/dev/sda:200", () => ({ major: 8, minor: 0 }));
 * // { path: "/dev/sda", major: 8, minor: 0, weight: 200 }
 * ```
 */
export function parseWeightDevice(value: string, lookup: DeviceLookup): WeightDevice {
  const flag = "blkio-weight-device";
  const [path, w] = splitDevice(flag, value);
  const weight = /^\d+$/.test(w) ? Number(w) : NaN;
  if (!Number.isSafeInteger(weight) || (weight > 0 && (weight < 10 || weight > 1000))) {
    throw flagError(flag, value, `invalid weight for device: ${value}`);
  }
  return { path, ...lookup(path), weight };
}

/**
 * Parses `--device-{read,write}-bps PATH:RATE[kb|mb|gb]` (`iops`: a plain number) as Docker
 * does; `flag` names the flag for the message.
 *
 * @example
 * ```ts
 * parseThrottleDevice("device-read-bps", "/dev/sda:1mb", () => ({ major: 8, minor: 0 }));
 * // { path: "/dev/sda", major: 8, minor: 0, rate: 1048576 }
 * ```
 */
export function parseThrottleDevice(
  flag: string,
  value: string,
  lookup: DeviceLookup,
): ThrottleDevice {
  const [path, r] = splitDevice(flag, value);
  const iops = flag.endsWith("iops");
  let rate = NaN;
  if (iops) rate = /^\d+$/.test(r) ? Number(r) : NaN;
  else if (/^\d+(\.\d+)?[a-zA-Z]*$/.test(r)) {
    try {
      rate = parseSize(r);
    } catch { /* NaN */ }
  }
  if (!Number.isSafeInteger(rate) || rate < 0) {
    const format = iops
      ? "<device-path>:<number>. Number must be a positive integer"
      : "<device-path>:<number>[<unit>]. Number must be a positive integer. " +
        "Unit is optional and can be kb, mb, or gb";
    throw flagError(
      flag,
      value,
      `invalid rate for device: ${value}. The correct format is ${format}`,
    );
  }
  return { path, ...lookup(path), rate };
}

/**
 * Parses `--cgroupns` as Docker does: "host", "private", or "" for the default.
 *
 * @example
 * ```ts
 * parseCgroupns("host"); // "host"
 * ```
 */
export function parseCgroupns(value: string): "host" | "private" | undefined {
  if (value === "") return undefined;
  if (value === "host" || value === "private") return value;
  throw new InvalidArgumentError(`invalid cgroup namespace mode: ${value}`);
}

/**
 * Checks the options as Docker's daemon does before it creates anything (`nanoCpus` is --cpus,
 * `memory` is -m: they take part in some rules), with Docker's messages.
 *
 * @example
 * ```ts
 * checkResourceOptions({ cpuPeriod: 100000, cpuQuota: 50000 }, {}); // half a CPU: accepted
 * // { cpuPeriod: 100 } throws "CPU cfs period can not be less than 1ms (i.e. 1000) or larger
 * // than 1s (i.e. 1000000)"
 * ```
 */
export function checkResourceOptions(
  r: ResourceOptions,
  other: { nanoCpus?: number; memory?: number },
): void {
  const bad = (msg: string) => new InvalidArgumentError(msg);
  if (other.nanoCpus && r.cpuPeriod) {
    throw bad("Conflicting options: Nano CPUs and CPU Period cannot both be set");
  }
  if (other.nanoCpus && r.cpuQuota) {
    throw bad("Conflicting options: Nano CPUs and CPU Quota cannot both be set");
  }
  if (r.cpuPeriod && (r.cpuPeriod < 1000 || r.cpuPeriod > 1000000)) {
    throw bad(
      "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)",
    );
  }
  if (r.cpuQuota && r.cpuQuota > 0 && r.cpuQuota < 1000) {
    throw bad("CPU cfs quota can not be less than 1ms (i.e. 1000)");
  }
  if ((r.cpuRtPeriod ?? 0) < 0 || (r.cpuRtRuntime ?? 0) < -1) {
    throw bad("cpu real-time period and runtime can not be negative");
  }
  if (r.cpuRtPeriod && r.cpuRtRuntime && r.cpuRtRuntime > r.cpuRtPeriod) {
    throw bad("cpu real-time runtime cannot be higher than cpu real-time period");
  }
  if (r.cpusetCpus !== undefined && !isCpuList(r.cpusetCpus)) {
    throw bad(`Invalid value ${r.cpusetCpus} for cpuset cpus`);
  }
  if (r.cpusetMems !== undefined && !isCpuList(r.cpusetMems)) {
    throw bad(`Invalid value ${r.cpusetMems} for cpuset mems`);
  }
  if (r.memoryReservation) {
    if (r.memoryReservation < 6 * 1024 * 1024) {
      throw bad("Minimum memory reservation allowed is 6MB");
    }
    if (other.memory && other.memory > 0 && other.memory < r.memoryReservation) {
      throw bad(
        "Minimum memory limit can not be less than memory reservation limit, see usage",
      );
    }
  }
  const sw = r.memorySwappiness;
  if (sw !== undefined && sw !== -1 && (sw < 0 || sw > 100)) {
    throw bad(`Invalid value: ${sw}, valid memory swappiness range is 0-100`);
  }
  if (r.oomScoreAdj !== undefined && (r.oomScoreAdj < -1000 || r.oomScoreAdj > 1000)) {
    throw bad(`Invalid value ${r.oomScoreAdj}, range for oom score adj is [-1000, 1000]`);
  }
  if (r.blkioWeight && (r.blkioWeight < 10 || r.blkioWeight > 1000)) {
    throw bad("Range of blkio weight is from 10 to 1000");
  }
  if (r.shmSize !== undefined && r.shmSize < 0) throw bad("SHM size can not be less than 0");
}

/**
 * Parses a cpuset list ("0-2,4") into its numbers, or undefined when malformed.
 *
 * @example
 * ```ts
 * parseCpuList("0-2,4"); // [0, 1, 2, 4]
 * ```
 */
export function parseCpuList(list: string): number[] | undefined {
  const out = new Set<number>();
  if (list.trim() === "") return [];
  for (const part of list.trim().split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return undefined;
    const [a, b] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (b < a || b - a > 65536) return undefined;
    for (let i = a; i <= b; i++) out.add(i);
  }
  return [...out].sort((x, y) => x - y);
}

function isCpuList(list: string): boolean {
  return list.trim() !== "" && parseCpuList(list) !== undefined;
}
