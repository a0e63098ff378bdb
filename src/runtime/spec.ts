/**
 * Turns what create decided for a container (command, environment, user, limits...) and its
 * run options into the monitor's launch plan and the OCI runtime spec (`config.json`), with
 * Docker's merge rules and secure defaults: capability set, seccomp profile, masked and read-only
 * paths, a minimal /dev.
 */
import type { HealthConfig } from "./health_config.ts";
import { FailedPreconditionError, InvalidArgumentError } from "../errors.ts";
import { resolveCapabilities } from "./capabilities.ts";
import { type CgroupLimits, DEFAULT_CGROUP_PARENT, type DeviceRate } from "./cgroups.ts";
import { DEFAULT_SHM_SIZE, type ResourceOptions, type ThrottleDevice } from "./resource_options.ts";
import { cleanPath, type MountSpec } from "./mounts.ts";
import type { LaunchPlan, PlanDevice, PlanMount, PlanRlimit } from "./plan.ts";
import { extraDeviceRules, planDevices } from "./device_options.ts";
import { joinedContainer, sysctlPath } from "./namespace_options.ts";
import type { RunOptions } from "./run_options.ts";
import { buildSeccomp, type SeccompFilter, SYSCALLS_X86_64 } from "./seccomp_profile.ts";
import type { ResolvedUser } from "./user.ts";

/** The parts of an OCI image config (`config` object) a container uses. */
export interface ImageRuntimeConfig {
  Env?: string[] | null;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  WorkingDir?: string;
  User?: string;
  StopSignal?: string;
  Labels?: Record<string, string> | null;
  Volumes?: Record<string, unknown> | null;
  /** HEALTHCHECK (durations in nanoseconds). */
  Healthcheck?: HealthConfig | null;
}

/**
 * What create decided for a container (`deriveContainer` in create.ts), kept in its record:
 * the spec builder reads these instead of deriving them again.
 */
export interface CreatedContainer {
  /** The process: program and arguments. */
  Path: string;
  Args: string[];
  /** The image's environment with `-e` merged in (no defaults yet). */
  Env: string[];
  /** As given or from the image; "" is "/". */
  WorkingDir: string;
  /** The user spec (`user[:group]`), "" for root. */
  User: string;
  Hostname: string;
  Labels: Record<string, string>;
  /** Canonical name ("SIGTERM"). */
  StopSignal: string;
  StopTimeout: number;
  /** Normalized: checked, with swap and shares filled in. */
  Limits: CgroupLimits;
  /** --cgroup-parent as given and checked; "" for skiff's default parent. */
  CgroupParent: string;
}

/** Everything {@link buildContainerConfig} needs; all host paths absolute. */
export interface ContainerConfigInput {
  /** Full 64-hex container id. */
  id: string;
  /** What create decided. */
  container: CreatedContainer;
  options: RunOptions;
  /** Overlay lower directories, top layer first. */
  layers: string[];
  bundle: { upper: string; work: string; merged: string; stateDir: string; logPath: string };
  /** The identity from `resolveUser(container.User, ...)`. */
  user: ResolvedUser;
  /** From `CgroupManager.create`. */
  cgroupPaths: string[];
  /** Host directory of each volume mount, by container target ("/data" → ".../_data"). */
  volumes: Record<string, string>;
  cleanupCommand: string[];
  networkHook: string[];
  /** Host path of the init binary (from {@link findInitBinary}); required with --init. */
  initBinary?: string;
  /** cgroup layout of the host (default 2): decides the cgroup namespace and /sys/fs/cgroup. */
  cgroupVersion?: 1 | 2;
  /** Running kernel [major, minor], for the seccomp profile. */
  kernel?: [number, number];
  /** Rootless: a user namespace with these maps ("containerId hostId size"). */
  idMappings?: { uid: string[]; gid: string[] };
  /** Host files bound over /etc/hostname, /etc/hosts, /etc/resolv.conf (networking writes them). */
  etcFiles?: { hostname?: string; hosts?: string; resolvConf?: string };
  /** Devices given to a --privileged container (Docker gives all of the host's). */
  privilegedDevices?: PlanDevice[];
  /** With --network host or --uts=host and no -h: the host's name, as Docker does. */
  hostHostname?: string;
  /** Namespace files joined for --pid/--ipc container:NAME, and a shareable /dev/shm directory. */
  namespaceJoins?: { pid?: string; ipc?: string; shmDir?: string };
}

