/**
 * The firewall rules of a bridge network, as text for `nft` (one skiff table, `ip skiff`) or as
 * argument lists for `iptables` where nftables is absent. Every rule carries a comment naming
 * its network (`skiff network NAME`), so skiff finds and removes its own rules and nobody
 * else's. Per network: outbound NAT (masquerade) of its IPv4 subnets unless it is internal;
 * no forwarding in from another skiff network's bridge (isolation); an internal network
 * forwards nothing to or from outside its bridge. Pure functions: applying them is
 * firewall_apply.ts.
 */

import { InvalidArgumentError } from "../errors.ts";

/** The skiff table (family ip). */
export const NFT_TABLE = "skiff";

/** What the rules of one network depend on. */
export interface FirewallNetwork {
  name: string;
  /** The bridge device. */
  bridge: string;
  /** IPv4 subnets ("172.18.0.0/16"). */
  subnets: string[];
  internal: boolean;
}

/** The comment tagging every rule of network `name`. */
export function ruleTag(name: string): string {
  return `skiff network ${name}`;
}

/** A name safe inside the rules' double-quoted strings (network names and devices are). */
function quoted(text: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/.test(text)) {
    throw new InvalidArgumentError(
      `invalid name for a firewall rule ${JSON.stringify(text)}: unexpected character`,
    );
  }
  return `"${text}"`;
}

/**
 * The nft script that adds the skiff table (if missing) and the rules of `net`. Run it only
 * when `net` has no rules yet (see `taggedRules`): nft adds a rule twice if asked twice.
 *
 * @example
 * ```ts
 * nftAddScript({ name: "web", bridge: "br-1", subnets: ["172.18.0.0/16"], internal: false });
 * // "add table ip skiff\n...add rule ip skiff postrouting ip saddr 172.18.0.0/16 ..."
 * ```
 */
export function nftAddScript(net: FirewallNetwork): string {
  const t = `ip ${NFT_TABLE}`;
  const br = quoted(net.bridge);
  quoted(net.name);
  const tag = `comment "${ruleTag(net.name)}"`;
  const lines = [
    `add table ${t}`,
    `add chain ${t} postrouting { type nat hook postrouting priority srcnat; policy accept; }`,
    `add chain ${t} forward { type filter hook forward priority filter; policy accept; }`,
    `add set ${t} bridges { type ifname; }`,
    `add element ${t} bridges { ${br} }`,
    `add rule ${t} forward iifname @bridges oifname ${br} iifname != ${br} drop ${tag}`,
  ];
  if (net.internal) {
    lines.push(`add rule ${t} forward iifname ${br} oifname != ${br} drop ${tag}`);
    lines.push(`add rule ${t} forward oifname ${br} iifname != ${br} drop ${tag}`);
  } else {
    for (const s of net.subnets) {
      lines.push(`add rule ${t} postrouting ip saddr ${s} oifname != ${br} masquerade ${tag}`);
      // hairpin: a container reaching a published port of its own network through the host
      lines.push(
        `add rule ${t} postrouting ip saddr ${s} oifname ${br} ct status dnat masquerade ${tag}`,
      );
    }
  }
  return lines.join("\n") + "\n";
}

/** A rule of the skiff table as `nft -j list table ip skiff` shows it. */
export interface NftRule {
  chain: string;
  handle: number;
  comment?: string;
}

/**
 * The rules and bridge-set elements in `nft -j list table ip skiff` output.
 *
 * @example
 * ```ts
 * parseNftTable('{"nftables":[{"rule":{"chain":"forward","handle":5,"comment":"skiff network a"}}]}');
 * // { rules: [{ chain: "forward", handle: 5, comment: "skiff network a" }], bridges: [] }
 * ```
 */
export function parseNftTable(json: string): { rules: NftRule[]; bridges: string[] } {
  const rules: NftRule[] = [];
  const bridges: string[] = [];
  const doc = JSON.parse(json) as { nftables?: Record<string, Record<string, unknown>>[] };
  for (const item of doc.nftables ?? []) {
    const rule = item.rule;
    if (rule) {
      rules.push({
        chain: String(rule.chain),
        handle: Number(rule.handle),
        ...(typeof rule.comment === "string" ? { comment: rule.comment } : {}),
      });
    }
    const set = item.set;
    if (set && set.name === "bridges" && Array.isArray(set.elem)) {
      for (const e of set.elem) if (typeof e === "string") bridges.push(e);
    }
  }
  return { rules, bridges };
}

