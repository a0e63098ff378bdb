/**
 * The namespace flags of `docker run` / `docker create` (`--pid`, `--ipc`, `--uts`) and
 * `--sysctl`: their typed form and the pure parsers and checks, with Docker's messages.
 */
import { InvalidArgumentError } from "../errors.ts";

/** `--ipc` modes; `container:NAME` joins another container's IPC namespace. */
export type IpcMode =
  | "private"
  | "shareable"
  | "host"
  | "none"
  | `container:${string}`;

/** The namespace options; absent fields are Docker's defaults (private namespaces). */
export interface NamespaceOptions {
  /** --pid: "host" or "container:NAME"; undefined: a private pid namespace. */
  pid?: "host" | `container:${string}`;
  /** --ipc; undefined: "private" (Docker 20.10's default). */
  ipc?: IpcMode;
  /** --uts=host; undefined: a private UTS namespace. */
  uts?: "host";
  /** --sysctl, by key as given. */
  sysctls?: Record<string, string>;
  /** --userns=keep-id (rootless: the user's own ids inside); undefined or "host": the default. */
  userns?: "keep-id";
}

const CONTAINER = "container:";

/**
 * The container a `container:NAME` mode names, or undefined.
 *
 * @example
 * ```ts
 * joinedContainer("container:web"); // "web"
 * joinedContainer("host"); // undefined
 * ```
 */
export function joinedContainer(mode: string | undefined): string | undefined {
  return mode?.startsWith(CONTAINER) ? mode.slice(CONTAINER.length) : undefined;
}

/**
 * Parses `--pid` as Docker does: "" (private), "host" or "container:NAME".
 *
 * @example
 * ```ts
 * parsePidMode("host"); // "host"
 * parsePidMode(""); // undefined
 * ```
 */
export function parsePidMode(value: string): NamespaceOptions["pid"] {
  if (value === "") return undefined;
  if (value === "host") return "host";
  if (value.startsWith(CONTAINER) && value.length > CONTAINER.length) {
    return value as `container:${string}`;
  }
  throw new InvalidArgumentError(`--pid: invalid PID mode`);
}

/**
 * Parses `--ipc` as Docker does: "", "private", "shareable", "host", "none" or
 * "container:NAME"; "" is the default (private).
 *
 * @example
 * ```ts
 * parseIpcMode("shareable"); // "shareable"
 * ```
 */
export function parseIpcMode(value: string): IpcMode | undefined {
  if (value === "") return undefined;
  if (["private", "shareable", "host", "none"].includes(value)) return value as IpcMode;
  if (value.startsWith(CONTAINER) && value.length > CONTAINER.length) {
    return value as `container:${string}`;
  }
  throw new InvalidArgumentError(`--ipc: invalid IPC mode`);
}

/**
 * Parses `--uts`: "" (private) or "host".
 *
 * @example
 * ```ts
 * parseUtsMode("host"); // "host"
 * ```
 */
export function parseUtsMode(value: string): "host" | undefined {
  if (value === "") return undefined;
  if (value === "host") return "host";
  throw new InvalidArgumentError(`--uts: invalid UTS mode`);
}

/** The sysctls Docker lets a container set by name; `net.` and `fs.mqueue.` by prefix. */
const SYSCTLS = new Set([
  "kernel.msgmax",
  "kernel.msgmnb",
  "kernel.msgmni",
  "kernel.sem",
  "kernel.shmall",
  "kernel.shmmax",
  "kernel.shmmni",
  "kernel.shm_rmid_forced",
]);

/** Whether a sysctl key belongs to the IPC namespace (else to the network namespace). */
function isIpcSysctl(key: string): boolean {
  return SYSCTLS.has(key) || key.startsWith("fs.mqueue.");
}

/**
 * Parses one `--sysctl KEY=VALUE` as Docker's CLI does: only the namespaced sysctls of
 * Docker's allow-list (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, net.*).
 *
 * @example
 * ```ts
 * parseSysctl("net.ipv4.ip_forward=1"); // ["net.ipv4.ip_forward", "1"]
 * // parseSysctl("kernel.hostname=x") throws "sysctl 'kernel.hostname=x' is not whitelisted"
 * ```
 */