/** The launch plan and the OCI runtime spec describing the same container. */
export interface ContainerConfig {
  plan: LaunchPlan;
  spec: OciSpec;
}

/** An OCI runtime spec document (the fields skiff writes). */
// deno-lint-ignore no-explicit-any
export type OciSpec = Record<string, any>;

/** Docker's PATH for images that set none. */
export const DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Where the init binary appears inside the container (Docker's path). */
export const INIT_PATH = "/sbin/docker-init";

/** Docker's masked paths. */
export const MASKED_PATHS: readonly string[] = [
  "/proc/asound",
  "/proc/acpi",
  "/proc/interrupts",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
  "/sys/devices/virtual/powercap",
];

/** Docker's read-only paths. */
export const READONLY_PATHS: readonly string[] = [
  "/proc/bus",
  "/proc/fs",
  "/proc/irq",
  "/proc/sys",
  "/proc/sysrq-trigger",
];

/** The device nodes every container gets (runc's defaults); the console comes from the pty. */
export const DEFAULT_DEVICES: readonly PlanDevice[] = [
  ["/dev/null", 1, 3],
  ["/dev/zero", 1, 5],
  ["/dev/full", 1, 7],
  ["/dev/random", 1, 8],
  ["/dev/urandom", 1, 9],
  ["/dev/tty", 5, 0],
].map(([path, major, minor]) => ({
  path: path as string,
  type: "c" as const,
  major: major as number,
  minor: minor as number,
  mode: 0o666,
  uid: 0,
  gid: 0,
}));

/** Podman's default open-files limit (Docker's comes from its daemon's own limit). */
export const DEFAULT_NOFILE = 1048576;

/**
 * The user spec a container runs with: `-u`, else the image's User, else root.
 *
 * @example
 * ```ts ignore
 * userSpec({ User: "nginx" }, { ...defaultRunOptions(), user: "1000:1000" }); // "1000:1000"
 * ```
 */
export function userSpec(image: ImageRuntimeConfig, options: RunOptions): string {
  return options.user ?? image.User ?? "";
}

/** Where an init binary for --init is looked for, in order of preference. */
export const INIT_BINARIES: readonly string[] = [
  "/usr/bin/catatonit",
  "/usr/libexec/podman/catatonit",
  "/usr/bin/tini-static",
  "/usr/bin/tini",
  "/usr/bin/docker-init",
  "/usr/libexec/docker/docker-init",
];

/**
 * Finds an init binary for --init: catatonit (as Podman) or tini (as Docker).
 *
 * @example
 * ```ts ignore
 * const init = findInitBinary((p) => existsSync(p)); // "/usr/bin/catatonit"
 * ```
 */
export function findInitBinary(exists: (path: string) => boolean): string {
  const found = INIT_BINARIES.find(exists);
  if (!found) {
    throw new FailedPreconditionError(
      "--init needs an init binary: install catatonit or tini (none found in /usr/bin or /usr/libexec)",
    );
  }
  return found;
}

/**
 * Merges environment lists as Docker's ReplaceOrAppendEnvValues: an
 * override replaces the entry with the same name in place or is appended;
 * an override without "=" removes the name.
 *
 * @example
 * ```ts
 * mergeEnv(["PATH=/bin", "A=1"], ["A=2", "B=3"]); // ["PATH=/bin", "A=2", "B=3"]
 * ```
 */
export function mergeEnv(base: readonly string[], overrides: readonly string[]): string[] {
  const out = [...base];
  const key = (e: string) => (e.includes("=") ? e.slice(0, e.indexOf("=")) : e);
  for (const o of overrides) {
    const k = key(o);
    const i = out.findIndex((e) => key(e) === k);
    if (!o.includes("=")) {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) out[i] = o;
    else out.push(o);
  }
  return out;
}

/**
 * The process arguments by Docker's rules: `--entrypoint` replaces the
 * image's Entrypoint and discards its Cmd ("" clears the entrypoint);
 * arguments after the image replace Cmd. Nothing left: `No command specified`.
 *
 * @example
 * ```ts ignore
 * commandLine({ Entrypoint: ["/init"], Cmd: ["serve"] }, { ...defaultRunOptions(), cmd: ["sh"] });
 * // ["/init", "sh"]
 * ```
 */
export function commandLine(image: ImageRuntimeConfig, options: RunOptions): string[] {
  let entrypoint: string[], cmd: string[];
  if (options.entrypoint !== undefined) {
    entrypoint = options.entrypoint === "" ? [] : [options.entrypoint];
    cmd = options.cmd;
  } else {
    entrypoint = image.Entrypoint ?? [];
    cmd = options.cmd.length > 0 ? options.cmd : image.Cmd ?? [];
  }
  const args = [...entrypoint, ...cmd];
  if (args.length === 0) throw new InvalidArgumentError("No command specified");
  return args;
}

const FLAG_WORDS = new Set([
  "ro",
  "rw",
  "nosuid",
  "suid",
  "nodev",
  "dev",
  "noexec",
  "exec",
  "sync",
  "async",
  "dirsync",
  "mand",
  "nomand",
  "atime",
  "noatime",
  "diratime",
  "nodiratime",
  "relatime",
  "norelatime",
  "strictatime",
  "nostrictatime",
  "bind",
  "rbind",
  "private",
  "rprivate",
  "shared",
  "rshared",
  "slave",
  "rslave",
  "unbindable",
  "runbindable",
]);
const OPPOSITE: Record<string, string> = {
  ro: "rw",
  nosuid: "suid",
  nodev: "dev",
  noexec: "exec",
  atime: "noatime",
  diratime: "nodiratime",
  relatime: "norelatime",
  strictatime: "nostrictatime",
  mand: "nomand",
  sync: "async",
};
for (const [a, b] of Object.entries({ ...OPPOSITE })) OPPOSITE[b] = a;

/**
 * Merges tmpfs options as Docker does: defaults first, later words override
 * earlier ones (exec beats noexec, the last size= wins); returns flag words
 * and the data string separately.
 *
 * @example
 * ```ts
 * tmpfsOptions(["noexec", "nosuid", "nodev"], ["exec", "size=64m"]);
 * // { flags: ["nosuid", "nodev", "exec"], data: "size=64m" }
 * ```
 */
export function tmpfsOptions(
  defaults: readonly string[],
  user: readonly string[],
): { flags: string[]; data: string } {
  const flags: string[] = [];
  const data = new Map<string, string>();
  for (const o of [...defaults, ...user]) {
    if (FLAG_WORDS.has(o)) {
      const opp = OPPOSITE[o];
      const i = flags.findIndex((f) => f === o || f === opp);
      if (i >= 0) flags.splice(i, 1);
      flags.push(o);
    } else {
      const k = o.includes("=") ? o.slice(0, o.indexOf("=")) : o;
      data.delete(k);
      data.set(k, o);
    }
  }
  return { flags, data: [...data.values()].join(",") };
}

function defaultMounts(
  privileged: boolean,
  cgroupVersion: 1 | 2,
  cgroupPaths: string[],
  shmSize: number,
) {
  const ro = privileged ? [] : ["ro"];
  const mounts: PlanMount[] = [
    {
      source: "proc",
      destination: "/proc",
      type: "proc",
      flags: ["nosuid", "noexec", "nodev"],
      data: "",
    },
    {
      source: "tmpfs",
      destination: "/dev",
      type: "tmpfs",
      flags: ["nosuid", "strictatime"],
      data: "mode=755,size=65536k",
    },
    {
      source: "devpts",
      destination: "/dev/pts",
      type: "devpts",
      flags: ["nosuid", "noexec"],
      data: "newinstance,ptmxmode=0666,mode=0620,gid=5",
    },
    {
      source: "sysfs",
      destination: "/sys",
      type: "sysfs",
      flags: ["nosuid", "noexec", "nodev", ...ro],
      data: "",
    },
  ];
  if (cgroupVersion === 2) {
    mounts.push({
      source: "cgroup",
      destination: "/sys/fs/cgroup",
      type: "cgroup2",
      flags: ["nosuid", "noexec", "nodev", "relatime", ...ro],
      data: "",
    });
  } else {
    // v1 without a cgroup namespace (Docker's default there): a tmpfs with the
    // container's own directory of each hierarchy bound in, as runc does.
    mounts.push({
      source: "tmpfs",
      destination: "/sys/fs/cgroup",
      type: "tmpfs",
      flags: ["nosuid", "noexec", "nodev"],
      data: "mode=755",
    });
    for (const p of cgroupPaths) {
      const hierarchy = p.split("/").at(-3) ?? "";
      mounts.push({
        source: p,
        destination: `/sys/fs/cgroup/${hierarchy}`,
        type: "bind",
        flags: ["bind", "nosuid", "noexec", "nodev", ...ro],
        data: "",
      });
    }
  }
  mounts.push(
    {
      source: "mqueue",
      destination: "/dev/mqueue",
      type: "mqueue",
      flags: ["nosuid", "noexec", "nodev"],
      data: "",
    },
    {
      source: "shm",
      destination: "/dev/shm",
      type: "tmpfs",
      flags: ["nosuid", "noexec", "nodev"],
      data: `mode=1777,size=${shmSize}`,
    },
  );
  return mounts;
}

function userMount(m: MountSpec, volumes: Record<string, string>): PlanMount {
  const ro = m.readonly ? ["ro"] : [];
  if (m.type === "bind") {
    return {
      source: m.source,
      destination: m.target,
      type: "bind",
      flags: [m.recursive ? "rbind" : "bind", m.propagation, ...ro],
      data: "",
    };
  }
  if (m.type === "volume") {
    const host = volumes[m.target];
    if (host === undefined) {
      throw new FailedPreconditionError(`no volume was prepared for ${m.target}`);
    }
    return {
      source: host,
      destination: m.target,
      type: "bind",
      flags: ["rbind", "rprivate", ...ro],
      data: "",
      ...(m.subpath ? { subpath: m.subpath } : {}),
    };
  }
  const { flags, data } = tmpfsOptions(["noexec", "nosuid", "nodev"], [...m.options, ...ro]);
  return { source: "tmpfs", destination: m.target, type: "tmpfs", flags, data };
}

function depth(p: string): number {
  return p === "/" ? 0 : p.split("/").length - 1;
}

/**
 * The cgroup limits for `CgroupManager.create` from run options (device
 * access "all" for --privileged).
 *
 * @example
 * ```ts ignore
 * const paths = await mgr.create(id, cgroupLimits(options));
 * ```
 */
export function cgroupLimits(o: RunOptions): CgroupLimits {
  return {
    memory: o.memory,
    memorySwap: o.memorySwap,
    cpus: o.cpus,
    cpuShares: o.cpuShares,
    pidsLimit: o.pidsLimit,
    devices: o.privileged ? "all" : "default",
    ...resourceLimits(o.resources ?? {}),
    ...(o.privileged ? {} : deviceRuleLimits(o)),
  };
}

/** The cgroup part of the resource options (only what is set, so old records compare equal). */
function resourceLimits(r: ResourceOptions): CgroupLimits {
  const out: CgroupLimits = {
    cpuPeriod: r.cpuPeriod,
    cpuQuota: r.cpuQuota,
    cpusetCpus: r.cpusetCpus,
    cpusetMems: r.cpusetMems,
    cpuRtPeriod: r.cpuRtPeriod,
    cpuRtRuntime: r.cpuRtRuntime,
    memoryReservation: r.memoryReservation,
    memorySwappiness: r.memorySwappiness,
    oomKillDisable: r.oomKillDisable,
    blkioWeight: r.blkioWeight,
    blkioWeightDevice: r.blkioWeightDevice?.map(({ major, minor, weight }) => ({
      major,
      minor,
      weight,
    })),
    deviceReadBps: r.deviceReadBps?.map(devRate),
    deviceWriteBps: r.deviceWriteBps?.map(devRate),
    deviceReadIops: r.deviceReadIops?.map(devRate),
    deviceWriteIops: r.deviceWriteIops?.map(devRate),
  };
  for (const k of Object.keys(out) as (keyof CgroupLimits)[]) {
    if (out[k] === undefined) delete out[k];
  }
  return out;
}

/** The device rules --device and --device-cgroup-rule add (only when there are some). */
function deviceRuleLimits(o: RunOptions): CgroupLimits {
  const rules = extraDeviceRules(o.devices ?? [], o.deviceCgroupRules ?? []);
  return rules.length ? { deviceRules: rules } : {};
}

function devRate(d: ThrottleDevice): DeviceRate {
  return { major: d.major, minor: d.minor, rate: d.rate };
}

/**
 * Builds the launch plan and the OCI runtime spec for a container.
 *
 * @example
 * ```ts ignore
 * const { plan, spec } = buildContainerConfig({
 *   id, container: createdContainer(rec), options, layers, bundle, user, cgroupPaths,
 *   volumes: {}, cleanupCommand: ["skiff", "container", "cleanup", id], networkHook: [],
 * });
 * ```
 */
export function buildContainerConfig(input: ContainerConfigInput): ContainerConfig {
  const { id, container: c, options: o } = input;
  if (!/^[0-9a-f]{12,64}$/.test(id)) throw new InvalidArgumentError(`invalid container id: ${id}`);
  const cgroupVersion = input.cgroupVersion ?? 2;
  const privileged = o.privileged;

  // Process
  let args = [c.Path, ...c.Args];
  if (o.init) {
    if (!input.initBinary) {
      throw new FailedPreconditionError("--init needs an init binary: install catatonit or tini");
    }
    args = [INIT_PATH, "--", ...args];
  }
  const ns = o.namespaces ?? {};
  const hostUts = o.network === "host" || ns.uts === "host";
  const hostname = o.hostname === undefined && hostUts && input.hostHostname
    ? input.hostHostname
    : c.Hostname;
  const base = [DEFAULT_PATH, `HOSTNAME=${hostname}`, ...(o.tty ? ["TERM=xterm"] : [])];
  let env = mergeEnv(base, c.Env);
  if (!env.some((e) => e.startsWith("HOME="))) env = [...env, `HOME=${input.user.home}`];
  const cwd = cleanPath("/" + (c.WorkingDir || "/"));
  const capabilities = resolveCapabilities(o.capAdd, o.capDrop, privileged);
  const seccomp: SeccompFilter | undefined = privileged || o.securityOpt.seccomp === "unconfined"
    ? undefined
    : buildSeccomp(capabilities, input.kernel);
  const rlimits: PlanRlimit[] = [{ type: "nofile", soft: DEFAULT_NOFILE, hard: DEFAULT_NOFILE }];
  for (const u of o.ulimits) {
    const r = { type: u.name, soft: u.soft, hard: u.hard };
    const i = rlimits.findIndex((x) => x.type === u.name);
    if (i >= 0) rlimits[i] = r;
    else rlimits.push(r);
  }
  const stopSignal = c.StopSignal;

  // Mounts: defaults, then /etc files, then the user's, parents before children.
  const user = o.mounts.map((m) => userMount(m, input.volumes));
  const etc: PlanMount[] = [];
  const etcFile = (source: string | undefined, destination: string) => {
    if (source && !user.some((m) => m.destination === destination)) {
      etc.push({ source, destination, type: "bind", flags: ["rbind", "rprivate"], data: "" });
    }
  };
  etcFile(input.etcFiles?.resolvConf, "/etc/resolv.conf");
  etcFile(input.etcFiles?.hostname, "/etc/hostname");
  etcFile(input.etcFiles?.hosts, "/etc/hosts");
  if (o.init) {
    etc.push({
      source: input.initBinary!,
      destination: INIT_PATH,
      type: "bind",
      flags: ["bind", "ro", "nosuid", "nodev"],
      data: "",
    });
  }
  const shmSize = o.resources?.shmSize || DEFAULT_SHM_SIZE;
  const defaults = shmMount(
    defaultMounts(privileged, cgroupVersion, input.cgroupPaths, shmSize),
    ns.ipc,
    input.namespaceJoins?.shmDir,
  ).filter((d) => !user.some((u) => u.destination === d.destination));
  const extra = [...etc, ...user].map((m, i) => ({ m, i }))
    .sort((a, b) => depth(a.m.destination) - depth(b.m.destination) || a.i - b.i)
    .map((x) => x.m);
  const mounts = [...defaults, ...extra];

  // Namespaces
  const namespaces: LaunchPlan["namespaces"] = [{ type: "mount" }];
  const joins = input.namespaceJoins ?? {};
  const join = (type: "pid" | "ipc", mode: string | undefined, path: string | undefined) => {
    if (mode === "host") return;
    if (joinedContainer(mode) === undefined) namespaces.push({ type });
    else if (path) namespaces.push({ type, path });
    else throw new FailedPreconditionError(`no ${type} namespace was resolved for ${mode}`);
  };
  join("pid", ns.pid, joins.pid);
  join("ipc", ns.ipc, joins.ipc);
  if (ns.uts !== "host") namespaces.push({ type: "uts" });
  if (o.network !== "host") namespaces.push({ type: "net" });
  // --cgroupns; Docker's default is a private namespace on v2 and the host's on v1.
  const cgroupns = o.resources?.cgroupns ?? (cgroupVersion === 2 ? "private" : "host");
  if (cgroupns === "private") namespaces.push({ type: "cgroup" });
  if (input.idMappings) namespaces.push({ type: "user" });

  const readonlyPaths = privileged ? [] : [...READONLY_PATHS];
  if (!privileged && cgroupVersion === 1) readonlyPaths.push("/sys/fs/cgroup");

  const plan: LaunchPlan = {
    id,
    rootfs: {
      lowerdirs: [...input.layers],
      upperdir: input.bundle.upper,
      workdir: input.bundle.work,
      target: input.bundle.merged,
    },
    readonlyRoot: o.readOnly,
    hostname,
    ...(o.domainname && o.network !== "host" ? { domainname: o.domainname } : {}),
    process: {
      args,
      env,
      cwd,
      uid: input.user.uid,
      gid: input.user.gid,
      additionalGids: [...input.user.additionalGids],
      terminal: o.tty,
      stdin: o.interactive,
      capabilities,
      noNewPrivileges: o.securityOpt.noNewPrivileges,
      ...(seccomp ? { seccomp } : {}),
      rlimits,
      ...(o.resources?.oomScoreAdj !== undefined ? { oomScoreAdj: o.resources.oomScoreAdj } : {}),
    },
    namespaces,
    mounts,
    devices: mergeDevices(
      privileged && input.privilegedDevices
        ? mergeDevices(DEFAULT_DEVICES, input.privilegedDevices)
        : [...DEFAULT_DEVICES],
      planDevices(o.devices ?? []),
      true,
    ),
    ...(ns.sysctls && Object.keys(ns.sysctls).length
      ? {
        sysctls: Object.entries(ns.sysctls).map(([key, value]) => ({
          key,
          path: sysctlPath(key),
          value,
        })),
      }
      : {}),
    maskedPaths: privileged ? [] : [...MASKED_PATHS],
    readonlyPaths,
    cgroupPaths: [...input.cgroupPaths],
    uidMappings: input.idMappings ? [...input.idMappings.uid] : [],
    gidMappings: input.idMappings ? [...input.idMappings.gid] : [],
    state: { dir: input.bundle.stateDir, logPath: input.bundle.logPath, stopSignal },
    restart: { policy: o.restart.name, maxRetries: o.restart.maxRetries },
    networkHook: [...input.networkHook],
    cleanupCommand: [...input.cleanupCommand],
  };
  return { plan, spec: toOciSpec(plan, input) };
}

/** `base` with the devices of `extra` added; with `replace`, one at a taken path replaces it. */
function mergeDevices(
  base: readonly PlanDevice[],
  extra: readonly PlanDevice[],
  replace = false,
): PlanDevice[] {
  const out = [...base];
  for (const d of extra) {
    const i = out.findIndex((b) => b.path === d.path);
    if (i < 0) out.push(d);
    else if (replace) out[i] = d;
  }
  return out;
}

/**
 * /dev/shm as the IPC mode asks: none without it, the host's with `--ipc=host`, a shared host
 * directory when shareable or joined, else the default tmpfs.
 */
function shmMount(mounts: PlanMount[], ipc: string | undefined, shmDir?: string): PlanMount[] {
  const i = mounts.findIndex((m) => m.destination === "/dev/shm");
  if (i < 0) return mounts;
  const out = [...mounts];
  if (ipc === "none") out.splice(i, 1);
  else if (ipc === "host" || shmDir) {
    out[i] = {
      source: ipc === "host" ? "/dev/shm" : shmDir!,
      destination: "/dev/shm",
      type: "bind",
      flags: ["rbind", "rprivate", "nosuid", "noexec", "nodev"],
      data: "",
    };
  }
  return out;
}

const NS_NAMES: Record<string, string> = { net: "network" };

/** Docker's device cgroup rules: deny all, allow the default nodes, pty and mknod. */
const DEVICE_RULES = [
  { allow: false, access: "rwm" },
  { allow: true, type: "c", major: 1, minor: 5, access: "rwm" },
  { allow: true, type: "c", major: 1, minor: 3, access: "rwm" },
  { allow: true, type: "c", major: 1, minor: 9, access: "rwm" },
  { allow: true, type: "c", major: 1, minor: 8, access: "rwm" },
  { allow: true, type: "c", major: 5, minor: 0, access: "rwm" },
  { allow: true, type: "c", major: 5, minor: 1, access: "rwm" },
  { allow: true, type: "c", major: 1, minor: 7, access: "rwm" },
  { allow: true, type: "c", major: 5, minor: 2, access: "rwm" },
  { allow: true, type: "c", major: 136, access: "rwm" },
  { allow: true, type: "c", access: "m" },
  { allow: true, type: "b", access: "m" },
];

/** The OCI form of the limits beyond memory, CPUs, shares and pids, added to `resources`. */
function ociResourceLimits(resources: OciSpec, l: CgroupLimits): void {
  const cpu: OciSpec = {
    ...(l.cpus ? {} : { period: l.cpuPeriod, quota: l.cpuQuota }),
    realtimePeriod: l.cpuRtPeriod,
    realtimeRuntime: l.cpuRtRuntime,
    cpus: l.cpusetCpus,
    mems: l.cpusetMems,
  };
  const memory: OciSpec = {
    reservation: l.memoryReservation,
    swappiness: l.memorySwappiness,
    disableOOMKiller: l.oomKillDisable,
  };
  const rates = (list: DeviceRate[] | undefined) => list?.length ? list : undefined;
  const blockIO: OciSpec = {
    weight: l.blkioWeight,
    weightDevice: l.blkioWeightDevice?.length ? l.blkioWeightDevice : undefined,
    throttleReadBpsDevice: rates(l.deviceReadBps),
    throttleWriteBpsDevice: rates(l.deviceWriteBps),
    throttleReadIOPSDevice: rates(l.deviceReadIops),
    throttleWriteIOPSDevice: rates(l.deviceWriteIops),
  };
  const merge = (key: string, part: OciSpec) => {
    const set = Object.entries(part).filter(([, v]) => v !== undefined);
    if (set.length) resources[key] = { ...(resources[key] ?? {}), ...Object.fromEntries(set) };
  };
  merge("cpu", cpu);
  merge("memory", memory);
  merge("blockIO", blockIO);
}

/** A rule in `devices.allow` syntax ("c 1:3 rwm") as an OCI device rule. */
function ociDeviceRule(rule: string): OciSpec {
  const [type, numbers, access] = rule.split(" ");
  const [major, minor] = numbers.split(":").map((n) => n === "*" ? undefined : Number(n));
  return { allow: true, type, major, minor, access };
}

function toOciSpec(plan: LaunchPlan, input: ContainerConfigInput): OciSpec {
  const p = plan.process;
  const limits = input.container.Limits;
  const resources: OciSpec = {
    devices: input.options.privileged ? [{ allow: true, access: "rwm" }] : [
      ...DEVICE_RULES,
      ...extraDeviceRules(input.options.devices ?? [], input.options.deviceCgroupRules ?? [])
        .map(ociDeviceRule),
    ],
  };
  if (limits.memory) {
    resources.memory = {
      limit: limits.memory,
      ...(limits.memorySwap ? { swap: limits.memorySwap } : {}),
    };
  }
  if (limits.cpus || limits.cpuShares) {
    resources.cpu = {
      ...(limits.cpuShares ? { shares: limits.cpuShares } : {}),
      ...(limits.cpus ? { quota: Math.round(limits.cpus / 1e4), period: 100000 } : {}),
    };
  }
  if (limits.pidsLimit && limits.pidsLimit > 0) resources.pids = { limit: limits.pidsLimit };
  ociResourceLimits(resources, limits);
  const linux: OciSpec = {
    namespaces: plan.namespaces.map((n) => ({
      type: NS_NAMES[n.type] ?? n.type,
      ...(n.path ? { path: n.path } : {}),
    })),
    devices: plan.devices.map((d) => ({
      path: d.path,
      type: d.type,
      major: d.major,
      minor: d.minor,
      fileMode: d.mode,
      uid: d.uid,
      gid: d.gid,
    })),
    resources,
    ...(plan.sysctls?.length
      ? { sysctl: Object.fromEntries(plan.sysctls.map((x) => [x.key, x.value])) }
      : {}),
    maskedPaths: plan.maskedPaths,
    readonlyPaths: plan.readonlyPaths,
  };
  if (plan.cgroupPaths.length > 0) {
    const parent = (input.container.CgroupParent || DEFAULT_CGROUP_PARENT).replace(/^\/+/, "");
    linux.cgroupsPath = `/${parent}/${plan.id}`;
  }
  if (plan.uidMappings.length > 0) {
    const map = (l: string) => {
      const [containerID, hostID, size] = l.split(" ").map(Number);
      return { containerID, hostID, size };
    };
    linux.uidMappings = plan.uidMappings.map(map);
    linux.gidMappings = plan.gidMappings.map(map);
  }
  if (p.seccomp) linux.seccomp = ociSeccomp(p.seccomp as SeccompFilter);
  return {
    ociVersion: "1.2.0",
    process: {
      terminal: p.terminal,
      user: { uid: p.uid, gid: p.gid, additionalGids: p.additionalGids },
      args: p.args,
      env: p.env,
      cwd: p.cwd,
      capabilities: {
        bounding: p.capabilities,
        effective: p.capabilities,
        permitted: p.capabilities,
      },
      rlimits: p.rlimits.map((r) => ({
        type: `RLIMIT_${r.type.toUpperCase()}`,
        hard: r.hard,
        soft: r.soft,
      })),
      noNewPrivileges: p.noNewPrivileges,
      ...(p.oomScoreAdj !== undefined ? { oomScoreAdj: p.oomScoreAdj } : {}),
    },
    root: { path: plan.rootfs.target, readonly: plan.readonlyRoot },
    hostname: plan.hostname,
    ...(plan.domainname ? { domainname: plan.domainname } : {}),
    mounts: plan.mounts.map((m) => ({
      destination: m.destination,
      type: m.type,
      source: m.subpath ? cleanPath(`${m.source}/${m.subpath}`) : m.source,
      options: [...m.flags, ...(m.data === "" ? [] : m.data.split(","))],
    })),
    linux,
    annotations: { ...input.container.Labels },
  };
}

let syscallNames: Map<number, string> | undefined;

function ociSeccomp(f: SeccompFilter): OciSpec {
  syscallNames ??= new Map(Object.entries(SYSCALLS_X86_64).map(([n, nr]) => [nr, n]));
  const name = (nr: number) => syscallNames!.get(nr) ?? String(nr);
  const syscalls: OciSpec[] = [{ names: f.allow.map(name), action: "SCMP_ACT_ALLOW" }];
  for (const c of f.conditional) {
    syscalls.push({
      names: [name(c.nr)],
      action: "SCMP_ACT_ALLOW",
      args: [
        c.op === "eq"
          ? { index: c.arg, value: c.value, op: "SCMP_CMP_EQ" }
          : { index: c.arg, value: c.mask, valueTwo: c.value, op: "SCMP_CMP_MASKED_EQ" },
      ],
    });
  }
  for (const e of f.errnoRules ?? []) {
    syscalls.push({ names: [name(e.nr)], action: "SCMP_ACT_ERRNO", errnoRet: e.errno });
  }
  return {
    defaultAction: "SCMP_ACT_ERRNO",
    defaultErrnoRet: f.defaultErrno,
    architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    syscalls,
  };
}