/** The rules of the table tagged for network `name`. */
export function taggedRules(rules: readonly NftRule[], name: string): NftRule[] {
  return rules.filter((r) => r.comment === ruleTag(name));
}

/**
 * The nft script that deletes the rules of network `name` (and its bridge from the set);
 * empty when it has none.
 *
 * @example
 * ```ts
 * nftDeleteScript([{ chain: "forward", handle: 5, comment: "skiff network a" }], "a", "br-1", ["br-1"]);
 * // "delete rule ip skiff forward handle 5\ndelete element ip skiff bridges { \"br-1\" }\n"
 * ```
 */
export function nftDeleteScript(
  rules: readonly NftRule[],
  name: string,
  bridge: string,
  bridges: readonly string[],
): string {
  const lines = taggedRules(rules, name).map((r) =>
    `delete rule ip ${NFT_TABLE} ${r.chain} handle ${r.handle}`
  );
  if (bridges.includes(bridge)) {
    lines.push(`delete element ip ${NFT_TABLE} bridges { ${quoted(bridge)} }`);
  }
  return lines.length ? lines.join("\n") + "\n" : "";
}

/**
 * The iptables commands (argument lists, `-A` to add) for `net` where nftables is absent:
 * the same rules in the nat POSTROUTING and filter FORWARD chains, with isolation from each
 * bridge in `otherBridges`. Replace `-A` with `-D` to delete them.
 *
 * @example
 * ```ts
 * iptablesRules({ name: "a", bridge: "br-1", subnets: ["10.1.0.0/16"], internal: false }, []);
 * // [["-t", "nat", "-A", "POSTROUTING", "-s", "10.1.0.0/16", "!", "-o", "br-1", "-j", "MASQUERADE", ...]]
 * ```
 */
export function iptablesRules(net: FirewallNetwork, otherBridges: readonly string[]): string[][] {
  const tag = ["-m", "comment", "--comment", ruleTag(net.name)];
  const drop = (
    ...match: string[]
  ) => ["-t", "filter", "-A", "FORWARD", ...match, "-j", "DROP", ...tag];
  const br = net.bridge;
  const out: string[][] = [];
  for (const other of otherBridges) {
    out.push(drop("-i", other, "-o", br), drop("-i", br, "-o", other));
  }
  if (net.internal) {
    out.push(drop("-i", br, "!", "-o", br), drop("-o", br, "!", "-i", br));
  } else {
    for (const s of net.subnets) {
      out.push([
        "-t",
        "nat",
        "-A",
        "POSTROUTING",
        "-s",
        s,
        "!",
        "-o",
        br,
        "-j",
        "MASQUERADE",
        ...tag,
      ]);
      out.push([
        "-t",
        "nat",
        "-A",
        "POSTROUTING",
        "-s",
        s,
        "-o",
        br,
        "-m",
        "conntrack",
        "--ctstate",
        "DNAT",
        "-j",
        "MASQUERADE",
        ...tag,
      ]);
    }
  }
  return out;
}

/**
 * The `iptables -S` lines (of one table) tagged for network `name`, turned into delete
 * commands for that table.
 *
 * @example
 * ```ts
 * iptablesDeletes('-A FORWARD -i br-2 -o br-1 -m comment --comment "skiff network a" -j DROP', "filter", "a");
 * // [["-t", "filter", "-D", "FORWARD", "-i", "br-2", "-o", "br-1", "-m", "comment", "--comment", "skiff network a", "-j", "DROP"]]
 * ```
 */
export function iptablesDeletes(listing: string, table: string, name: string): string[][] {
  const tag = `--comment "${ruleTag(name)}"`;
  const out: string[][] = [];
  for (const line of listing.split("\n")) {
    if (!line.startsWith("-A ") || !line.includes(tag)) continue;
    const words = line.replace(tag, "--comment \u0000").split(/\s+/).map((w) =>
      w === "\u0000" ? ruleTag(name) : w
    );
    out.push(["-t", table, "-D", ...words.slice(1)]);
  }
  return out;
}

/** The comment tagging the static rules that forward published ports. */
export const PORTS_TAG = "skiff ports";

/** The map of ports published on one host address (key: address . protocol . port). */
export const NFT_PORTS_MAP = "ports";
/** The map of ports published on every host address (key: protocol . port). */
export const NFT_PORTS_ANY_MAP = "ports_any";

