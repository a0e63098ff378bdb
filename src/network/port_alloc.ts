/**
 * Choosing the host ports a container publishes, as plain data: which ports are taken (by
 * another skiff container, or by a program listening on the host, read from /proc/net), a
 * fixed port refused with Docker's message when taken, and a free one chosen for `-p 80`,
 * `-p 8000-8010:80` and `-P` (from the kernel's ephemeral range, as Docker does).
 */
import { FailedPreconditionError, InvalidArgumentError } from "../errors.ts";
import type { ActiveBinding } from "./port_format.ts";
import { isIPv6, parsePortRange, type PortBinding, type PortProto } from "./port_spec.ts";
import { formatAddress, parseAddress } from "./address.ts";

/** A host port in use: by a skiff container's binding or by a program's socket. */
export interface TakenPort {
  ip: string;
  port: number;
  proto: PortProto;
  by: "skiff" | "host";
}

/** An IPv4 address as /proc/net/tcp writes it (8 hex digits, host byte order: little end). */
function procIPv4(hex: string): string {
  const n = parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join(".");
}

/**
 * An IPv6 address as /proc/net/tcp6 writes it (32 hex digits: four 32-bit words, each in host
 * byte order), in its short form ("::1").
 */
function procIPv6(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => (w.match(/../g) ?? []).reverse());
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes[i] + bytes[i + 1]);
  return formatAddress(parseAddress(groups.join(":")));
}

/**
 * The sockets bound on the host as /proc/net/{tcp,udp}{,6} list them: listening TCP sockets
 * and bound UDP sockets; an IPv6 socket bound to every address ("::") is given as "0.0.0.0"
 * (it takes the port of IPv4 too), one bound to one address with that address.
 *
 * @example
 * ```ts
 * const tcp = "  sl  local_address rem_address   st\n   0: 0100007F:1F90 00000000:0000 0A\n";
 * hostSockets({ tcp }); // [{ ip: "127.0.0.1", port: 8080, proto: "tcp", by: "host" }]
 * ```
 */
export function hostSockets(tables: {
  tcp?: string;
  tcp6?: string;
  udp?: string;
  udp6?: string;
}): TakenPort[] {
  const out: TakenPort[] = [];
  for (const [name, text] of Object.entries(tables)) {
    const proto = name.startsWith("tcp") ? "tcp" : "udp";
    for (const line of (text ?? "").split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4) continue;
      const [addr, portHex] = cols[1].split(":");
      if (proto === "tcp" && cols[3] !== "0A") continue; // LISTEN only
      let ip: string;
      if (addr.length === 8) ip = procIPv4(addr);
      else if (/^0{32}$/.test(addr)) ip = "0.0.0.0";
      else if (/^[0-9A-Fa-f]{32}$/.test(addr)) ip = procIPv6(addr);
      else continue;
      out.push({ ip, port: parseInt(portHex, 16), proto, by: "host" });
    }
  }
  return out;
}

/**
 * Whether a binding on `ip` and one on `other` share addresses: "0.0.0.0" is every address
 * (a host socket on "::" is given as that too), "::" every IPv6 address.
 */
function overlaps(ip: string, other: string): boolean {
  if (ip === other || ip === "0.0.0.0" || other === "0.0.0.0") return true;
  return (ip === "::" && isIPv6(other)) || (other === "::" && isIPv6(ip));
}

/**
 * The kernel's ephemeral port range (/proc/sys/net/ipv4/ip_local_port_range), else Docker's
 * default 49153-60999.
 *
 * @example
 * ```ts
 * ephemeralRange("32768\t60999\n"); // [32768, 60999]
 * ```
 */
export function ephemeralRange(text: string): [number, number] {
  const [lo, hi] = text.trim().split(/\s+/).map(Number);
  return lo > 0 && hi >= lo && hi <= 65535 ? [lo, hi] : [49153, 60999];
}

/**
 * The host port of each binding: a fixed one must be free (else Docker's "port is already
 * allocated" for another container's, "address already in use" for a program's); "" takes
 * a free one from `ephemeral`, a range a free one from the range, starting at `start`
 * (a random offset) and wrapping around. With `ipv6` (the network has IPv6) a binding on no
 * particular address is published on "0.0.0.0" and "::" alike, on the same port (Docker's
 * two lines); without, an IPv6 host address is refused.
 *
 * @example
 * ```ts
 * chooseHostPorts([{ hostIp: "", hostPort: "", containerPort: 80, proto: "tcp" }], [], [50000, 50010], 0);
 * // [{ hostIp: "0.0.0.0", hostPort: 50000, containerPort: 80, proto: "tcp" }]
 * ```
 */
