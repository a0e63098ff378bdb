/**
 * Control groups for containers, v1 (one hierarchy per controller) and v2
 * (the unified tree), through the host seam so that the logic is tested on
 * the fake host's in-memory tree. Each container gets
 * `<controller mount>/<parent>/<id>` (v1) or `<mount>/<parent>/<id>` (v2), the parent being
 * "skiff" or the container's `--cgroup-parent` (taken from the hierarchy root, with or without
 * a leading slash, as podman does with cgroupfs); the monitor writes the container's pid into
 * each directory's cgroup.procs. A parent is never removed: it may hold others' cgroups.
 * {@link Cgroups} is what the runtime asks of a cgroup manager:
 * {@link CgroupManager} for v1 and v2, {@link NoCgroups} where skiff may not
 * create cgroups (rootless without delegation).
 */
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from "../errors.ts";
import { type DeviceRule, parseDeviceRule } from "../sys/cgroup_devices.ts";
import { type Host, realHost } from "../sys/host.ts";
import { parseMountinfo } from "../sys/mountinfo.ts";
import { parseCpuList } from "./resource_options.ts";

/** Which cgroup layout the host has. */
export type CgroupMode =
  | {
    version: 1; /** mount point of each v1 controller ("memory" → "/sys/fs/cgroup/memory") */
    controllers: Record<string, string>;
  }
  | { version: 2; /** mount point of the unified tree */ mountpoint: string };

/**
 * Detects the cgroup layout from /proc/self/mountinfo: v1 when any v1
 * hierarchy carries a controller (a hybrid host's extra cgroup2 tree is
 * ignored), otherwise v2 at the cgroup2 mount.
 *
 * @example
 * ```ts
 * detectCgroupMode(await Deno.readTextFile("/proc/self/mountinfo"));
 * // { version: 2, mountpoint: "/sys/fs/cgroup" }
 * ```
 */
export function detectCgroupMode(mountinfo: string): CgroupMode {
  const controllers: Record<string, string> = {};
  let unified: string | undefined;
  for (const m of parseMountinfo(mountinfo)) {
    if (m.fsType === "cgroup2") {
      // Prefer the canonical location when several are mounted.
      if (unified === undefined || m.mountPoint === "/sys/fs/cgroup") unified = m.mountPoint;
    } else if (m.fsType === "cgroup") {
      for (const opt of m.superOptions) {
        if (opt === "rw" || opt === "ro" || opt.includes("=")) continue;
        controllers[opt] ??= m.mountPoint;
      }
    }
  }
  if (Object.keys(controllers).length > 0) return { version: 1, controllers };
  if (unified !== undefined) return { version: 2, mountpoint: unified };
  throw new FailedPreconditionError("no cgroup file system is mounted");
}

/** Resource limits of one container (absent: unlimited). */
export interface CgroupLimits {
  /** Bytes. */
  memory?: number;
  /** Bytes of memory plus swap; -1 unlimited; absent with `memory`: twice `memory` (Docker). */
  memorySwap?: number;
  /** Nano-CPUs (1.5 CPUs = 1500000000). */
  cpus?: number;
  /** Relative weight, 2..262144 (Docker's default 1024). */
  cpuShares?: number;
  /** Maximum number of tasks; 0 or negative: unlimited. */
  pidsLimit?: number;
  /** CFS period in microseconds (--cpu-period; not with `cpus`). */
  cpuPeriod?: number;
  /** CFS quota in microseconds per period (--cpu-quota; -1 or 0: none). */
  cpuQuota?: number;
  /** CPUs the container may run on ("0-2,4"). */
  cpusetCpus?: string;
  /** Memory nodes the container may use. */
  cpusetMems?: string;
  /** Real-time period in microseconds (v1 with CONFIG_RT_GROUP_SCHED only). */
  cpuRtPeriod?: number;
  /** Real-time runtime in microseconds per period. */
  cpuRtRuntime?: number;
  /** Soft limit in bytes (v1 memory.soft_limit_in_bytes, v2 memory.low). */
  memoryReservation?: number;
  /** 0..100 (v1 only: v2 has no per-cgroup swappiness). */
  memorySwappiness?: number;
  /** v1 memory.oom_control (v2 has no switch for it). */
  oomKillDisable?: boolean;
  /** Block I/O weight 10..1000. */
  blkioWeight?: number;
  /** Per-device block I/O weights. */
  blkioWeightDevice?: { major: number; minor: number; weight: number }[];
  /** Bytes per second read from a device. */
  deviceReadBps?: DeviceRate[];
  /** Bytes per second written to a device. */
  deviceWriteBps?: DeviceRate[];
  /** Reads per second from a device. */
  deviceReadIops?: DeviceRate[];
  /** Writes per second to a device. */
  deviceWriteIops?: DeviceRate[];
  /**
   * v1 device access: "default" (Docker's list: the standard nodes, ptys,
   * mknod of anything) or "all" (--privileged). Default "default". On v2 the
   * same rules become an eBPF program attached to the cgroup.
   */
  devices?: "default" | "all";
  /** Rules allowed after the defaults (--device, --device-cgroup-rule), as "c 1:3 rwm". */
  deviceRules?: string[];
}

/** A rate limit on one block device. */
export interface DeviceRate {
  major: number;
  minor: number;
  rate: number;
}

/** Usage figures for `stats`. */
export interface CgroupStats {
  memoryUsage: number;
  /** undefined when unlimited. */
  memoryLimit?: number;
  cpuUsageNs: number;
  pids: number;
}

