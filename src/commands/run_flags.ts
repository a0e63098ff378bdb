/**
 * Turns the flags of `run` and `create` into RunOptions, with Docker's messages for bad values.
 * Pure apart from reading --env-file files and checking bind sources exist.
 */
import type { FlagsOf } from "../cli/spec.ts";
import type { create } from "../cli/table_containers.ts";
import { InvalidArgumentError } from "../errors.ts";
import { parseSize } from "../units.ts";
import { parseMountFlag, parseTmpfsFlag, parseVolumeFlag } from "../runtime/mounts.ts";
import * as p from "../runtime/run_options.ts";
import * as r from "../runtime/resource_options.ts";
import * as ns from "../runtime/namespace_options.ts";
import * as dev from "../runtime/device_options.ts";
import * as cdi from "../runtime/cdi_names.ts";
import { parseVolumesFrom } from "../runtime/volumes_from.ts";
import { parseSignal } from "../runtime/signals.ts";
import { healthFromFlags } from "../runtime/health_config.ts";
import { JOURNAL_SOCKET, parseLogConfig } from "../runtime/logs_config.ts";
import { envFromFlags } from "./env_flags.ts";
import { checkEndpointFlags } from "../network/endpoint_options.ts";
import { networksFromFlags } from "../network/attachments.ts";
import { parseExpose, parsePublish } from "../network/port_spec.ts";

/** The flags `run` and `create` share. */
export type CreateFlags = FlagsOf<typeof create>;

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The warning Docker gives when ports are published on a network that cannot publish them
 * (they are kept in the record and ignored), else undefined.
 *
 * @example
 * ```ts ignore
 * portsWarning({ ...defaultRunOptions(), network: "host", publish: [{ hostIp: "", hostPort: "80", containerPort: 80, proto: "tcp" }] });
 * // "Published ports are discarded when using host network mode"
 * ```
 */
export function portsWarning(o: p.RunOptions): string | undefined {
  if (!(o.publish?.length || o.publishAll)) return undefined;
  if (o.network === "host") return "Published ports are discarded when using host network mode";
  if (o.network === "none" || o.network === "private") {
    return "Published ports are discarded when using none network mode";
  }
  return undefined;
}

/**
 * Builds RunOptions from parsed flags and the arguments after the image.
 *
 * @example
 * ```ts ignore
 * runOptionsFromFlags({ ...flags, env: ["A=1"], tty: true }, ["sh"]);
 * ```
 */
