/**
 * IP addresses as numbers: IPv4 and IPv6 text parsed into a family and a bigint, and
 * formatted back (IPv6 in RFC 5952's canonical form). Strict: no leading zeros in IPv4,
 * no zone ids, nothing after the address.
 */
import { InvalidArgumentError } from "../errors.ts";

/** An IPv4 or IPv6 address. */
export interface IpAddress {
  family: 4 | 6;
  /** The address as an unsigned number of 32 or 128 bits. */
  value: bigint;
}

/** The number of bits of an address of `family`. */
export function addressBits(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

const V4_PART = /^(0|[1-9][0-9]{0,2})$/;
const V6_GROUP = /^[0-9a-fA-F]{1,4}$/;

function parseV4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!V4_PART.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseGroups(text: string): bigint[] | undefined {
  if (text === "") return [];
  const out: bigint[] = [];
  const parts = text.split(":");
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (i === parts.length - 1 && part.includes(".")) {
      const v4 = parseV4(part);
      if (v4 === undefined) return undefined;
      out.push(v4 >> 16n, v4 & 0xffffn);
    } else if (V6_GROUP.test(part)) out.push(BigInt(`0x${part}`));
    else return undefined;
  }
  return out;
}

function parseV6(text: string): bigint | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0]);
  const tail = halves.length === 2 ? parseGroups(halves[1]) : [];
  if (!head || !tail) return undefined;
  // An embedded IPv4 address may only end the address.
  if (halves.length === 2 && halves[0].includes(".")) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill(0n), ...tail];
  return groups.reduce((v, g) => (v << 16n) | g, 0n);
}

/**
 * Parses an IPv4 or IPv6 address; undefined when `text` is not one.
 *
 * @example
 * ```ts
 * tryParseAddress("10.0.0.1"); // { family: 4, value: 167772161n }
 * tryParseAddress("10.0.0.256"); // undefined
 * ```
 */
export function tryParseAddress(text: string): IpAddress | undefined {
  if (text.includes(":")) {
    const value = parseV6(text);
    return value === undefined ? undefined : { family: 6, value };
  }
  const value = parseV4(text);
  return value === undefined ? undefined : { family: 4, value };
}

/**
 * Parses an IPv4 or IPv6 address, or throws a one-line InvalidArgumentError naming `what`
 * ("invalid IP address: 10.0.0.256", "invalid gateway: x").
 *
 * @example
 * ```ts
 * parseAddress("fd00::1").family; // 6
 * ```
 */
export function parseAddress(text: string, what = "IP address"): IpAddress {
  const addr = tryParseAddress(text);
  if (!addr) throw new InvalidArgumentError(`invalid ${what}: ${JSON.stringify(text)}`);
  return addr;
}

/**
 * Formats an address: dotted quad, or RFC 5952 IPv6 (lowercase, the longest run of two or
 * more zero groups shortened to `::`).
 *
 * @example
 * ```ts
 * formatAddress({ family: 6, value: 0xfd00_0000_0000_0000_0000_0000_0000_0001n }); // "fd00::1"
 * ```
 */
export function formatAddress(addr: IpAddress): string {
  if (addr.family === 4) {
    return [24n, 16n, 8n, 0n].map((s) => String((addr.value >> s) & 0xffn)).join(".");
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((addr.value >> BigInt(i * 16)) & 0xffffn));
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(":");
  if (best < 0) return hex(groups);
  return `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLen))}`;
}