export function parseSysctl(value: string): [string, string] {
  const bad = () =>
    new InvalidArgumentError(
      `invalid argument "${value}" for "--sysctl" flag: sysctl '${value}' is not whitelisted`,
    );
  const eq = value.indexOf("=");
  if (eq < 0) throw bad();
  const key = value.slice(0, eq), v = value.slice(eq + 1);
  if (!(SYSCTLS.has(key) || key.startsWith("net.") || key.startsWith("fs.mqueue."))) throw bad();
  // the key becomes a path under /proc/sys: no way out of it, no empty component
  if (!/^[A-Za-z0-9_.\-]+$/.test(key) || key.split(".").some((c) => c === "" || c === "-")) {
    throw bad();
  }
  if (/[\0\n]/.test(v)) {
    throw new InvalidArgumentError(`invalid value for sysctl ${key}: ${JSON.stringify(v)}`);
  }
  return [key, v];
}

/**
 * Checks the namespace options together with the network mode and hostname as Docker and runc
 * do: a hostname with `--uts=host`, network sysctls without a network namespace of the
 * container's own, IPC sysctls in the host's or another container's IPC namespace.
 *
 * @example
 * ```ts
 * checkNamespaceOptions({ uts: "host" }, { network: "private" }); // accepted
 * // with hostname "x" it throws "Conflicting options: hostname and the UTS mode"
 * ```
 */
export function checkNamespaceOptions(
  n: NamespaceOptions,
  other: { network: string; hostname?: string },
): void {
  if (n.uts === "host" && other.hostname) {
    throw new InvalidArgumentError("Conflicting options: hostname and the UTS mode");
  }
  for (const key of Object.keys(n.sysctls ?? {})) {
    if (isIpcSysctl(key)) {
      if (n.ipc === "host" || joinedContainer(n.ipc) !== undefined) {
        throw new InvalidArgumentError(
          `sysctl "${key}" not allowed in host or joined IPC namespace`,
        );
      }
    } else if (other.network === "host" || other.network.startsWith(CONTAINER)) {
      throw new InvalidArgumentError(`sysctl "${key}" not allowed in host network namespace`);
    }
  }
}

/**
 * The path of a sysctl under /proc/sys (`net.ipv4.ip_forward` → "net/ipv4/ip_forward").
 *
 * @example
 * ```ts
 * sysctlPath("kernel.shmmax"); // "kernel/shmmax"
 * ```
 */
export function sysctlPath(key: string): string {
  return key.replaceAll(".", "/");
}

/**
 * Docker's HostConfig fields of the namespace options (PidMode, IpcMode, UTSMode, Sysctls).
 *
 * @example
 * ```ts
 * namespaceHostConfig({}); // { PidMode: "", IpcMode: "private", UTSMode: "" }
 * ```
 */
export function namespaceHostConfig(n: NamespaceOptions): Record<string, unknown> {
  return {
    PidMode: n.pid ?? "",
    IpcMode: n.ipc ?? "private",
    UTSMode: n.uts ?? "",
    ...(n.sysctls && Object.keys(n.sysctls).length ? { Sysctls: { ...n.sysctls } } : {}),
  };
}

/**
 * `--userns`: "" and "host" are the default (root: no user namespace; rootless: the user's
 * mapping, as Podman's), "keep-id" (rootless only) the user's own uid and gid inside.
 *
 * @example
 * ```ts
 * parseUsernsMode("keep-id", 1000); // "keep-id"
 * ```
 */
export function parseUsernsMode(value: string, uid: number): "keep-id" | undefined {
  if (value === "" || value === "host") return undefined;
  if (value !== "keep-id") {
    throw new InvalidArgumentError(`invalid --userns "${value}": expected host or keep-id`);
  }
  if (uid === 0) throw new InvalidArgumentError("keep-id is only supported in rootless mode");
  return "keep-id";
}