/** v1 controllers a container is placed in. */
export const V1_CONTROLLERS = [
  "memory",
  "cpu",
  "cpuacct",
  "pids",
  "freezer",
  "blkio",
  "devices",
  "cpuset",
];
const V2_CONTROLLERS = ["memory", "cpu", "pids"];
/** Docker's device cgroup allow list (after denying everything). */
export const V1_DEVICE_RULES: readonly string[] = [
  "c *:* m",
  "b *:* m",
  "c 1:3 rwm",
  "c 1:5 rwm",
  "c 1:7 rwm",
  "c 1:8 rwm",
  "c 1:9 rwm",
  "c 5:0 rwm",
  "c 5:1 rwm",
  "c 5:2 rwm",
  "c 136:* rwm",
];
/** The device rules of a v2 cgroup: Docker's list after denying everything, or all. */
export function v2DeviceRules(
  devices: CgroupLimits["devices"],
  extra: readonly string[] = [],
): DeviceRule[] {
  if (devices === "all") return [parseDeviceRule("a")];
  return [
    parseDeviceRule("a", false),
    ...[...V1_DEVICE_RULES, ...extra].map((r) => parseDeviceRule(r)),
  ];
}
const CFS_PERIOD = 100000;
/** The kernel's default real-time period (sched_rt_period_us). */
const RT_PERIOD = 1000000;
/** v1 reports "no limit" as the largest page-aligned 63-bit value. */
const V1_UNLIMITED = 9223372036854771712;

/**
 * Checks limits as Docker does and fills in the swap default (twice the
 * memory when only memory is set).
 *
 * @example
 * ```ts
 * normalizeLimits({ memory: 64 << 20 }); // { memory: 67108864, memorySwap: 134217728 }
 * ```
 */
export function normalizeLimits(limits: CgroupLimits): CgroupLimits {
  const out = { ...limits };
  if (out.memory !== undefined && out.memory > 0) {
    if (out.memory < 6 * 1024 * 1024) {
      throw new InvalidArgumentError("Minimum memory limit allowed is 6MB");
    }
    if (out.memorySwap === undefined || out.memorySwap === 0) out.memorySwap = out.memory * 2;
    else if (out.memorySwap > 0 && out.memorySwap < out.memory) {
      throw new InvalidArgumentError(
        "Minimum memoryswap limit should be larger than memory limit, see usage",
      );
    }
  } else if (out.memorySwap !== undefined && out.memorySwap > 0) {
    throw new InvalidArgumentError(
      "You should always set the Memory limit when using Memoryswap limit, see usage",
    );
  }
  if (out.cpus !== undefined && out.cpus < 0) {
    throw new InvalidArgumentError("invalid value: range of CPUs must be positive");
  }
  if (out.cpuShares !== undefined && out.cpuShares !== 0) {
    out.cpuShares = Math.min(262144, Math.max(2, out.cpuShares));
  }
  return out;
}

/**
 * runc's conversion of v1 cpu.shares (2..262144) to v2 cpu.weight (1..10000).
 *
 * @example
 * ```ts
 * sharesToWeight(1024); // 39
 * ```
 */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/** Options of the manager. */
export interface CgroupManagerOptions {
  /** Directory under each hierarchy root that holds skiff's containers. */
  parent?: string;
  /** Sends SIGKILL to a pid (default: the host's kill). */
  kill?: (pid: number) => void;
  /** Waits between retries (default: the host's sleep). */
  sleep?: (ms: number) => Promise<void>;
}

/** The parent of containers' cgroups when none is given. */
export const DEFAULT_CGROUP_PARENT = "skiff";

/**
 * Checks a `--cgroup-parent` value: a clean path of one or more names, absolute or relative
 * (both are taken from the hierarchy root), without "." or ".." or empty components.
 *
 * @example
 * ```ts
 * checkCgroupParent("/ci/job-7"); // fine
 * // checkCgroupParent("a/../b") throws an InvalidArgumentError
 * ```
 */
export function checkCgroupParent(parent: string): void {
  const names = parent.startsWith("/") ? parent.slice(1).split("/") : parent.split("/");
  const bad = names.find((n) => n === "" || n === "." || n === ".." || /[\0\n]/.test(n));
  if (bad !== undefined) {
    throw new InvalidArgumentError(
      `invalid cgroup parent "${parent}": it must be a clean path of names, without "." or ".."`,
    );
  }
}

/** What the runtime asks of a cgroup manager, whichever kind the host allows. */
export interface Cgroups {
  /** The host's cgroup layout (decides the container's cgroup namespace and mounts). */
  readonly version: 1 | 2;
  /**
   * The manager of containers under `parent` (a container's recorded `--cgroup-parent`,
   * checked by {@link checkCgroupParent}); undefined or "" is the default parent.
   */
  forParent(parent: string | undefined): Cgroups;
  /** The container's cgroup directories (none when the manager makes none). */
  paths(id: string): string[];
  /** Creates the container's cgroups with its limits; returns `paths(id)`. */
  create(id: string, limits?: CgroupLimits): Promise<string[]>;
  /** Applies changed limits to the container's cgroups when they exist (`update`). */
  update?(id: string, limits: CgroupLimits): Promise<void>;
  /** Removes them, with `kill` first killing what is left. */
  destroy(id: string, options?: { kill?: boolean }): Promise<void>;
  freeze(id: string): Promise<void>;
  thaw(id: string): Promise<void>;
  stats(id: string): Promise<CgroupStats>;
  oomKilled(id: string): Promise<boolean>;
  /** Pids of the container's processes. */
  pids(id: string): Promise<number[]>;
}

/**
 * The cgroup manager for this host: v1 or v2 from /proc/self/mountinfo.
 *
 * @example
 * ```ts ignore
 * const cgroups = await detectCgroups(realHost);
 * ```
 */
