/**
 * Everything `docker run` / `docker create` accept that shapes the container,
 * and the pure parsers for the flag values, with Docker's error messages.
 */
import { InvalidArgumentError } from "../errors.ts";
import type { MountSpec } from "./mounts.ts";
import type { ResourceOptions } from "./resource_options.ts";
import type { NamespaceOptions } from "./namespace_options.ts";
import type { DeviceMapping } from "./device_options.ts";
import type { GpuRequest } from "./cdi_names.ts";

// The signal parsing moved to signals.ts; kept here for the modules that import it from here.
import type { HealthOptions } from "./health_config.ts";
import type { LogConfig } from "./logs_config.ts";

/** A resource limit from `--ulimit name=soft[:hard]`. */
export interface Ulimit {
  /** RLIMIT_ name without prefix, lower case: "nofile". */
  name: string;
  soft: number;
  hard: number;
}

/** A restart policy from `--restart`. */
export interface RestartPolicy {
  name: "no" | "always" | "unless-stopped" | "on-failure";
  /** on-failure:N; 0 means unlimited. */
  maxRetries: number;
}

/** Parsed `--security-opt` values that skiff honours. */
export interface SecurityOptions {
  noNewPrivileges: boolean;
  /** "default": Docker's profile; "unconfined": no filter. */
  seccomp: "default" | "unconfined";
}

/**
 * `--network`: "private" (the default: a new network namespace that the
 * network hook sets up), "none" (a new namespace with loopback only), "host"
 * (the host's namespace), or the name of a network (set up by the hook).
 */
export type NetworkMode = "none" | "host" | "private" | (string & Record<never, never>);

/**
 * One published container port as `-p` asked for it (parsed by network/port_spec.ts):
 * `hostPort` is "" (a free port is chosen), one port ("8080") or a range to choose from
 * ("8000-8010"); `hostIp` is "" for every address of the host.
 */
export interface PortBinding {
  hostIp: string;
  hostPort: string;
  containerPort: number;
  proto: "tcp" | "udp" | "sctp";
}

/**
 * One bridge network a container is connected to (`--network`, `network connect`), with what
 * was asked for on it.
 */
export interface NetworkConnection {
  /** The network's name. */
  name: string;
  /** --ip / `network connect --ip`. */
  ip?: string;
  /** --ip6 / `network connect --ip6`. */
  ip6?: string;
  /** --network-alias / `network connect --alias`. */
  aliases?: string[];
}

/** The container-shaping options of `docker run` / `docker create`. */
export interface RunOptions {
  /** KEY=VALUE entries from --env-file then -e, in order, already resolved against the host. */
  env: string[];
  /** -w; undefined: the image's WorkingDir. */
  workdir?: string;
  /** -u user[:group]; undefined: the image's User. */
  user?: string;
  /** --entrypoint; undefined: the image's, "" clears it. */
  entrypoint?: string;
  /** Arguments after the image name; empty: the image's Cmd. */
  cmd: string[];
  /** -h; undefined: the first 12 characters of the id. */
  hostname?: string;
  /** -t */
  tty: boolean;
  /** -i */
  interactive: boolean;
  /** -v, --mount and --tmpfs, parsed by `mounts.ts`, in command-line order. */
  mounts: MountSpec[];
  /** -l, --label */
  labels: Record<string, string>;
  /** --init */
  init: boolean;
  /** --stop-signal; undefined: the image's StopSignal, else SIGTERM. */
  stopSignal?: string;
  /** --stop-timeout in seconds; undefined: 10. */
  stopTimeout?: number;
  /** --ulimit */
  ulimits: Ulimit[];
  /** -m in bytes. */
  memory?: number;
  /** --memory-swap in bytes (memory plus swap); -1: unlimited swap. */
  memorySwap?: number;
  /** --cpus in nano-CPUs (1.5 → 1500000000). */
  cpus?: number;
  /** -c, --cpu-shares */
  cpuShares?: number;
  /** --pids-limit; 0 or -1: unlimited. */
  pidsLimit?: number;
  /** --cgroup-parent, from the hierarchy root; undefined: skiff's default parent. */
  cgroupParent?: string;
  /** --cpu-period, --cpuset-cpus, --blkio-weight, --shm-size, --cgroupns...; absent: none. */
  resources?: ResourceOptions;
  /** --pid, --ipc, --uts, --sysctl; absent: private namespaces, no sysctls. */
  namespaces?: NamespaceOptions;
  /** --device: host nodes made in the container and allowed in its device cgroup. */
  devices?: DeviceMapping[];
  /** --device-cgroup-rule, checked ("c 1:3 rwm"). */
  deviceCgroupRules?: string[];
  /** --device vendor.com/class=name: CDI devices, applied when the container is created. */
  cdiDevices?: string[];
  /** --gpus: CDI devices of kind nvidia.com/gpu, applied when the container is created. */
  gpus?: GpuRequest;
  /** --volumes-from as given ("data:ro"); their mounts are in `mounts` once created. */
  volumesFrom?: string[];
  /** --privileged */
  privileged: boolean;
  /** --cap-add */
  capAdd: string[];
  /** --group-add: more supplementary groups, names from the image's /etc/group or gids. */
  groupAdd?: string[];
  /** --cap-drop */
  capDrop: string[];
  /** --security-opt */
  securityOpt: SecurityOptions;
  /** --read-only */
  readOnly: boolean;
  /** --network */
  network: NetworkMode;
  /** --ip: the IPv4 address asked for on a user network. */
  ip?: string;
  /** --ip6: the IPv6 address asked for on a user network. */
  ip6?: string;
  /** --mac-address, lower case with colons. */
  macAddress?: string;
  /** --network-alias: more names on a user network. */
  networkAliases?: string[];
  /**
   * Every bridge network the container is on, in interface order (eth0 first), when it was
   * given several or connected since; absent in older records and with one `--network`,
   * where `network`, `ip`, `ip6` and `networkAliases` say it (network/attachments.ts).
   */
  networks?: NetworkConnection[];
  /** --domainname */
  domainname?: string;
  /** --dns: name servers replacing the host's. */
  dns?: string[];
  /** --dns-search: search domains replacing the host's ("." for none). */
  dnsSearch?: string[];
  /** --dns-option: resolver options replacing the host's. */
  dnsOptions?: string[];
  /** --add-host, as given ("name:ip", "name:host-gateway"). */
  extraHosts?: string[];
  /** -p, one entry per container port (absent in records made before). */
  publish?: PortBinding[];
  /** --expose as "port/proto" keys (absent in records made before). */
  expose?: string[];
  /** -P: publish every exposed port on a free host port. */
  publishAll?: boolean;
  /** --restart */
  restart: RestartPolicy;
  /** --rm */
  autoRemove: boolean;
  /** --health-*, --no-healthcheck, --health-on-failure; absent: the image's check. */
  health?: HealthOptions;
  /** --log-driver and --log-opt; absent: the default driver without options. */
  logConfig?: LogConfig;
}