export function chooseHostPorts(
  wanted: readonly PortBinding[],
  taken: readonly TakenPort[],
  ephemeral: [number, number],
  start: number,
  ipv6 = false,
): ActiveBinding[] {
  const busy = [...taken];
  const out: ActiveBinding[] = [];
  const takenOn = (ip: string, port: number, proto: PortProto) =>
    busy.find((t) => t.port === port && t.proto === proto && overlaps(ip, t.ip));
  for (const w of wanted) {
    const hostIp = w.hostIp === "" ? "0.0.0.0" : formatAddress(parseAddress(w.hostIp));
    if (isIPv6(hostIp) && !ipv6) {
      throw new InvalidArgumentError(
        `cannot publish ${w.containerPort}/${w.proto} on the IPv6 address [${hostIp}]: the container's network has no IPv6 (network create --ipv6)`,
      );
    }
    const ips = w.hostIp === "" && ipv6 ? ["0.0.0.0", "::"] : [hostIp];
    const takenBy = (_ip: string, port: number, proto: PortProto) =>
      ips.map((ip) => takenOn(ip, port, proto)).find((t) => t !== undefined);
    const fixed = /^\d+$/.test(w.hostPort) && Number(w.hostPort) > 0;
    let port: number | undefined;
    if (fixed) {
      port = Number(w.hostPort);
      const t = takenBy(hostIp, port, w.proto);
      if (t?.by === "skiff") {
        throw new FailedPreconditionError(
          `Bind for ${hostIp}:${port} failed: port is already allocated`,
        );
      }
      if (t) {
        throw new FailedPreconditionError(
          `failed to bind host port ${hostIp}:${port}/${w.proto}: address already in use`,
        );
      }
    } else {
      const range = w.hostPort === "" || w.hostPort === "0"
        ? ephemeral
        : parsePortRange(w.hostPort);
      if (typeof range === "string") {
        throw new InvalidArgumentError(`invalid hostPort: ${w.hostPort}`);
      }
      const size = range[1] - range[0] + 1;
      for (let i = 0; i < size && port === undefined; i++) {
        const p = range[0] + (start + i) % size;
        if (!takenBy(hostIp, p, w.proto)) port = p;
      }
      if (port === undefined) {
        throw new FailedPreconditionError(
          `Bind for ${hostIp}:${
            w.hostPort || `${range[0]}-${range[1]}`
          } failed: port is already allocated`,
        );
      }
    }
    for (const ip of ips) {
      busy.push({ ip, port, proto: w.proto, by: "skiff" });
      out.push({ hostIp: ip, hostPort: port, containerPort: w.containerPort, proto: w.proto });
    }
  }
  return out;
}

function ipv4Number(ip: string): number {
  return ip.split(".").reduce((n, part) => n * 256 + Number(part), 0);
}

/**
 * The host's local IPv4 addresses and prefixes ("127.0.0.0/8" is local as a whole) from
 * /proc/net/fib_trie: each `|-- ADDRESS` followed by a `/LEN host LOCAL` line.
 *
 * @example
 * ```ts
 * localPrefixes("  |-- 127.0.0.0\n     /8 host LOCAL\n  |-- 192.0.2.2\n     /32 host LOCAL\n");
 * // [["127.0.0.0", 8], ["192.0.2.2", 32]]
 * ```
 */
export function localPrefixes(fibTrie: string): [string, number][] {
  const out: [string, number][] = [];
  let last = "";
  for (const line of fibTrie.split("\n")) {
    const node = /\|-- (\d+\.\d+\.\d+\.\d+)\s*$/.exec(line);
    if (node) {
      last = node[1];
      continue;
    }
    const leaf = /^\s*\/(\d+) host LOCAL\s*$/.exec(line);
    if (leaf && last && !out.some(([a, n]) => a === last && n === Number(leaf[1]))) {
      out.push([last, Number(leaf[1])]);
    }
  }
  return out;
}

/**
 * Whether `ip` is one of the host's addresses (inside a local prefix); "0.0.0.0" is every
 * address and counts as local.
 *
 * @example
 * ```ts
 * isLocalAddress("127.0.0.2", [["127.0.0.0", 8]]); // true
 * ```
 */
export function isLocalAddress(ip: string, prefixes: readonly [string, number][]): boolean {
  if (ip === "0.0.0.0") return true;
  const n = ipv4Number(ip);
  return prefixes.some(([net, len]) => {
    const size = 2 ** (32 - len);
    return Math.floor(n / size) === Math.floor(ipv4Number(net) / size);
  });
}