export async function detectCgroups(host: Host = realHost): Promise<Cgroups> {
  if (host.uid() !== 0) {
    // Rootless: no delegated subtree is used (none on v1; a systemd user slice on v2 is not
    // asked for yet). Limits are warned about and ignored, as Podman does rootless.
    const mode = detectCgroupMode(await host.readTextFile("/proc/self/mountinfo"));
    return new NoCgroups(mode.version, (m) => console.error(`WARNING: ${m}`));
  }
  return await CgroupManager.detect(host);
}

/**
 * The manager where skiff may not create cgroups (rootless without a delegated
 * subtree): no directories, no limits, nothing to clean up; pausing and stats
 * are refused with a reason.
 *
 * @example
 * ```ts ignore
 * const cgroups = new NoCgroups(2);
 * await cgroups.create(id); // []
 * ```
 */
export class NoCgroups implements Cgroups {
  /** With `warn`, limits are ignored with Podman's rootless warning instead of refused. */
  constructor(readonly version: 1 | 2, readonly warn?: (message: string) => void) {}
  /** The same: no cgroups under any parent. */
  forParent(parent: string | undefined): Cgroups {
    if (parent) checkCgroupParent(parent);
    return this;
  }
  /** None. */
  paths(id: string): string[] {
    checkId(id);
    return [];
  }
  /** Refuses limits it cannot apply (with `warn`: ignores them, warned); creates nothing. */
  create(id: string, limits: CgroupLimits = {}): Promise<string[]> {
    checkId(id);
    const l = normalizeLimits(limits);
    const limited = l.memory || l.cpus || l.cpuShares || (l.pidsLimit ?? 0) > 0 ||
      hasResourceLimits(l);
    if (limited && this.warn) {
      this.warn(
        this.version === 1
          ? "Resource limits are not supported and ignored on cgroups V1 rootless systems"
          : "Resource limits are not supported and ignored: this user has no delegated cgroup",
      );
    } else if (limited) {
      return Promise.reject(
        new FailedPreconditionError(
          "resource limits need cgroups, which this host does not delegate",
        ),
      );
    }
    return Promise.resolve([]);
  }
  /** Nothing to remove. */
  destroy(id: string): Promise<void> {
    checkId(id);
    return Promise.resolve();
  }
  /** Refused: freezing needs a cgroup. */
  freeze(id: string): Promise<void> {
    return Promise.reject(this.#refuse(id, "pause"));
  }
  /** Refused: freezing needs a cgroup. */
  thaw(id: string): Promise<void> {
    return Promise.reject(this.#refuse(id, "unpause"));
  }
  /** Refused: the figures come from a cgroup. */
  stats(id: string): Promise<CgroupStats> {
    return Promise.reject(this.#refuse(id, "read stats of"));
  }
  /** Unknown without a cgroup: no. */
  oomKilled(id: string): Promise<boolean> {
    checkId(id);
    return Promise.resolve(false);
  }
  /** Unknown without a cgroup: none. */
  pids(id: string): Promise<number[]> {
    checkId(id);
    return Promise.resolve([]);
  }
  #refuse(id: string, what: string): Error {
    checkId(id);
    return new FailedPreconditionError(`cannot ${what} container ${id}: it has no cgroup`);
  }
}

/**
 * Creates, limits, freezes, measures and removes containers' cgroups.
 *
 * @example
 * ```ts ignore
 * const mgr = await CgroupManager.detect();
 * const paths = await mgr.create(id, { memory: 512 << 20, pidsLimit: 100 });
 * // ... plan.cgroupPaths = paths; the container runs ...
 * await mgr.destroy(id, { kill: true });
 * ```
 */
export class CgroupManager implements Cgroups {
  /** The parent directory relative to each hierarchy root ("skiff", "ci/job-7"). */
  readonly parent: string;
  #options: CgroupManagerOptions;
  #kill: (pid: number) => void;
  #sleep: (ms: number) => Promise<void>;
  /** The cgroup file operations (on the host). */
  readonly fs: CgroupFiles;

  constructor(
    readonly host: Host,
    readonly mode: CgroupMode,
    options: CgroupManagerOptions = {},
  ) {
    const parent = options.parent || DEFAULT_CGROUP_PARENT;
    checkCgroupParent(parent);
    this.parent = parent.replace(/^\/+/, "");
    this.#options = options;
    this.#kill = options.kill ?? ((pid) => host.kill(pid, "SIGKILL"));
    this.#sleep = options.sleep ?? ((ms) => host.sleep(ms));
    this.fs = cgroupFiles(host);
  }

  /** The host's cgroup layout. */
  get version(): 1 | 2 {
    return this.mode.version;
  }

  /**
   * The manager of containers under `parent` (from the hierarchy root); this one when
   * `parent` is undefined or "".
   *
   * @example
   * ```ts ignore
   * mgr.forParent("/ci/job-7").paths("abc"); // ["/sys/fs/cgroup/ci/job-7/abc"] on v2
   * ```
   */
  forParent(parent: string | undefined): Cgroups {
    if (!parent) return this;
    return new CgroupManager(this.host, this.mode, { ...this.#options, parent });
  }

  /**
   * A manager for this host, detecting the mode from /proc/self/mountinfo.
   *
   * @example
   * ```ts
   * const mgr = await CgroupManager.detect();
   * mgr.mode.version; // 1 or 2
   * ```
   */
  static async detect(
    host: Host = realHost,
    options?: CgroupManagerOptions,
  ): Promise<CgroupManager> {
    return new CgroupManager(
      host,
      detectCgroupMode(await host.readTextFile("/proc/self/mountinfo")),
      options,
    );
  }

  /** Hierarchy roots a container uses: v1 one per distinct controller mount, v2 one. */
  #roots(): { controller: string; root: string }[] {
    if (this.mode.version === 2) return [{ controller: "", root: this.mode.mountpoint }];
    const seen = new Set<string>();
    const out: { controller: string; root: string }[] = [];
    for (const c of V1_CONTROLLERS) {
      const root = this.mode.controllers[c];
      if (root === undefined || seen.has(root)) continue;
      seen.add(root);
      out.push({ controller: c, root });
    }
    return out;
  }

  /**
   * The container's cgroup directories (whether or not they exist yet).
   *
   * @example
   * ```ts ignore
   * mgr.paths("abc"); // ["/sys/fs/cgroup/skiff/abc"] on v2
   * ```
   */
  paths(id: string): string[] {
    checkId(id);
    return this.#roots().map((r) => `${r.root}/${this.parent}/${id}`);
  }

  /** The directory of one v1 controller (or the v2 directory). */
  #dir(id: string, controller: string): string | undefined {
    if (this.mode.version === 2) return `${this.mode.mountpoint}/${this.parent}/${id}`;
    const root = this.mode.controllers[controller];
    return root === undefined ? undefined : `${root}/${this.parent}/${id}`;
  }

  /**
   * Creates the container's cgroups and applies the limits; returns the
   * directories for the launch plan's cgroupPaths.
   *
   * @example
   * ```ts ignore
   * plan.cgroupPaths = await mgr.create(id, { cpus: 1_500_000_000 });
   * ```
   */
  async create(id: string, limits: CgroupLimits = {}): Promise<string[]> {
    checkId(id);
    const l = normalizeLimits(limits);
    const paths = this.paths(id);
    if (this.mode.version === 2) await this.#createV2(id, l);
    else await this.#createV1(id, l);
    return paths;
  }

  async #createV1(id: string, l: CgroupLimits): Promise<void> {
    for (const { root } of this.#roots()) {
      // One level at a time: a new v1 cpuset is empty until its parent's values are copied.
      const cpuset = await this.fs.exists(`${root}/cpuset.cpus`);
      let above = root;
      for (const name of [...this.parent.split("/"), id]) {
        const dir = `${above}/${name}`;
        await this.fs.mkdir(dir);
        if (cpuset) await this.#copyCpuset(above, dir);
        above = dir;
      }
    }
    const dev = this.#dir(id, "devices");
    if (dev && await this.fs.exists(`${dev}/devices.deny`)) {
      if (l.devices === "all") await this.fs.write(`${dev}/devices.allow`, "a");
      else {
        await this.fs.write(`${dev}/devices.deny`, "a");
        for (const rule of [...V1_DEVICE_RULES, ...(l.deviceRules ?? [])]) {
          await this.fs.write(`${dev}/devices.allow`, rule);
        }
      }
    }
    await this.#limitsV1(id, l);
  }

  /** The limits on v1 (create and update): memory, CPUs, shares, pids, then the others. */
  async #limitsV1(id: string, l: CgroupLimits): Promise<void> {
    const mem = this.#dir(id, "memory");
    if (mem && l.memory !== undefined && l.memory > 0) {
      await this.fs.write(`${mem}/memory.limit_in_bytes`, String(l.memory));
      const memsw = `${mem}/memory.memsw.limit_in_bytes`;
      if (l.memorySwap !== undefined && await this.fs.exists(memsw)) {
        await this.fs.write(memsw, String(l.memorySwap));
      }
    }
    const cpu = this.#dir(id, "cpu");
    if (cpu && l.cpus !== undefined && l.cpus > 0) {
      await this.fs.write(`${cpu}/cpu.cfs_period_us`, String(CFS_PERIOD));
      await this.fs.write(`${cpu}/cpu.cfs_quota_us`, String(cpuQuota(l.cpus)));
    }
    if (cpu && l.cpuShares) await this.fs.write(`${cpu}/cpu.shares`, String(l.cpuShares));
    const pids = this.#dir(id, "pids");
    if (pids && l.pidsLimit !== undefined && l.pidsLimit > 0) {
      await this.fs.write(`${pids}/pids.max`, String(l.pidsLimit));
    }
    await this.#resourcesV1(id, l);
  }