/**
 * Options as `docker run IMAGE` with no flags gives them.
 *
 * @example
 * ```ts
 * const opts = { ...defaultRunOptions(), tty: true, cmd: ["sh"] };
 * ```
 */
export function defaultRunOptions(): RunOptions {
  return {
    env: [],
    cmd: [],
    tty: false,
    interactive: false,
    mounts: [],
    labels: {},
    init: false,
    ulimits: [],
    privileged: false,
    capAdd: [],
    capDrop: [],
    securityOpt: { noNewPrivileges: false, seccomp: "default" },
    readOnly: false,
    network: "private",
    restart: { name: "no", maxRetries: 0 },
    autoRemove: false,
  };
}

/**
 * Parses an `--env-file` as Docker does: blank lines and lines starting with
 * `#` are skipped, leading white space is dropped, the value is everything
 * after the first `=` (no quote processing). A line with only a name takes
 * the value from `lookup` (the host environment) and is dropped if unset.
 *
 * @example
 * ```ts
 * parseEnvFile("# comment\nA=1\nHOME\n", (k) => Deno.env.get(k)); // ["A=1", "HOME=/root"]
 * ```
 */
export function parseEnvFile(
  text: string,
  lookup: (name: string) => string | undefined = () => undefined,
): string[] {
  const out: string[] = [];
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (const raw of lines) {
    const line = raw.replace(/^\s+/, "");
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    const name = eq < 0 ? line : line.slice(0, eq);
    if (name === "") {
      throw new InvalidArgumentError(
        `poorly formatted environment: no variable name on line '${line}'`,
      );
    }
    if (/\s/.test(name)) {
      throw new InvalidArgumentError(
        `poorly formatted environment: variable '${name}' contains whitespaces`,
      );
    }
    if (eq >= 0) out.push(line);
    else {
      const value = lookup(name);
      if (value !== undefined) out.push(`${name}=${value}`);
    }
  }
  return out;
}

const ULIMIT_NAMES = [
  "core",
  "cpu",
  "data",
  "fsize",
  "locks",
  "memlock",
  "msgqueue",
  "nice",
  "nofile",
  "nproc",
  "rss",
  "rtprio",
  "rttime",
  "sigpending",
  "stack",
];

function parseInt64(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) {
    throw new InvalidArgumentError(`strconv.ParseInt: parsing "${s}": invalid syntax`);
  }
  return Number(s);
}

/**
 * Parses `--ulimit name=soft[:hard]` (hard defaults to soft; -1 is unlimited).
 *
 * @example
 * ```ts
 * parseUlimit("nofile=1024:2048"); // { name: "nofile", soft: 1024, hard: 2048 }
 * ```
 */
