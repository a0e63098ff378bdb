/**
 * IPv4 and IPv6 subnets in CIDR notation: parsing (strict: host bits must be zero),
 * formatting, containment, overlap, the nth address, and the rules a bridge network's
 * gateway and `--ip-range` follow. Every bad input is one line naming what was given.
 */
import { InvalidArgumentError } from "../errors.ts";
import { addressBits, formatAddress, type IpAddress, tryParseAddress } from "./address.ts";

/** A subnet: its first address and its prefix length. */
export interface Subnet {
  family: 4 | 6;
  /** The network address (host bits zero). */
  base: bigint;
  /** Prefix length, 0..32 or 0..128. */
  prefix: number;
}

/** The smallest subnet a bridge network accepts: a gateway and one container need /30. */
const MIN_HOST_BITS = 2;

/** The number of addresses in `s`. */
export function subnetSize(s: Subnet): bigint {
  return 1n << BigInt(addressBits(s.family) - s.prefix);
}

/** The last address of `s` (the IPv4 broadcast address). */
export function lastAddress(s: Subnet): bigint {
  return s.base + subnetSize(s) - 1n;
}

/**
 * Parses `a.b.c.d/n` or `x::/n` without judging host bits; undefined when malformed.
 * `base` keeps the address as written.
 */
function parseLoose(text: string): Subnet | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const addr = tryParseAddress(text.slice(0, slash));
  const bits = text.slice(slash + 1);
  if (!addr || !/^(0|[1-9][0-9]{0,2})$/.test(bits)) return undefined;
  const prefix = Number(bits);
  if (prefix > addressBits(addr.family)) return undefined;
  return { family: addr.family, base: addr.value, prefix };
}

/** `s` with its host bits cleared. */
function masked(s: Subnet): Subnet {
  const host = BigInt(addressBits(s.family) - s.prefix);
  return { ...s, base: (s.base >> host) << host };
}

/**
 * Parses a subnet in CIDR notation. Throws a one-line InvalidArgumentError for anything
 * else, naming `what` ("subnet", "ip-range"): `invalid subnet 10.0.0.0/33`, or when host bits
 * are set, `invalid subnet 10.0.0.1/24: it should be 10.0.0.0/24`.
 *
 * @example
 * ```ts
 * formatSubnet(parseSubnet("10.88.0.0/16")); // "10.88.0.0/16"
 * ```
 */
export function parseSubnet(text: string, what = "subnet"): Subnet {
  const s = parseLoose(text);
  if (!s) throw new InvalidArgumentError(`invalid ${what} ${text}: not an address/prefix (CIDR)`);
  const m = masked(s);
  if (m.base !== s.base) {
    throw new InvalidArgumentError(`invalid ${what} ${text}: it should be ${formatSubnet(m)}`);
  }
  return m;
}

/**
 * Formats a subnet as `address/prefix`.
 *
 * @example
 * ```ts
 * formatSubnet({ family: 6, base: 0xfd00n << 112n, prefix: 64 }); // "fd00::/64"
 * ```
 */
export function formatSubnet(s: Subnet): string {
  return `${formatAddress({ family: s.family, value: s.base })}/${s.prefix}`;
}

/**
 * Whether address `a` lies in `s`.
 *
 * @example
 * ```ts
 * containsAddress(parseSubnet("10.0.0.0/8"), { family: 4, value: 0x0a010203n }); // true
 * ```
 */
export function containsAddress(s: Subnet, a: IpAddress): boolean {
  return a.family === s.family && a.value >= s.base && a.value <= lastAddress(s);
}

/**
 * Whether `inner` lies entirely in `outer`.
 *
 * @example
 * ```ts
 * containsSubnet(parseSubnet("10.0.0.0/8"), parseSubnet("10.1.0.0/16")); // true
 * ```
 */
export function containsSubnet(outer: Subnet, inner: Subnet): boolean {
  return inner.family === outer.family && inner.prefix >= outer.prefix &&
    containsAddress(outer, { family: inner.family, value: inner.base });
}

