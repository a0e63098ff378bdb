/**
 * A container's /etc/hosts as Docker writes it: the loopback and IPv6 lines, the
 * `--add-host` entries, the container's own addresses under its host name (with the
 * `--domainname`, the full name first), and, on a user-defined network, one line per other
 * running container on it with the names it answers to (skiff's stand-in for Docker's
 * embedded DNS server). Pure: the files are written by hosts_sync.ts and bridge.ts.
 */
import { isDnsName } from "./endpoint_options.ts";

/** One line of a hosts file: an address and its names. */
export interface HostsEntry {
  address: string;
  names: string[];
}

/** The lines every container's /etc/hosts starts with (Docker's). */
export const DEFAULT_HOSTS_LINES: readonly string[] = [
  "127.0.0.1\tlocalhost",
  "::1\tlocalhost ip6-localhost ip6-loopback",
  "fe00::0\tip6-localnet",
  "ff00::0\tip6-mcastprefix",
  "ff02::1\tip6-allnodes",
  "ff02::2\tip6-allrouters",
];

/** The comment heading the entries of the other containers on a network. */
export function peersHeading(network: string): string {
  return `# skiff: other running containers on network ${network}`;
}

/**
 * The names a container's own addresses get: its full name (`host.domain`) and, when that
 * has a dot, the part before it (Docker's rule).
 *
 * @example
 * ```ts
 * ownHostNames("web", "example.com"); // ["web.example.com", "web"]
 * ownHostNames("abc123", ""); // ["abc123"]
 * ```
 */
export function ownHostNames(hostname: string, domainname = ""): string[] {
  const fqdn = domainname ? `${hostname}.${domainname}` : hostname;
  const dot = fqdn.indexOf(".");
  return dot > 0 ? [fqdn, fqdn.slice(0, dot)] : [fqdn];
}

/**
 * The names a container answers to on a user network, as Docker's `DNSNames`: its name, its
 * aliases, its short id (12 hex digits) and its host name, without repeats.
 *
 * @example
 * ```ts
 * dnsNames("web", ["www"], "0123456789abcdef", "0123456789ab"); // ["web", "www", "0123456789ab"]
 * ```
 */
export function dnsNames(
  name: string,
  aliases: readonly string[],
  id: string,
  hostname: string,
): string[] {
  return [...new Set([name, ...aliases, id.slice(0, 12), hostname].filter((n) => n !== ""))];
}

/** One entry as a line; names outside the hosts-file alphabet are left out (never a new line). */
function line(e: HostsEntry): string | undefined {
  const names = e.names.filter(isDnsName);
  if (names.length === 0 || !/^[0-9A-Fa-f.:]+$/.test(e.address)) return undefined;
  return `${e.address}\t${names.join(" ")}`;
}

/** The other running containers of one user network, under a heading. */
export interface PeerSection {
  network: string;
  entries: readonly HostsEntry[];
}

/** What a container's hosts file is made of. */
export interface HostsContent {
  /** The first lines (default: Docker's; with `--network host`, the host's /etc/hosts). */
  base?: string;
  /** `--add-host` entries, addresses resolved. */
  extra?: readonly HostsEntry[];
  /** The container's own addresses and names. */
  own?: readonly HostsEntry[];
  /**
   * The other running containers of its user network, or of each of its user networks
   * (absent: none, no heading).
   */
  peers?: PeerSection | readonly PeerSection[];
}

/**
 * The text of a container's /etc/hosts.
 *
 * @example
 * ```ts
 * hostsFile({ own: [{ address: "172.18.0.2", names: ["abc"] }] }).endsWith("172.18.0.2\tabc\n"); // true
 * ```
 */
export function hostsFile(c: HostsContent): string {
  const lines = c.base !== undefined
    ? c.base.split("\n").filter((l) => l !== "")
    : [...DEFAULT_HOSTS_LINES];
  const add = (entries: readonly HostsEntry[] | undefined) => {
    for (const e of entries ?? []) {
      const l = line(e);
      if (l) lines.push(l);
    }
  };
  add(c.extra);
  add(c.own);
  const sections: readonly PeerSection[] = c.peers === undefined
    ? []
    : "network" in c.peers
    ? [c.peers as PeerSection]
    : c.peers as readonly PeerSection[];
  for (const section of sections) {
    lines.push(peersHeading(section.network));
    add(section.entries);
  }
  return lines.join("\n") + "\n";
}