/**
 * The nft script of the static rules behind published ports: two maps (one keyed by host
 * address, protocol and port, one by protocol and port for every address) that containers
 * add their elements to, one DNAT rule per map for packets to a local address (from
 * outside in prerouting, from the host itself in output), and masquerade of forwarded
 * connections that came from loopback (`127.0.0.1:PORT`; the bridge needs route_localnet).
 * Run it only when the table has no `skiff ports` rules yet.
 *
 * @example
 * ```ts
 * nftPortsScript().includes("map @ports_any"); // true
 * ```
 */
export function nftPortsScript(): string {
  const t = `ip ${NFT_TABLE}`;
  const tag = `comment "${PORTS_TAG}"`;
  const target = "ipv4_addr . inet_service";
  return [
    `add table ${t}`,
    `add map ${t} ${NFT_PORTS_MAP} { type ipv4_addr . inet_proto . inet_service : ${target}; }`,
    `add map ${t} ${NFT_PORTS_ANY_MAP} { type inet_proto . inet_service : ${target}; }`,
    `add chain ${t} prerouting { type nat hook prerouting priority -100; policy accept; }`,
    `add chain ${t} output { type nat hook output priority -100; policy accept; }`,
    `add chain ${t} postrouting { type nat hook postrouting priority srcnat; policy accept; }`,
    `add chain ${t} published`,
    `add rule ${t} prerouting fib daddr type local jump published ${tag}`,
    `add rule ${t} output fib daddr type local jump published ${tag}`,
    `add rule ${t} published dnat ip addr . port to ip daddr . meta l4proto . th dport map @${NFT_PORTS_MAP} ${tag}`,
    `add rule ${t} published dnat ip addr . port to meta l4proto . th dport map @${NFT_PORTS_ANY_MAP} ${tag}`,
    `add rule ${t} postrouting ct status dnat ip saddr 127.0.0.0/8 masquerade ${tag}`,
  ].join("\n") + "\n";
}

/**
 * The nft script of the same static rules for IPv6, in the `ip6 skiff` table: the two maps
 * (of IPv6 addresses) and the DNAT rules for packets to a local address but `::1`:
 * a connection from IPv6 loopback cannot be forwarded out of the host by the kernel (IPv6
 * has no route_localnet), so `[::1]:PORT` is served by skiff-portproxy instead.
 *
 * @example
 * ```ts
 * nftPorts6Script().startsWith("add table ip6 skiff\n"); // true
 * ```
 */
export function nftPorts6Script(): string {
  const t = `ip6 ${NFT_TABLE}`;
  const tag = `comment "${PORTS_TAG}"`;
  const target = "ipv6_addr . inet_service";
  return [
    `add table ${t}`,
    `add map ${t} ${NFT_PORTS_MAP} { type ipv6_addr . inet_proto . inet_service : ${target}; }`,
    `add map ${t} ${NFT_PORTS_ANY_MAP} { type inet_proto . inet_service : ${target}; }`,
    `add chain ${t} prerouting { type nat hook prerouting priority -100; policy accept; }`,
    `add chain ${t} output { type nat hook output priority -100; policy accept; }`,
    `add chain ${t} published`,
    `add rule ${t} prerouting fib daddr type local jump published ${tag}`,
    `add rule ${t} output ip6 daddr != ::1 fib daddr type local jump published ${tag}`,
    `add rule ${t} published dnat ip6 addr . port to ip6 daddr . meta l4proto . th dport map @${NFT_PORTS_MAP} ${tag}`,
    `add rule ${t} published dnat ip6 addr . port to meta l4proto . th dport map @${NFT_PORTS_ANY_MAP} ${tag}`,
  ].join("\n") + "\n";
}

/** A published port as the firewall forwards it. */
export interface PortForward {
  /** The host address ("0.0.0.0": every IPv4 address, "::" every IPv6 address). */
  hostIp: string;
  hostPort: number;
  proto: "tcp" | "udp" | "sctp";
  containerIp: string;
  containerPort: number;
}

function checkIPv4(ip: string): string {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) {
    throw new InvalidArgumentError(
      `invalid IPv4 address for a firewall rule: ${JSON.stringify(ip)}`,
    );
  }
  return ip;
}

function checkIPv6(ip: string): string {
  if (!/^[0-9a-fA-F:]+$/.test(ip) || !ip.includes(":")) {
    throw new InvalidArgumentError(
      `invalid IPv6 address for a firewall rule: ${JSON.stringify(ip)}`,
    );
  }
  return ip;
}

/** Whether a forward is over IPv6 (its host address is). */
export function isIPv6Forward(f: PortForward): boolean {
  return f.hostIp.includes(":");
}