export function runOptionsFromFlags(f: CreateFlags, cmd: string[]): p.RunOptions {
  const o = p.defaultRunOptions();
  o.env = envFromFlags(f["env-file"], f.env);
  o.cmd = cmd;
  [o.workdir, o.user, o.entrypoint, o.hostname] = [f.workdir, f.user, f.entrypoint, f.hostname];
  [o.tty, o.interactive] = [f.tty, f.interactive];
  const host = { cwd: Deno.cwd(), exists };
  o.mounts = [
    ...f.volume.map((v) => parseVolumeFlag(v, host)),
    ...f.mount.map((v) => parseMountFlag(v, host)),
    ...f.tmpfs.map((v) => parseTmpfsFlag(v)),
  ];
  for (const l of f.label) {
    const eq = l.indexOf("=");
    if (eq === 0) throw new InvalidArgumentError(`invalid label: ${l}`);
    o.labels[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? "" : l.slice(eq + 1);
  }
  o.init = f.init;
  if (f["stop-signal"]) o.stopSignal = parseSignal(f["stop-signal"]).name;
  if (f["stop-timeout"] !== undefined) o.stopTimeout = f["stop-timeout"];
  o.ulimits = f.ulimit.map(p.parseUlimit);
  if (f.memory) o.memory = parseSize(f.memory);
  if (f["memory-swap"]) o.memorySwap = f["memory-swap"] === "-1" ? -1 : parseSize(f["memory-swap"]);
  if (f.cpus) o.cpus = p.parseCpus(f.cpus);
  if (f["cpu-shares"] !== undefined) o.cpuShares = f["cpu-shares"];
  if (f["pids-limit"] !== undefined) o.pidsLimit = f["pids-limit"];
  if (f["cgroup-parent"]) o.cgroupParent = f["cgroup-parent"];
  o.resources = resourceOptionsFromFlags(f);
  isolationOptionsFromFlags(f, o);
  deviceOptionsFromFlags(f, o);
  otherOptionsFromFlags(f, o);
  healthAndLogFromFlags(f, o);
  [o.privileged, o.capAdd, o.capDrop] = [f.privileged, f["cap-add"], f["cap-drop"]];
  if (f["group-add"].length) o.groupAdd = [...f["group-add"]];
  o.securityOpt = p.parseSecurityOpt(f["security-opt"]);
  o.readOnly = f["read-only"];
  // Without --network the container keeps a private namespace with loopback only (until
  // bridge networking becomes the default); `bridge` and a network's name use the bridge
  // driver, and an unknown network is refused when the container is created.
  // -p and -P without --network publish from the default bridge network, as Docker's do.
  const publishing = f.publish.length > 0 || f["publish-all"];
  const network = f.network[0]?.split(",")[0] ?? (publishing ? "bridge" : "private");
  if (network === "") throw new InvalidArgumentError("invalid --network: empty name");
  o.network = network === "default" ? "private" : network;
  networkFlags(f, o);
  const networks = networksFromFlags(f.network, o); // several: eth0, eth1, ...
  if (networks) o.networks = networks;
  o.publish = f.publish.flatMap(parsePublish);
  o.expose = [...new Set(f.expose.flatMap(parseExpose))];
  o.publishAll = f["publish-all"];
  o.restart = p.parseRestartPolicy(f.restart);
  o.autoRemove = f.rm;
  if (o.autoRemove && o.restart.name !== "no") {
    throw new InvalidArgumentError("Conflicting options: --restart and --rm");
  }
  return o;
}

/** A block device's numbers from a stat of its path, for the throttle and weight flags. */
function blockDevice(path: string): { major: number; minor: number } {
  let st: Deno.FileInfo;
  try {
    st = Deno.statSync(path);
  } catch (e) {
    throw new InvalidArgumentError(`no such device: ${path}: ${(e as Error).message}`);
  }
  if (!st.isBlockDevice || st.rdev === null) {
    throw new InvalidArgumentError(`${path} is not a block device`);
  }
  const dev = st.rdev;
  const high = Math.floor(dev / 2 ** 32);
  const low = dev % 2 ** 32;
  return {
    major: ((low >>> 8) & 0xfff) | ((high & 0xfffff000) >>> 0),
    minor: (low & 0xff) | ((low >>> 12) & 0xfff00),
  };
}

/**
 * The resource flags (--cpu-period, --cpuset-cpus, --blkio-weight, --device-read-bps,
 * --shm-size, --cgroupns...) as ResourceOptions; --kernel-memory is checked, then ignored
 * with Docker's warning on stderr.
 */
export function resourceOptionsFromFlags(f: CreateFlags): r.ResourceOptions {
  const o: r.ResourceOptions = {};
  if (f["cpu-period"]) o.cpuPeriod = f["cpu-period"];
  if (f["cpu-quota"]) o.cpuQuota = f["cpu-quota"];
  if (f["cpuset-cpus"]) o.cpusetCpus = f["cpuset-cpus"];
  if (f["cpuset-mems"]) o.cpusetMems = f["cpuset-mems"];
  if (f["cpu-rt-period"]) o.cpuRtPeriod = f["cpu-rt-period"];
  if (f["cpu-rt-runtime"]) o.cpuRtRuntime = f["cpu-rt-runtime"];
  if (f["memory-reservation"]) o.memoryReservation = parseSize(f["memory-reservation"]);
  if (f["memory-swappiness"] !== undefined && f["memory-swappiness"] !== -1) {
    o.memorySwappiness = f["memory-swappiness"];
  }
  if (f["oom-kill-disable"]) {
    o.oomKillDisable = true;
    if (!f.memory) {
      console.error(
        "WARNING: Disabling the OOM killer on containers without setting a '-m/--memory' limit may be dangerous.",
      );
    }
  }
  if (f["oom-score-adj"]) o.oomScoreAdj = f["oom-score-adj"];
  if (f["blkio-weight"]) o.blkioWeight = f["blkio-weight"];
  const weights = f["blkio-weight-device"].map((v) => r.parseWeightDevice(v, blockDevice));
  if (weights.length) o.blkioWeightDevice = weights;
  const throttle = (
    flag: "device-read-bps" | "device-write-bps" | "device-read-iops" | "device-write-iops",
  ) => f[flag].map((v) => r.parseThrottleDevice(flag, v, blockDevice));
  const [rb, wb, ri, wi] = [
    throttle("device-read-bps"),
    throttle("device-write-bps"),
    throttle("device-read-iops"),
    throttle("device-write-iops"),
  ];
  if (rb.length) o.deviceReadBps = rb;
  if (wb.length) o.deviceWriteBps = wb;
  if (ri.length) o.deviceReadIops = ri;
  if (wi.length) o.deviceWriteIops = wi;
  if (f["shm-size"]) o.shmSize = parseSize(f["shm-size"]);
  if (f.cgroupns !== undefined) {
    const mode = r.parseCgroupns(f.cgroupns);
    if (mode) o.cgroupns = mode;
  }
  if (f["kernel-memory"]) {
    parseSize(f["kernel-memory"]);
    console.error(
      "WARNING: Specifying a kernel memory limit is deprecated and will be removed in a future release.",
    );
  }
  return o;
}

// --- namespaces, devices, sysctls (ns-devices) ---

/** --pid, --ipc, --uts and --sysctl into `o.namespaces`, checked (only what is set). */
function isolationOptionsFromFlags(f: CreateFlags, o: p.RunOptions): void {
  const n: ns.NamespaceOptions = {};
  const pid = ns.parsePidMode(f.pid ?? "");
  if (pid) n.pid = pid;
  const ipc = ns.parseIpcMode(f.ipc ?? "");
  if (ipc) n.ipc = ipc;
  const uts = ns.parseUtsMode(f.uts ?? "");
  if (uts) n.uts = uts;
  for (const s of f.sysctl) {
    const [key, value] = ns.parseSysctl(s);
    (n.sysctls ??= {})[key] = value;
  }
  if (Object.keys(n).length) o.namespaces = n;
}

/**
 * --volumes-from (resolved at create), --label-file (before -l, which wins), and the flags
 * Docker has for other engines: --runtime and --isolation only with their defaults,
 * --storage-opt refused (overlay without quotas), --disable-content-trust accepted.
 */
function otherOptionsFromFlags(f: CreateFlags, o: p.RunOptions): void {
  for (const v of f["volumes-from"]) parseVolumesFrom(v);
  if (f["volumes-from"].length) o.volumesFrom = [...f["volumes-from"]];
  const fromFiles: Record<string, string> = {};
  for (const file of f["label-file"]) {
    let text: string;
    try {
      text = Deno.readTextFileSync(file);
    } catch (err) {
      const why = err instanceof Deno.errors.NotFound
        ? "no such file or directory"
        : (err as Error).message;
      throw new InvalidArgumentError(`open ${file}: ${why}`);
    }
    for (const line of p.parseEnvFile(text, () => "")) {
      const eq = line.indexOf("=");
      fromFiles[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  o.labels = { ...fromFiles, ...o.labels };
  if (f.runtime !== undefined && f.runtime !== "" && f.runtime !== "runc") {
    throw new InvalidArgumentError(`Unknown runtime specified ${f.runtime}`);
  }
  if (f.isolation !== undefined && f.isolation !== "" && f.isolation !== "default") {
    throw new InvalidArgumentError(
      `Invalid isolation: "${f.isolation}" - linux only supports 'default'`,
    );
  }
  if (f["storage-opt"].length) {
    throw new InvalidArgumentError(
      "--storage-opt is supported only for overlay over xfs with 'pquota' mount option",
    );
  }
}

/** --device and --device-cgroup-rule into `o`, each device looked up on the host. */
function deviceOptionsFromFlags(f: CreateFlags, o: p.RunOptions): void {
  // CDI names (vendor.com/class=name) and --gpus are resolved when the container is created
  const named = f.device.filter(cdi.isQualifiedDeviceName);
  named.forEach(cdi.parseQualifiedDevice);
  if (named.length) o.cdiDevices = named;
  if (f.gpus !== undefined) o.gpus = cdi.parseGpuRequest(f.gpus);
  const devices = f.device.filter((d) => !cdi.isQualifiedDeviceName(d))
    .flatMap((d) => dev.parseDevices(d, hostDeviceNode, hostDeviceDir));
  if (devices.length) o.devices = devices;
  const rules = f["device-cgroup-rule"].map(dev.parseDeviceCgroupRule);
  if (rules.length) o.deviceCgroupRules = rules;
}

/** The device nodes beneath a host directory (relative paths, sorted), or undefined. */
function hostDeviceDir(path: string): string[] | undefined {
  try {
    if (!Deno.statSync(path).isDirectory) return undefined;
  } catch {
    return undefined;
  }
  const out: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const e of Deno.readDirSync(dir)) {
      const sub = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) walk(`${dir}/${e.name}`, sub);
      else if (!e.isSymlink) {
        const st = Deno.lstatSync(`${dir}/${e.name}`);
        if (st.isCharDevice || st.isBlockDevice) out.push(sub);
      }
    }
  };
  walk(path, "");
  return out.sort();
}

/** A device node's kind, numbers, mode and owner from a stat of `path` (symlinks followed). */
function hostDeviceNode(path: string): dev.HostDevice {
  let st: Deno.FileInfo;
  try {
    st = Deno.statSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new Error("no such file or directory");
    throw e;
  }
  if ((!st.isCharDevice && !st.isBlockDevice) || st.rdev === null) {
    throw new Error("not a device node");
  }
  const { major, minor } = dev.deviceNumbers(st.rdev);
  return {
    type: st.isBlockDevice ? "b" : "c",
    major,
    minor,
    mode: (st.mode ?? 0o600) & 0o7777,
    uid: st.uid ?? 0,
    gid: st.gid ?? 0,
  };
}

// --- end of namespaces, devices, sysctls ---

/** The health-check and logging flags (--health-*, --no-healthcheck, --log-driver, --log-opt). */
function healthAndLogFromFlags(f: CreateFlags, o: p.RunOptions): void {
  const health = healthFromFlags({
    cmd: f["health-cmd"],
    interval: f["health-interval"],
    timeout: f["health-timeout"],
    startPeriod: f["health-start-period"],
    startInterval: f["health-start-interval"],
    retries: f["health-retries"],
    noHealthcheck: f["no-healthcheck"],
    onFailure: f["health-on-failure"],
  });
  if (health.healthcheck || health.onFailure) o.health = health;
  const log = parseLogConfig(f["log-driver"], f["log-opt"], () => exists(JOURNAL_SOCKET));
  if (log) o.logConfig = log;
}

/** The per-container network flags (--ip, --dns, --add-host...) into `o`, checked. */
function networkFlags(f: CreateFlags, o: p.RunOptions): void {
  const e = checkEndpointFlags({
    network: o.network,
    ip: f.ip,
    ip6: f.ip6,
    macAddress: f["mac-address"],
    aliases: f["network-alias"],
    domainname: f.domainname,
    dns: f.dns,
    dnsSearch: f["dns-search"],
    dnsOptions: f["dns-option"],
    extraHosts: f["add-host"],
  });
  if (e.ip !== undefined) o.ip = e.ip;
  if (e.ip6 !== undefined) o.ip6 = e.ip6;
  if (e.macAddress !== undefined) o.macAddress = e.macAddress;
  if (f.domainname) o.domainname = f.domainname;
  if (f["network-alias"].length) o.networkAliases = [...f["network-alias"]];
  if (f.dns.length) o.dns = [...f.dns];
  if (f["dns-search"].length) o.dnsSearch = [...f["dns-search"]];
  if (f["dns-option"].length) o.dnsOptions = [...f["dns-option"]];
  if (f["add-host"].length) o.extraHosts = [...f["add-host"]];
}
