/**
 * The host's routes, from /proc/net/route and /proc/net/ipv6_route, so that a network's
 * subnet can be chosen to collide with none of them. Default routes (prefix 0) are left
 * out: they cover everything and collide with nothing in particular.
 */
import type { Host } from "../sys/host.ts";
import type { Subnet } from "./subnet.ts";

/** One route of the host: where it goes and through which interface. */
export interface HostRoute {
  subnet: Subnet;
  iface: string;
}

/** Bits set in a 32-bit mask. */
function maskLength(mask: bigint): number {
  let n = 0;
  for (let m = mask; m > 0n; m >>= 1n) n += Number(m & 1n);
  return n;
}

/** A 32-bit value as /proc/net/route prints it: host byte order (little-endian here). */
function fromProcV4(hex: string): bigint {
  const v = BigInt(`0x${hex}`);
  return ((v & 0xffn) << 24n) | (((v >> 8n) & 0xffn) << 16n) | (((v >> 16n) & 0xffn) << 8n) |
    ((v >> 24n) & 0xffn);
}

/**
 * Parses /proc/net/route (IPv4): one route per line after the header, destination and mask
 * in little-endian hex. Malformed lines are skipped.
 *
 * @example
 * ```ts
 * const text = "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n" +
 *   "eth0\t0002A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\n";
 * parseIpv4Routes(text)[0].iface; // "eth0" (192.168.2.0/24)
 * ```
 */
export function parseIpv4Routes(text: string): HostRoute[] {
  const out: HostRoute[] = [];
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || !/^[0-9A-Fa-f]{8}$/.test(f[1]) || !/^[0-9A-Fa-f]{8}$/.test(f[7])) continue;
    const prefix = maskLength(fromProcV4(f[7]));
    if (prefix === 0) continue;
    const host = BigInt(32 - prefix);
    const base = (fromProcV4(f[1]) >> host) << host;
    out.push({ subnet: { family: 4, base, prefix }, iface: f[0] });
  }
  return out;
}

/**
 * Parses /proc/net/ipv6_route: destination (32 hex digits) and prefix length (hex) first,
 * the interface last. Multicast (ff00::/8) and default routes are skipped.
 *
 * @example
 * ```ts
 * const line = "fd000000000000000000000000000000 40 00000000000000000000000000000000 00 " +
 *   "00000000000000000000000000000000 00000100 00000001 00000000 00000001 br0\n";
 * parseIpv6Routes(line)[0].subnet.prefix; // 64
 * ```
 */
export function parseIpv6Routes(text: string): HostRoute[] {
  const out: HostRoute[] = [];
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !/^[0-9a-fA-F]{32}$/.test(f[0]) || !/^[0-9a-fA-F]{2}$/.test(f[1])) {
      continue;
    }
    const prefix = parseInt(f[1], 16);
    if (prefix === 0 || prefix > 128 || f[0].toLowerCase().startsWith("ff")) continue;
    const host = BigInt(128 - prefix);
    const base = (BigInt(`0x${f[0]}`) >> host) << host;
    out.push({ subnet: { family: 6, base, prefix }, iface: f[f.length - 1] });
  }
  return out;
}

/**
 * Reads the host's IPv4 and IPv6 routes through the host seam; a table that cannot be read
 * (IPv6 disabled) counts as empty.
 *
 * @example
 * ```ts ignore
 * const routes = await readHostRoutes(realHost);
 * ```
 */
export async function readHostRoutes(host: Host): Promise<HostRoute[]> {
  const read = (path: string) => host.readTextFile(path).catch(() => "");
  return [
    ...parseIpv4Routes(await read("/proc/net/route")),
    ...parseIpv6Routes(await read("/proc/net/ipv6_route")),
  ];
}
