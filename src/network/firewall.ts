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