/**
 * Whether two subnets share any address.
 *
 * @example
 * ```ts
 * overlaps(parseSubnet("10.0.0.0/8"), parseSubnet("10.9.0.0/16")); // true
 * ```
 */
export function overlaps(a: Subnet, b: Subnet): boolean {
  return a.family === b.family && a.base <= lastAddress(b) && b.base <= lastAddress(a);
}

/**
 * The `n`th address of `s` (0 is the network address); throws when `s` has fewer.
 *
 * @example
 * ```ts
 * import { formatAddress } from "./address.ts";
 * formatAddress(nthAddress(parseSubnet("10.0.0.0/24"), 5n)); // "10.0.0.5"
 * ```
 */
export function nthAddress(s: Subnet, n: bigint): IpAddress {
  if (n < 0n || n >= subnetSize(s)) {
    throw new InvalidArgumentError(`${formatSubnet(s)} has no address number ${n}`);
  }
  return { family: s.family, value: s.base + n };
}

/**
 * Refuses a subnet too small for a bridge network (a gateway and at least one container:
 * /30 for IPv4, /126 for IPv6).
 *
 * @example
 * ```ts ignore
 * checkBridgeSubnet(parseSubnet("10.0.0.0/31")); // throws: too small
 * ```
 */
export function checkBridgeSubnet(s: Subnet): void {
  if (addressBits(s.family) - s.prefix < MIN_HOST_BITS) {
    const most = addressBits(s.family) - MIN_HOST_BITS;
    throw new InvalidArgumentError(
      `invalid subnet ${formatSubnet(s)}: too small for a network (at most /${most})`,
    );
  }
}

/**
 * Whether `a` is an address of `s` a host may hold: not the network address, and for
 * IPv4 not the broadcast address.
 */
export function isHostAddress(s: Subnet, a: IpAddress): boolean {
  if (!containsAddress(s, a) || a.value === s.base) return false;
  return s.family === 6 || a.value !== lastAddress(s);
}

/**
 * The gateway a network gets when none is given: its first host address.
 *
 * @example
 * ```ts
 * import { formatAddress } from "./address.ts";
 * formatAddress(defaultGateway(parseSubnet("172.18.0.0/16"))); // "172.18.0.1"
 * ```
 */
export function defaultGateway(s: Subnet): IpAddress {
  return nthAddress(s, 1n);
}

/**
 * Checks a `--gateway` against its subnet: same family, inside it, and neither the network
 * nor the broadcast address. Returns the parsed address.
 *
 * @example
 * ```ts
 * import { formatAddress } from "./address.ts";
 * formatAddress(checkGateway(parseSubnet("10.1.0.0/24"), "10.1.0.254")); // "10.1.0.254"
 * ```
 */
export function checkGateway(s: Subnet, gateway: string): IpAddress {
  const gw = tryParseAddress(gateway);
  if (!gw) throw new InvalidArgumentError(`invalid gateway ${JSON.stringify(gateway)}`);
  if (!containsAddress(s, gw)) {
    throw new InvalidArgumentError(`no matching subnet for gateway ${gateway}`);
  }
  if (!isHostAddress(s, gw)) {
    const which = gw.value === s.base ? "network" : "broadcast";
    throw new InvalidArgumentError(
      `invalid gateway ${gateway}: it is the ${which} address of ${formatSubnet(s)}`,
    );
  }
  return gw;
}

/**
 * Checks an `--ip-range` against its subnet: a subnet itself, lying inside `s`. Returns
 * the parsed range.
 *
 * @example
 * ```ts
 * formatSubnet(checkIpRange(parseSubnet("10.1.0.0/16"), "10.1.2.0/24")); // "10.1.2.0/24"
 * ```
 */
export function checkIpRange(s: Subnet, range: string): Subnet {
  const r = parseSubnet(range, "ip-range");
  if (!containsSubnet(s, r)) {
    throw new InvalidArgumentError(`no matching subnet for range ${range}`);
  }
  return r;
}