export function parseUlimit(value: string): Ulimit {
  const eq = value.indexOf("=");
  if (eq < 0) throw new InvalidArgumentError(`invalid ulimit argument: ${value}`);
  const name = value.slice(0, eq);
  if (!ULIMIT_NAMES.includes(name)) throw new InvalidArgumentError(`invalid ulimit type: ${name}`);
  const parts = value.slice(eq + 1).split(":");
  if (parts.length > 2) {
    throw new InvalidArgumentError(
      `too many limit value arguments - ${
        value.slice(eq + 1)
      }, can only have up to two, \`soft[:hard]\``,
    );
  }
  const hard = parts.length === 2 ? parseInt64(parts[1]) : undefined;
  const soft = parseInt64(parts[0]);
  const h = hard ?? soft;
  if (h !== -1) {
    if (soft === -1) {
      throw new InvalidArgumentError(
        `ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: ${h}`,
      );
    }
    if (soft > h) {
      throw new InvalidArgumentError(
        `ulimit soft limit must be less than or equal to hard limit: ${soft} > ${h}`,
      );
    }
  }
  return { name, soft, hard: h };
}

/**
 * Parses `--restart no|always|unless-stopped|on-failure[:N]`.
 *
 * @example
 * ```ts
 * parseRestartPolicy("on-failure:3"); // { name: "on-failure", maxRetries: 3 }
 * ```
 */
export function parseRestartPolicy(value: string): RestartPolicy {
  if (value === "") return { name: "no", maxRetries: 0 };
  const colon = value.indexOf(":");
  const name = colon < 0 ? value : value.slice(0, colon);
  let maxRetries = 0;
  if (colon >= 0) {
    const count = value.slice(colon + 1);
    if (count.trim() === "") throw new InvalidArgumentError("invalid empty maximum retry count");
    if (!/^[+-]?\d+$/.test(count)) {
      throw new InvalidArgumentError(
        `invalid restart policy: maximum retry count must be an integer: ${count}`,
      );
    }
    maxRetries = Number(count);
  }
  if (name !== "no" && name !== "always" && name !== "unless-stopped" && name !== "on-failure") {
    throw new InvalidArgumentError(
      `invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`,
    );
  }
  if (colon >= 0 && name !== "on-failure") {
    throw new InvalidArgumentError(
      "invalid restart policy: maximum retry count can only be used with 'on-failure'",
    );
  }
  if (maxRetries < 0) {
    throw new InvalidArgumentError(
      "invalid restart policy: maximum retry count cannot be negative",
    );
  }
  return { name, maxRetries };
}

/**
 * Parses the `--security-opt` values: `no-new-privileges[=true|false]`,
 * `seccomp=unconfined`. `label=...` and `apparmor=...` are accepted and
 * ignored (skiff has no SELinux or AppArmor support); a seccomp profile file
 * is refused.
 *
 * @example
 * ```ts
 * parseSecurityOpt(["no-new-privileges", "seccomp=unconfined"]);
 * // { noNewPrivileges: true, seccomp: "unconfined" }
 * ```
 */
export function parseSecurityOpt(values: readonly string[]): SecurityOptions {
  const out: SecurityOptions = { noNewPrivileges: false, seccomp: "default" };
  for (const opt of values) {
    if (opt === "no-new-privileges") {
      out.noNewPrivileges = true;
      continue;
    }
    const m = /^([^=:]+)[=:](.*)$/s.exec(opt);
    if (!m) throw new InvalidArgumentError(`invalid --security-opt 1: "${opt}"`);
    const [, key, value] = m;
    if (key === "no-new-privileges") {
      if (value !== "true" && value !== "false") {
        throw new InvalidArgumentError(`invalid --security-opt 2: "${opt}"`);
      }
      out.noNewPrivileges = value === "true";
    } else if (key === "seccomp") {
      if (value === "unconfined") out.seccomp = "unconfined";
      else if (value === "builtin" || value === "default") out.seccomp = "default";
      else {
        throw new InvalidArgumentError(
          `seccomp profile files are not supported: "${opt}" (use seccomp=unconfined)`,
        );
      }
    } else if (key === "label" || key === "apparmor" || key === "systempaths") {
      if (key === "systempaths" && value !== "unconfined") {
        throw new InvalidArgumentError(`invalid --security-opt 2: "${opt}"`);
      }
      // Accepted for compatibility; no LSM support.
    } else {
      throw new InvalidArgumentError(`invalid --security-opt 2: "${opt}"`);
    }
  }
  return out;
}

/**
 * Parses `--cpus` into nano-CPUs.
 *
 * @example
 * ```ts
 * parseCpus("1.5"); // 1500000000
 * ```
 */
export function parseCpus(value: string): number {
  if (!/^(\d+\.?\d*|\.\d+)$/.test(value.trim())) {
    throw new InvalidArgumentError(`failed to parse ${value} as a rational number`);
  }
  const nano = Number(value) * 1e9;
  const rounded = Math.round(nano);
  if (Math.abs(nano - rounded) > 1e-3) throw new InvalidArgumentError("value is too precise");
  return rounded;
}