  /** The limits of {@link hasResourceLimits} on v1, each in its controller's file. */
  async #resourcesV1(id: string, l: CgroupLimits): Promise<void> {
    const cpu = this.#dir(id, "cpu");
    if (cpu && !l.cpus && l.cpuPeriod) {
      await this.fs.write(`${cpu}/cpu.cfs_period_us`, String(l.cpuPeriod));
    }
    if (cpu && !l.cpus && l.cpuQuota) {
      await this.fs.write(`${cpu}/cpu.cfs_quota_us`, String(l.cpuQuota));
    }
    if (cpu && (l.cpuRtPeriod || l.cpuRtRuntime)) await this.#realtimeV1(cpu, l);
    const cpuset = this.#dir(id, "cpuset");
    if (cpuset && l.cpusetCpus) await this.fs.write(`${cpuset}/cpuset.cpus`, l.cpusetCpus);
    if (cpuset && l.cpusetMems) await this.fs.write(`${cpuset}/cpuset.mems`, l.cpusetMems);
    const mem = this.#dir(id, "memory");
    if (mem && l.memoryReservation) {
      await this.fs.write(`${mem}/memory.soft_limit_in_bytes`, String(l.memoryReservation));
    }
    if (mem && l.memorySwappiness !== undefined && l.memorySwappiness >= 0) {
      await this.fs.write(`${mem}/memory.swappiness`, String(l.memorySwappiness));
    }
    if (mem && l.oomKillDisable) await this.fs.write(`${mem}/memory.oom_control`, "1");
    const blkio = this.#dir(id, "blkio");
    if (!blkio) return;
    if (l.blkioWeight) await this.fs.write(`${blkio}/blkio.weight`, String(l.blkioWeight));
    for (const d of l.blkioWeightDevice ?? []) {
      await this.fs.write(`${blkio}/blkio.weight_device`, `${d.major}:${d.minor} ${d.weight}`);
    }
    const throttle: [DeviceRate[] | undefined, string][] = [
      [l.deviceReadBps, "read_bps_device"],
      [l.deviceWriteBps, "write_bps_device"],
      [l.deviceReadIops, "read_iops_device"],
      [l.deviceWriteIops, "write_iops_device"],
    ];
    for (const [rates, file] of throttle) {
      for (const d of rates ?? []) {
        await this.fs.write(`${blkio}/blkio.throttle.${file}`, `${d.major}:${d.minor} ${d.rate}`);
      }
    }
  }

  /**
   * Real-time runtime on v1: a new cgroup has none, and the share of each period a cgroup's
   * children run cannot exceed its own, so each level below the root that has a smaller
   * share than asked gets as much first.
   */
  async #realtimeV1(cpu: string, l: CgroupLimits): Promise<void> {
    const root = (this.mode as { controllers: Record<string, string> }).controllers.cpu;
    const fail = (e: unknown, what: string) =>
      new FailedPreconditionError(
        `cannot set the cpu real-time ${what}: ${(e as Error).message}`,
        { cause: e },
      );
    if (l.cpuRtRuntime && l.cpuRtRuntime > 0) {
      const share = l.cpuRtRuntime / (l.cpuRtPeriod || RT_PERIOD);
      let dir = root;
      for (const name of this.parent.split("/")) {
        dir = `${dir}/${name}`;
        const have = Number((await this.fs.read(`${dir}/cpu.rt_runtime_us`)).trim());
        const period = Number((await this.fs.read(`${dir}/cpu.rt_period_us`)).trim());
        const need = Math.ceil(share * period);
        if (have >= 0 && have < need) {
          await this.fs.write(`${dir}/cpu.rt_runtime_us`, String(need))
            .catch((e) => Promise.reject(fail(e, "runtime")));
        }
      }
    }
    if (l.cpuRtPeriod) {
      await this.fs.write(`${cpu}/cpu.rt_period_us`, String(l.cpuRtPeriod))
        .catch((e) => Promise.reject(fail(e, "period")));
    }
    if (l.cpuRtRuntime) {
      await this.fs.write(`${cpu}/cpu.rt_runtime_us`, String(l.cpuRtRuntime))
        .catch((e) => Promise.reject(fail(e, "runtime")));
    }
  }

  /** cpuset.cpus and cpuset.mems are empty in a new v1 cgroup; copy the parent's. */
  async #copyCpuset(from: string, to: string): Promise<void> {
    for (const f of ["cpuset.cpus", "cpuset.mems"]) {
      const current = (await this.fs.read(`${to}/${f}`)).trim();
      if (current === "") {
        await this.fs.write(`${to}/${f}`, (await this.fs.read(`${from}/${f}`)).trim());
      }
    }
  }

  async #createV2(id: string, l: CgroupLimits): Promise<void> {
    const root = (this.mode as { mountpoint: string }).mountpoint;
    // Each level down to the parent hands the controllers on to its children.
    let above = root;
    const extra = v2ExtraControllers(l);
    await this.#enable(root, extra);
    for (const name of this.parent.split("/")) {
      above = `${above}/${name}`;
      await this.fs.mkdir(above);
      await this.#enable(above, extra);
    }
    const dir = `${above}/${id}`;
    await this.fs.mkdir(dir);
    await this.fs.deviceFilter(dir, v2DeviceRules(l.devices, l.deviceRules));
    await this.#limitsV2(dir, l);
  }

  /** The limits on v2 (create and update): memory, CPUs, shares, pids, then the others. */
  async #limitsV2(dir: string, l: CgroupLimits): Promise<void> {
    if (l.memory !== undefined && l.memory > 0) {
      await this.fs.write(`${dir}/memory.max`, String(l.memory));
      if (l.memorySwap !== undefined && await this.fs.exists(`${dir}/memory.swap.max`)) {
        const swap = l.memorySwap < 0 ? "max" : String(l.memorySwap - l.memory);
        await this.fs.write(`${dir}/memory.swap.max`, swap);
      }
    }
    if (l.cpus !== undefined && l.cpus > 0) {
      await this.fs.write(`${dir}/cpu.max`, `${cpuQuota(l.cpus)} ${CFS_PERIOD}`);
    }
    if (l.cpuShares) await this.fs.write(`${dir}/cpu.weight`, String(sharesToWeight(l.cpuShares)));
    if (l.pidsLimit !== undefined && l.pidsLimit > 0) {
      await this.fs.write(`${dir}/pids.max`, String(l.pidsLimit));
    }
    await this.#resourcesV2(dir, l);
  }

  /**
   * Applies changed limits to a running container's existing cgroups (`docker update`); a
   * container without cgroups (not running) is left alone. A pids limit of 0 or -1 lifts
   * the limit; on v1 a memory+swap limit that grows is written before the memory limit.
   *
   * @example
   * ```ts ignore
   * await mgr.update(id, { ...rec.Limits, memory: 64 << 20, memorySwap: 128 << 20 });
   * ```
   */
  async update(id: string, limits: CgroupLimits): Promise<void> {
    checkId(id);
    const l = normalizeLimits(limits);
    const pids = this.#dir(id, "pids");
    if (this.mode.version === 2) {
      const dir = this.#dir(id, "memory")!;
      if (!(await this.fs.exists(dir))) return;
      await this.#limitsV2(dir, l);
    } else {
      const mem = this.#dir(id, "memory");
      if (mem && !(await this.fs.exists(mem))) return;
      const memsw = `${mem}/memory.memsw.limit_in_bytes`;
      if (mem && l.memorySwap && l.memorySwap > 0 && await this.fs.exists(memsw)) {
        const now = Number((await this.fs.read(memsw)).trim());
        if (l.memorySwap > now) await this.fs.write(memsw, String(l.memorySwap));
      }
      await this.#limitsV1(id, l);
    }
    if (pids && l.pidsLimit !== undefined && l.pidsLimit <= 0 && await this.fs.exists(pids)) {
      await this.fs.write(`${pids}/pids.max`, "max");
    }
  }

  /**
   * The limits of {@link hasResourceLimits} on v2: cpu.max, cpuset.*, memory.low and io.*
   * (swappiness and the OOM-killer switch have no v2 file and are left to the kernel).
   */
  async #resourcesV2(dir: string, l: CgroupLimits): Promise<void> {
    if (!l.cpus && (l.cpuPeriod || l.cpuQuota)) {
      const quota = l.cpuQuota && l.cpuQuota > 0 ? String(l.cpuQuota) : "max";
      await this.fs.write(`${dir}/cpu.max`, `${quota} ${l.cpuPeriod || CFS_PERIOD}`);
    }
    if (l.cpuRtPeriod || l.cpuRtRuntime) throw realtimeUnsupported();
    if (l.cpusetCpus) await this.fs.write(`${dir}/cpuset.cpus`, l.cpusetCpus);
    if (l.cpusetMems) await this.fs.write(`${dir}/cpuset.mems`, l.cpusetMems);
    if (l.memoryReservation) {
      await this.fs.write(`${dir}/memory.low`, String(l.memoryReservation));
    }
    // BFQ takes blkio's weights as they are; io.weight has its own range (runc's conversion).
    if (l.blkioWeight || l.blkioWeightDevice?.length) {
      const bfq = await this.fs.exists(`${dir}/io.bfq.weight`);
      const weightFile = `${dir}/${bfq ? "io.bfq.weight" : "io.weight"}`;
      const weight = (w: number) => bfq ? w : blkioToIoWeight(w);
      if (l.blkioWeight) await this.fs.write(weightFile, `default ${weight(l.blkioWeight)}`);
      for (const d of l.blkioWeightDevice ?? []) {
        await this.fs.write(weightFile, `${d.major}:${d.minor} ${weight(d.weight)}`);
      }
    }
    const throttle: [DeviceRate[] | undefined, string][] = [
      [l.deviceReadBps, "rbps"],
      [l.deviceWriteBps, "wbps"],
      [l.deviceReadIops, "riops"],
      [l.deviceWriteIops, "wiops"],
    ];
    for (const [rates, key] of throttle) {
      for (const d of rates ?? []) {
        await this.fs.write(`${dir}/io.max`, `${d.major}:${d.minor} ${key}=${d.rate}`);
      }
    }
  }

  /**
   * Enables memory, cpu and pids, and `extra` (cpuset, io) when limits need them, for a v2
   * directory's children (those available).
   */
  async #enable(dir: string, extra: string[] = []): Promise<void> {
    const available = (await this.fs.read(`${dir}/cgroup.controllers`)).trim().split(/\s+/);
    const enabled = (await this.fs.read(`${dir}/cgroup.subtree_control`)).trim().split(/\s+/);
    const want = [...V2_CONTROLLERS, ...extra].filter((c) =>
      available.includes(c) && !enabled.includes(c)
    );
    if (want.length === 0) return;
    await this.fs.write(`${dir}/cgroup.subtree_control`, want.map((c) => "+" + c).join(" "));
  }

  /**
   * Freezes every process of the container (`docker pause`).
   *
   * @example
   * ```ts ignore
   * await mgr.freeze(id);
   * ```
   */
  async freeze(id: string): Promise<void> {
    await this.#setFrozen(id, true);
  }

  /**
   * Thaws a frozen container (`docker unpause`).
   *
   * @example
   * ```ts ignore
   * await mgr.thaw(id);
   * ```
   */
  async thaw(id: string): Promise<void> {
    await this.#setFrozen(id, false);
  }

  async #setFrozen(id: string, frozen: boolean): Promise<void> {
    checkId(id);
    if (this.mode.version === 2) {
      const dir = this.#dir(id, "")!;
      await this.#mustExist(id, dir);
      await this.fs.write(`${dir}/cgroup.freeze`, frozen ? "1" : "0");
      for (let i = 0; i < 100; i++) {
        const events = await this.fs.read(`${dir}/cgroup.events`).catch(() => "");
        const m = /^frozen (\d)$/m.exec(events);
        if (!m || m[1] === (frozen ? "1" : "0")) return;
        await this.#sleep(10);
      }
      throw new FailedPreconditionError(`cgroup of ${id} did not ${frozen ? "freeze" : "thaw"}`);
    }
    const dir = this.#dir(id, "freezer");
    if (dir === undefined) {
      throw new FailedPreconditionError("the freezer cgroup controller is not mounted");
    }
    await this.#mustExist(id, dir);
    const want = frozen ? "FROZEN" : "THAWED";
    for (let i = 0; i < 100; i++) {
      await this.fs.write(`${dir}/freezer.state`, want);
      if ((await this.fs.read(`${dir}/freezer.state`)).trim() === want) return;
      await this.#sleep(10);
    }
    throw new FailedPreconditionError(`cgroup of ${id} did not ${frozen ? "freeze" : "thaw"}`);
  }

  async #mustExist(id: string, dir: string): Promise<void> {
    if (!await this.fs.exists(dir)) throw new NotFoundError(`no cgroup for container ${id}`);
  }

  /**
   * Memory, CPU and task figures of the container.
   *
   * @example
   * ```ts ignore
   * const { memoryUsage, cpuUsageNs } = await mgr.stats(id);
   * ```
   */
  async stats(id: string): Promise<CgroupStats> {
    checkId(id);
    const num = async (path: string | undefined): Promise<number | undefined> => {
      if (path === undefined) return undefined;
      try {
        const t = (await this.fs.read(path)).trim();
        return t === "max" ? undefined : Number(t);
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) return undefined;
        throw e;
      }
    };
    if (this.mode.version === 2) {
      const dir = this.#dir(id, "")!;
      await this.#mustExist(id, dir);
      const cpuStat = await this.fs.read(`${dir}/cpu.stat`).catch(() => "");
      const usec = /^usage_usec (\d+)$/m.exec(cpuStat);
      return {
        memoryUsage: (await num(`${dir}/memory.current`)) ?? 0,
        memoryLimit: await num(`${dir}/memory.max`),
        cpuUsageNs: usec ? Number(usec[1]) * 1000 : 0,
        pids: (await num(`${dir}/pids.current`)) ?? 0,
      };
    }
    const mem = this.#dir(id, "memory");
    if (mem) await this.#mustExist(id, mem);
    const limit = await num(mem && `${mem}/memory.limit_in_bytes`);
    const acct = this.#dir(id, "cpuacct");
    const pids = this.#dir(id, "pids");
    return {
      memoryUsage: (await num(mem && `${mem}/memory.usage_in_bytes`)) ?? 0,
      memoryLimit: limit === undefined || limit >= V1_UNLIMITED ? undefined : limit,
      cpuUsageNs: (await num(acct && `${acct}/cpuacct.usage`)) ?? 0,
      pids: (await num(pids && `${pids}/pids.current`)) ?? 0,
    };
  }

  /**
   * Whether the kernel's OOM killer killed a process of the container.
   *
   * @example
   * ```ts ignore
   * if (await mgr.oomKilled(id)) record.state.oomKilled = true;
   * ```
   */
  async oomKilled(id: string): Promise<boolean> {
    checkId(id);
    const file = this.mode.version === 2
      ? `${this.#dir(id, "")}/memory.events`
      : `${this.#dir(id, "memory") ?? ""}/memory.oom_control`;
    const text = await this.fs.read(file).catch(() => "");
    const m = /^oom_kill (\d+)$/m.exec(text);
    return m !== null && Number(m[1]) > 0;
  }

  /**
   * Pids of the container's processes (all hierarchies, no duplicates).
   *
   * @example
   * ```ts ignore
   * await mgr.pids(id); // [4211, 4230]
   * ```
   */
  async pids(id: string): Promise<number[]> {
    const out = new Set<number>();
    for (const dir of this.paths(id)) {
      const text = await this.fs.read(`${dir}/cgroup.procs`).catch((e) => {
        if (e instanceof Deno.errors.NotFound) return "";
        throw e;
      });
      for (const l of text.split("\n")) if (l.trim() !== "") out.add(Number(l));
    }
    return [...out].sort((a, b) => a - b);
  }

  /**
   * Removes the container's cgroups, retrying briefly while the kernel still
   * counts exiting processes; with `kill`, first SIGKILLs what is left
   * (v2: cgroup.kill when the kernel has it). Missing directories are fine.
   *
   * @example
   * ```ts ignore
   * await mgr.destroy(id, { kill: true });
   * ```
   */
  async destroy(id: string, options: { kill?: boolean } = {}): Promise<void> {
    checkId(id);
    if (options.kill) await this.#killAll(id);
    for (const dir of this.paths(id)) {
      for (let attempt = 0;; attempt++) {
        try {
          await this.fs.rmdir(dir);
          break;
        } catch (e) {
          if (e instanceof Deno.errors.NotFound) break;
          if (!(e instanceof Deno.errors.Busy) || attempt >= 50) {
            throw new FailedPreconditionError(
              `cannot remove cgroup ${dir}: ${(e as Error).message}`,
              { cause: e },
            );
          }
          if (options.kill && attempt % 10 === 9) await this.#killAll(id);
          await this.#sleep(20);
        }
      }
    }
  }

  async #killAll(id: string): Promise<void> {
    if (this.mode.version === 2) {
      const kill = `${this.#dir(id, "")}/cgroup.kill`;
      if (await this.fs.exists(kill)) {
        await this.fs.write(kill, "1");
        return;
      }
    } else {
      // Freeze first so that nothing forks between listing and killing.
      const freezer = this.#dir(id, "freezer");
      if (freezer && await this.fs.exists(freezer)) await this.freeze(id).catch(() => {});
    }
    for (const pid of await this.pids(id)) {
      try {
        this.#kill(pid);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
    }
    if (this.mode.version === 1 && this.#dir(id, "freezer")) await this.thaw(id).catch(() => {});
  }
}

