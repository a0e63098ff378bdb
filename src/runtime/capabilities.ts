/**
 * Linux capabilities: the names and numbers the kernel knows (0..40), Docker's
 * default set, and Docker's rules for `--cap-add`, `--cap-drop` and
 * `--privileged`.
 */
import { InvalidArgumentError } from "../errors.ts";
import { type Host, realHost } from "../sys/host.ts";

/**
 * Every capability the kernel defines, by number (`CAPABILITIES[21] === "CAP_SYS_ADMIN"`).
 *
 * @example
 * ```ts
 * CAPABILITIES.indexOf("CAP_NET_ADMIN"); // 12
 * ```
 */
export const CAPABILITIES: readonly string[] = [
  "CAP_CHOWN", // 0
  "CAP_DAC_OVERRIDE",
  "CAP_DAC_READ_SEARCH",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL", // 5
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETPCAP",
  "CAP_LINUX_IMMUTABLE",
  "CAP_NET_BIND_SERVICE", // 10
  "CAP_NET_BROADCAST",
  "CAP_NET_ADMIN",
  "CAP_NET_RAW",
  "CAP_IPC_LOCK",
  "CAP_IPC_OWNER", // 15
  "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO",
  "CAP_SYS_CHROOT",
  "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT", // 20
  "CAP_SYS_ADMIN",
  "CAP_SYS_BOOT",
  "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME", // 25
  "CAP_SYS_TTY_CONFIG",
  "CAP_MKNOD",
  "CAP_LEASE",
  "CAP_AUDIT_WRITE",
  "CAP_AUDIT_CONTROL", // 30
  "CAP_SETFCAP",
  "CAP_MAC_OVERRIDE",
  "CAP_MAC_ADMIN",
  "CAP_SYSLOG",
  "CAP_WAKE_ALARM", // 35
  "CAP_BLOCK_SUSPEND",
  "CAP_AUDIT_READ",
  "CAP_PERFMON",
  "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE", // 40
];

/**
 * Docker's default capability set for an unprivileged container.
 *
 * @example
 * ```ts
 * DEFAULT_CAPABILITIES.includes("CAP_NET_RAW"); // true
 * ```
 */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
];

/**
 * The kernel number of a capability name (with or without `CAP_`, any case).
 *
 * @example
 * ```ts
 * capabilityNumber("sys_admin"); // 21
 * ```
 */
export function capabilityNumber(name: string): number {
  const n = CAPABILITIES.indexOf(normalizeCapability(name));
  if (n < 0) throw new InvalidArgumentError(`unknown capability: "${normalizeCapability(name)}"`);
  return n;
}

/**
 * Upper-cases a capability name and adds the `CAP_` prefix; "ALL" stays "ALL".
 * Throws `unknown capability: "CAP_FOO"` for a name the kernel does not define.
 *
 * @example
 * ```ts
 * normalizeCapability("net_admin"); // "CAP_NET_ADMIN"
 * ```
 */
export function normalizeCapability(name: string): string {
  let c = name.toUpperCase();
  if (c === "ALL") return c;
  if (!c.startsWith("CAP_")) c = "CAP_" + c;
  if (!CAPABILITIES.includes(c)) throw new InvalidArgumentError(`unknown capability: "${c}"`);
  return c;
}

/**
 * Every capability this process may pass on: its own bounding set (as
 * Podman does), so that `--privileged` works where the engine itself runs
 * with a reduced set (in another container, or without CAP_SYS_RESOURCE).
 */
function privilegedCapabilities(host: Host): string[] {
  // no /proc: ask for everything and let the kernel decide
  const bounding = host.capabilityBounding();
  return CAPABILITIES.filter((_, i) => bounding === undefined || (bounding >> BigInt(i)) & 1n);
}

/**
 * Docker's capability rules: `--privileged` gets every capability we hold (adds and
 * drops ignored); `--cap-add ALL` gets every capability but the dropped ones;
 * `--cap-drop ALL` keeps only the added ones; otherwise the default set minus
 * the dropped plus the added. The result has no duplicates.
 *
 * @example
 * ```ts
 * resolveCapabilities(["NET_ADMIN"], ["chown"], false);
 * // default set without CAP_CHOWN, plus CAP_NET_ADMIN
 * ```
 */
export function resolveCapabilities(
  capAdd: readonly string[],
  capDrop: readonly string[],
  privileged: boolean,
  host: Host = realHost,
): string[] {
  if (privileged) return privilegedCapabilities(host);
  const drop = capDrop.map(normalizeCapability);
  const add = capAdd.map(normalizeCapability);
  let caps: string[];
  if (add.includes("ALL")) {
    caps = CAPABILITIES.filter((c) => !drop.includes(c));
  } else if (drop.includes("ALL")) {
    caps = [...add];
  } else {
    caps = [...DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c)), ...add];
  }
  return [...new Set(caps)];
}
