/**
 * The per-container network options of `run` and `create` (`--ip`, `--ip6`, `--mac-address`,
 * `--network-alias`, `--domainname`, `--dns`, `--dns-search`, `--dns-option`, `--add-host`),
 * checked as Docker checks them, with one-line errors, before anything is created. Names that
 * end up in other containers' /etc/hosts are held to a strict alphabet, so no value can add a
 * line to a neighbour's file.
 */
import { InvalidArgumentError } from "../errors.ts";
import { formatAddress, tryParseAddress } from "./address.ts";

/** The value `--add-host NAME:host-gateway` uses for the host's address. */
export const HOST_GATEWAY = "host-gateway";

/** The networks that are not user-defined bridge networks (`private`: no `--network`). */
const NOT_USER_NETWORKS = new Set(["none", "host", "private", "bridge", "default"]);

/** What a DNS name (container name, alias, hostname) may be made of in a hosts file. */
const DNS_NAME = /^[A-Za-z0-9_]([A-Za-z0-9_.-]{0,252})$/;

/** The per-container network options as flags give them (all optional). */
export interface EndpointFlags {
  network: string;
  ip?: string;
  ip6?: string;
  macAddress?: string;
  aliases?: readonly string[];
  domainname?: string;
  dns?: readonly string[];
  dnsSearch?: readonly string[];
  dnsOptions?: readonly string[];
  extraHosts?: readonly string[];
}

/**
 * Whether `name` may appear as a name in a hosts file: letters, digits, `_`, `.` and `-`,
 * not starting with `.` or `-`, at most 253 characters.
 *
 * @example
 * ```ts
 * isDnsName("web.internal"); // true
 * isDnsName("a\n1.2.3.4 b"); // false
 * ```
 */
export function isDnsName(name: string): boolean {
  return DNS_NAME.test(name);
}

/**
 * Whether `--network` names a user-defined network (not none, host, bridge or the default).
 *
 * @example
 * ```ts
 * isUserNetwork("web"); // true
 * isUserNetwork("bridge"); // false
 * ```
 */
export function isUserNetwork(network: string): boolean {
  return !NOT_USER_NETWORKS.has(network) && !network.startsWith("container:");
}

/**
 * Splits an `--add-host` value (`name:ip`, `name=ip`, `name:[v6]`, `name:host-gateway`) into
 * its name and address (normalized; `host-gateway` kept as is). One-line errors as Docker's.
 *
 * @example
 * ```ts
 * parseExtraHost("db:10.0.0.5"); // { name: "db", address: "10.0.0.5" }
 * parseExtraHost("v6:[fd00::1]"); // { name: "v6", address: "fd00::1" }
 * ```
 */
export function parseExtraHost(value: string): { name: string; address: string } {
  let sep = value.indexOf("=");
  if (sep < 0) sep = value.indexOf(":");
  const name = sep < 0 ? "" : value.slice(0, sep);
  let address = sep < 0 ? "" : value.slice(sep + 1);
  if (sep < 0 || name === "") {
    throw new InvalidArgumentError(`bad format for add-host: ${JSON.stringify(value)}`);
  }
  if (!isDnsName(name)) {
    throw new InvalidArgumentError(`invalid host name in add-host: ${JSON.stringify(name)}`);
  }
  if (address === HOST_GATEWAY) return { name, address };
  if (address.startsWith("[") && address.endsWith("]")) address = address.slice(1, -1);
  const parsed = tryParseAddress(address);
  if (!parsed) {
    throw new InvalidArgumentError(
      `invalid IP address in add-host: ${JSON.stringify(value.slice(sep + 1))}`,
    );
  }
  return { name, address: formatAddress(parsed) };
}

/**
 * Normalizes a MAC address (`02:42:AC:11:00:02` or with `-`) to lower case with colons; refuses
 * anything else and multicast addresses (the kernel refuses them on an interface).
 *
 * @example
 * ```ts
 * parseMacAddress("02-42-AC-11-00-09"); // "02:42:ac:11:00:09"
 * ```
 */
export function parseMacAddress(value: string): string {
  if (!/^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$/.test(value)) {
    throw new InvalidArgumentError(`${value} is not a valid mac address`);
  }
  const mac = value.toLowerCase().replaceAll("-", ":");
  if (parseInt(mac.slice(0, 2), 16) & 1) {
    throw new InvalidArgumentError(`${value} is not a valid mac address: it is a multicast one`);
  }
  return mac;
}

/** Checks one address flag's family; returns it normalized. */
function checkAddress(flag: "--ip" | "--ip6", value: string): string {
  const family = flag === "--ip" ? 4 : 6;
  const addr = tryParseAddress(value);
  if (!addr || addr.family !== family) {
    throw new InvalidArgumentError(`invalid IPv${family} address: ${value}`);
  }
  return formatAddress(addr);
}

/**
 * Checks the per-container network flags against each other and the network mode, as Docker
 * does: `--ip`/`--ip6`/`--network-alias` only on user networks, `--mac-address` not with the
 * host's network, names in the hosts-file alphabet, DNS values without white space. Returns
 * the values normalized (addresses formatted, MAC lower case).
 *
 * @example
 * ```ts
 * checkEndpointFlags({ network: "web", ip: "10.1.0.5", aliases: ["db"] }).ip; // "10.1.0.5"
 * ```
 */
export function checkEndpointFlags(f: EndpointFlags): EndpointFlags {
  const out: EndpointFlags = { ...f };
  const user = isUserNetwork(f.network);
  if (f.ip !== undefined) out.ip = checkAddress("--ip", f.ip);
  if (f.ip6 !== undefined) out.ip6 = checkAddress("--ip6", f.ip6);
  if ((f.ip ?? f.ip6) !== undefined && !user) {
    throw new InvalidArgumentError(
      "user specified IP address is supported on user defined networks only",
    );
  }
  if (f.aliases?.length && !user) {
    throw new InvalidArgumentError(
      "network-scoped alias is supported only for containers in user defined networks",
    );
  }
  for (const a of f.aliases ?? []) {
    if (!isDnsName(a)) {
      throw new InvalidArgumentError(`invalid network alias ${JSON.stringify(a)}`);
    }
  }
  if (f.macAddress !== undefined) {
    if (f.network === "host" || f.network.startsWith("container:")) {
      throw new InvalidArgumentError("conflicting options: mac-address and the network mode");
    }
    out.macAddress = parseMacAddress(f.macAddress);
  }
  if (f.domainname !== undefined && f.domainname !== "" && !isDnsName(f.domainname)) {
    throw new InvalidArgumentError(`invalid domainname ${JSON.stringify(f.domainname)}`);
  }
  for (const d of f.dns ?? []) {
    if (!tryParseAddress(d)) throw new InvalidArgumentError(`${d} is not an ip address`);
  }
  for (const s of f.dnsSearch ?? []) {
    if (s !== "." && !isDnsName(s)) {
      throw new InvalidArgumentError(`${s} is not a valid domain`);
    }
  }
  for (const o of f.dnsOptions ?? []) {
    if (o === "" || /\s/.test(o)) {
      throw new InvalidArgumentError(`invalid DNS option ${JSON.stringify(o)}`);
    }
  }
  for (const h of f.extraHosts ?? []) parseExtraHost(h);
  return out;
}