/** The cgroup file operations, on the host seam. */
export interface CgroupFiles {
  read(path: string): Promise<string>;
  /** Writes a value to an existing file (one write). */
  write(path: string, data: string): Promise<void>;
  /** mkdir -p. */
  mkdir(path: string): Promise<void>;
  /** rmdir: Deno.errors.Busy while the cgroup has processes. */
  rmdir(path: string): Promise<void>;
  exists(path: string): Promise<boolean>;
  /** Makes `rules` the device rules of a v2 cgroup directory (an eBPF program). */
  deviceFilter(dir: string, rules: readonly DeviceRule[]): Promise<void>;
}

function cgroupFiles(host: Host): CgroupFiles {
  return {
    read: (path) => host.readTextFile(path),
    write: (path, data) => host.writeTextFile(path, data, { create: false }),
    mkdir: (path) => host.mkdir(path, { recursive: true }),
    rmdir: (path) => host.remove(path),
    exists: (path) => host.exists(path),
    // Rootless: nothing (a user namespace cannot mknod devices).
    deviceFilter: (dir, rules) =>
      host.uid() === 0 ? host.attachDeviceFilter(dir, rules) : Promise.resolve(),
  };
}

/**
 * Whether any limit beyond memory, CPUs, shares and pids is set.
 *
 * @example
 * ```ts
 * hasResourceLimits({ cpusetCpus: "0" }); // true
 * ```
 */
