/**
 * Choosing a subnet when `network create` is given none, as Docker's default address pools
 * do: 172.17.0.0/16 (the default network's), then 172.18.0.0/16 ... 172.31.0.0/16, then
 * 192.168.0.0/20, 192.168.16.0/20 ... 192.168.240.0/20; the first that collides with no
 * other network and none of the host's routes wins. IPv6 subnets are unique local /64s
 * (fd00::/8) derived from the network's id, as RFC 4193 suggests.
 */
import { overlaps, parseSubnet, type Subnet, subnetSize } from "./subnet.ts";

/** A block of addresses cut into subnets of `size` bits of prefix. */
export interface AddressPool {
  base: string;
  size: number;
}

/** Docker's `default-address-pools` for local networks. */
export const DEFAULT_POOLS: readonly AddressPool[] = [
  { base: "172.17.0.0/16", size: 16 },
  { base: "172.18.0.0/16", size: 16 },
  { base: "172.19.0.0/16", size: 16 },
  { base: "172.20.0.0/14", size: 16 },
  { base: "172.24.0.0/14", size: 16 },
  { base: "172.28.0.0/14", size: 16 },
  { base: "192.168.0.0/16", size: 20 },
];

/**
 * Every subnet the pools offer, in order.
 *
 * @example
 * ```ts
 * [...poolSubnets([{ base: "10.0.0.0/23", size: 24 }])].length; // 2
 * ```
 */
export function* poolSubnets(pools: readonly AddressPool[]): Generator<Subnet> {
  for (const pool of pools) {
    const block = parseSubnet(pool.base, "address pool");
    if (pool.size < block.prefix || pool.size > (block.family === 4 ? 32 : 128)) continue;
    const step = subnetSize({ ...block, prefix: pool.size });
    for (let base = block.base; base < block.base + subnetSize(block); base += step) {
      yield { family: block.family, base, prefix: pool.size };
    }
  }
}

/**
 * The first subnet of the pools that overlaps none of `avoid` (other networks' subnets and
 * the host's routes), after passing over `skip` free ones (a user network leaves the first
 * free one to the default network while that does not exist yet); undefined when none is
 * left.
 *
 * @example
 * ```ts
 * import { formatSubnet, parseSubnet } from "./subnet.ts";
 * const taken = [parseSubnet("172.17.0.0/16")];
 * formatSubnet(chooseSubnet(DEFAULT_POOLS, taken)!); // "172.18.0.0/16"
 * ```
 */
export function chooseSubnet(
  pools: readonly AddressPool[],
  avoid: readonly Subnet[],
  skip = 0,
): Subnet | undefined {
  for (const candidate of poolSubnets(pools)) {
    if (avoid.some((a) => overlaps(a, candidate))) continue;
    if (skip-- > 0) continue;
    return candidate;
  }
  return undefined;
}

/**
 * A unique local IPv6 /64 for network `id` (64 hex digits): fd, then 40 bits of the id as
 * the global id, then the first 16-bit subnet number whose /64 overlaps none of `avoid`.
 *
 * @example
 * ```ts
 * import { formatSubnet, parseSubnet } from "./subnet.ts";
 * formatSubnet(ulaSubnet("0123456789".padEnd(64, "0"), [])!); // "fd01:2345:6789::/64"
 * ```
 */
export function ulaSubnet(id: string, avoid: readonly Subnet[]): Subnet | undefined {
  const globalId = BigInt(`0x${id.slice(0, 10)}`);
  for (let n = 0n; n < 0x10000n; n++) {
    const base = (((0xfdn << 40n) | globalId) << 80n) | (n << 64n);
    const candidate: Subnet = { family: 6, base, prefix: 64 };
    if (!avoid.some((a) => overlaps(a, candidate))) return candidate;
  }
  return undefined;
}