/** The table (`ip skiff`, `ip6 skiff`) and map a forward goes in, and its key there. */
function mapKey(f: PortForward): { table: string; map: string; key: string } {
  const port = `${f.proto} . ${Math.trunc(f.hostPort)}`;
  if (isIPv6Forward(f)) {
    const table = `ip6 ${NFT_TABLE}`;
    return f.hostIp === "::"
      ? { table, map: NFT_PORTS_ANY_MAP, key: port }
      : { table, map: NFT_PORTS_MAP, key: `${checkIPv6(f.hostIp)} . ${port}` };
  }
  const table = `ip ${NFT_TABLE}`;
  return f.hostIp === "0.0.0.0"
    ? { table, map: NFT_PORTS_ANY_MAP, key: port }
    : { table, map: NFT_PORTS_MAP, key: `${checkIPv4(f.hostIp)} . ${port}` };
}

/**
 * The nft commands that add a container's forwards to the port maps (one line per map) and
 * the ones that delete them again (one command per map, each usable alone).
 *
 * @example
 * ```ts
 * nftPortElements([{ hostIp: "0.0.0.0", hostPort: 8080, proto: "tcp", containerIp: "10.0.0.2", containerPort: 80 }]);
 * // { add: ["add element ip skiff ports_any { tcp . 8080 : 10.0.0.2 . 80 }"],
 * //   delete: ["delete element ip skiff ports_any { tcp . 8080 }"] }
 * ```
 */
export function nftPortElements(
  forwards: readonly PortForward[],
): { add: string[]; delete: string[] } {
  const add = new Map<string, string[]>(), del = new Map<string, string[]>();
  for (const f of forwards) {
    const { table, map, key } = mapKey(f);
    const ip = isIPv6Forward(f) ? checkIPv6(f.containerIp) : checkIPv4(f.containerIp);
    const value = `${ip} . ${Math.trunc(f.containerPort)}`;
    const where = `${table} ${map}`;
    add.set(where, [...(add.get(where) ?? []), `${key} : ${value}`]);
    del.set(where, [...(del.get(where) ?? []), key]);
  }
  const lines = (verb: string, m: Map<string, string[]>) =>
    [...m].map(([where, items]) => `${verb} element ${where} { ${items.join(", ")} }`);
  return { add: lines("add", add), delete: lines("delete", del) };
}

/** The comment tagging the iptables rules of container `id`'s published ports. */
export function portRuleTag(id: string): string {
  return `skiff container ${id.slice(0, 12)}`;
}

/**
 * The iptables commands (`-A`; `-D` deletes) forwarding a container's published ports where
 * nftables is absent: DNAT in nat PREROUTING and OUTPUT for local destinations, and
 * masquerade of connections from loopback out of its bridge, tagged with the container.
 *
 * @example
 * ```ts
 * iptablesPortRules("4f1c".padEnd(64, "0"), "br-1", [{ hostIp: "0.0.0.0", hostPort: 8080, proto: "tcp", containerIp: "10.0.0.2", containerPort: 80 }])[0];
 * // ["-t", "nat", "-A", "PREROUTING", "-m", "addrtype", "--dst-type", "LOCAL", "-p", "tcp", "--dport", "8080", "-j", "DNAT", ...]
 * ```
 */
export function iptablesPortRules(
  id: string,
  bridge: string,
  forwards: readonly PortForward[],
): string[][] {
  quoted(bridge);
  const tag = ["-m", "comment", "--comment", portRuleTag(id)];
  const out: string[][] = [];
  for (const f of forwards) {
    const dest = f.hostIp === "0.0.0.0" ? [] : ["-d", checkIPv4(f.hostIp)];
    const to = `${checkIPv4(f.containerIp)}:${Math.trunc(f.containerPort)}`;
    for (const chain of ["PREROUTING", "OUTPUT"]) {
      out.push([
        "-t",
        "nat",
        "-A",
        chain,
        "-m",
        "addrtype",
        "--dst-type",
        "LOCAL",
        ...dest,
        "-p",
        f.proto,
        "--dport",
        String(Math.trunc(f.hostPort)),
        "-j",
        "DNAT",
        "--to-destination",
        to,
        ...tag,
      ]);
    }
  }
  if (forwards.length) {
    out.push([
      "-t",
      "nat",
      "-A",
      "POSTROUTING",
      "-s",
      "127.0.0.0/8",
      "-o",
      bridge,
      "-j",
      "MASQUERADE",
      ...tag,
    ]);
  }
  return out;
}