export function hasResourceLimits(l: CgroupLimits): boolean {
  return Boolean(
    l.cpuPeriod || l.cpuQuota || l.cpusetCpus || l.cpusetMems || l.cpuRtPeriod ||
      l.cpuRtRuntime || l.memoryReservation || l.memorySwappiness !== undefined ||
      l.oomKillDisable || l.blkioWeight || l.blkioWeightDevice?.length ||
      l.deviceReadBps?.length || l.deviceWriteBps?.length || l.deviceReadIops?.length ||
      l.deviceWriteIops?.length,
  );
}

/** The v2 controllers beyond memory, cpu and pids that `l` needs. */
function v2ExtraControllers(l: CgroupLimits): string[] {
  const out: string[] = [];
  if (l.cpusetCpus || l.cpusetMems) out.push("cpuset");
  if (
    l.blkioWeight || l.blkioWeightDevice?.length || l.deviceReadBps?.length ||
    l.deviceWriteBps?.length || l.deviceReadIops?.length || l.deviceWriteIops?.length
  ) out.push("io");
  return out;
}

/**
 * runc's conversion of a blkio weight (10..1000) to a v2 io.weight (1..10000).
 *
 * @example
 * ```ts
 * blkioToIoWeight(500); // 4950
 * ```
 */
export function blkioToIoWeight(weight: number): number {
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

function realtimeUnsupported(): FailedPreconditionError {
  return new FailedPreconditionError(
    "Your kernel does not support cgroup cpu real-time runtime",
  );
}

/**
 * Refuses, before a container is created, limits this host's cgroups cannot apply, with
 * Docker's messages: real-time scheduling without CONFIG_RT_GROUP_SCHED (never on v2), block
 * I/O weights without a weight file, CPUs or memory nodes the host does not have. Reads
 * nothing when no such limit is set.
 *
 * @example
 * ```ts ignore
 * await checkCgroupSupport({ cpuRtRuntime: 950000 }, realHost); // throws on v2
 * ```
 */
export async function checkCgroupSupport(l: CgroupLimits, host: Host = realHost): Promise<void> {
  const wantsIo = Boolean(l.blkioWeight || l.blkioWeightDevice?.length);
  if (!(l.cpuRtPeriod || l.cpuRtRuntime || wantsIo || l.cpusetCpus || l.cpusetMems)) return;
  const mode = detectCgroupMode(await host.readTextFile("/proc/self/mountinfo"));
  const file = (controller: string, name: string) =>
    mode.version === 2 ? `${mode.mountpoint}/${name}` : `${mode.controllers[controller]}/${name}`;
  if (l.cpuRtPeriod || l.cpuRtRuntime) {
    if (mode.version === 2 || !mode.controllers.cpu) throw realtimeUnsupported();
    if (!await host.exists(file("cpu", "cpu.rt_runtime_us"))) throw realtimeUnsupported();
  }
  if (wantsIo) {
    const ok = mode.version === 2
      ? (await host.readTextFile(file("", "cgroup.controllers"))).split(/\s+/).includes("io")
      : mode.controllers.blkio !== undefined &&
        await host.exists(file("blkio", "blkio.weight"));
    if (!ok) {
      throw new FailedPreconditionError(
        "Your kernel does not support Block I/O weight or the cgroup is not mounted",
      );
    }
  }
  const available = async (name: string) => {
    if (mode.version === 1 && !mode.controllers.cpuset) return undefined;
    const path = mode.version === 2 ? file("", `${name}.effective`) : file("cpuset", name);
    return await host.readTextFile(path).then((t) => t.trim(), () => undefined);
  };
  for (
    const [want, name, what] of [
      [l.cpusetCpus, "cpuset.cpus", "CPUs"],
      [l.cpusetMems, "cpuset.mems", "memory nodes"],
    ] as const
  ) {
    if (!want) continue;
    const have = await available(name);
    if (have === undefined) {
      throw new FailedPreconditionError(
        "Your kernel does not support cpuset or the cgroup is not mounted",
      );
    }
    const set = new Set(parseCpuList(have) ?? []);
    if (!(parseCpuList(want) ?? []).every((n) => set.has(n))) {
      throw new InvalidArgumentError(
        `Requested ${what} are not available - requested ${want}, available: ${have}`,
      );
    }
  }
}

/**
 * Docker's default cgroup namespace for this host: private on cgroup v2, the host's on v1;
 * undefined when the layout cannot be read (the spec builder then decides at start).
 *
 * @example
 * ```ts ignore
 * await defaultCgroupns(realHost); // "host" on a v1 host
 * ```
 */
export async function defaultCgroupns(
  host: Host = realHost,
): Promise<"host" | "private" | undefined> {
  try {
    const mode = detectCgroupMode(await host.readTextFile("/proc/self/mountinfo"));
    return mode.version === 2 ? "private" : "host";
  } catch {
    return undefined;
  }
}

function cpuQuota(nanoCpus: number): number {
  return Math.round((nanoCpus * CFS_PERIOD) / 1e9);
}

function checkId(id: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(id)) {
    throw new InvalidArgumentError(`invalid cgroup name: "${id}"`);
  }
}
