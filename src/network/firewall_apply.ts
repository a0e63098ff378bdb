/**
 * Installs and removes a network's firewall rules (firewall.ts) on the host: through `nft`
 * when it is installed, else through `iptables`. Changes hold the store's firewall lock, so
 * concurrent `run`s add a network's rules once; a network whose rules are present is left
 * as it is. Listing the rules costs a process (tens of milliseconds), so once a network's
 * rules are in, a marker in the run root (`firewall/<network>`, holding the boot id, since
 * the rules do not survive a reboot) lets later starts skip the listing.
 */
import { SkiffError } from "../errors.ts";
import { withLock } from "../store/lock.ts";
import type { Store } from "../store/store.ts";
import type { Host } from "../sys/host.ts";
import type { FirewallNetwork, parseNftTable } from "./firewall.ts";

/**
 * The rule texts (firewall.ts), loaded only when rules are listed or changed: a start whose
 * network's rules are in (the marker) does without them.
 */
function rules(): Promise<typeof import("./firewall.ts")> {
  return import(new URL("./firewall.ts", import.meta.url).href);
}

const NFT_PATHS = ["/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"];
const IPTABLES_PATHS = ["/usr/sbin/iptables", "/sbin/iptables", "/usr/bin/iptables"];
const text = new TextDecoder();

/** The first of `paths` present on the host. */
async function findTool(host: Host, paths: readonly string[]): Promise<string | undefined> {
  for (const p of paths) if (await host.exists(p)) return p;
  return undefined;
}

/** Runs a firewall tool; a failure is an error with its message. */
async function tool(host: Host, program: string, args: string[]): Promise<string> {
  const out = await host.run(program, { args });
  if (!out.success) {
    const why = text.decode(out.stderr).trim().split("\n")[0];
    throw new SkiffError(`${program} ${args.slice(0, 3).join(" ")}: ${why || `exit ${out.code}`}`);
  }
  return text.decode(out.stdout);
}

/** The skiff table's rules and bridges (none when the table does not exist). */
async function nftState(host: Host, nft: string): Promise<ReturnType<typeof parseNftTable>> {
  const { NFT_TABLE, parseNftTable } = await rules();
  const out = await host.run(nft, { args: ["-j", "list", "table", "ip", NFT_TABLE] });
  if (!out.success) return { rules: [], bridges: [] }; // no table yet
  return parseNftTable(text.decode(out.stdout));
}

function firewallLock(store: Store): string {
  return `${store.locks}/firewall.lock`;
}

function markerFile(store: Store, name: string): string {
  return `${store.runroot}/firewall/${name}`;
}

async function bootId(host: Host): Promise<string> {
  return (await host.readTextFile("/proc/sys/kernel/random/boot_id").catch(() => "")).trim();
}

/**
 * Version of the rules a network gets: a marker of an older version (rules installed by a
 * skiff before hairpin masquerade) makes the next start check and complete them.
 */
const RULES_VERSION = 2;

/** The marker's content: this boot and what the rules were made from. */
async function markerText(host: Host, net: FirewallNetwork): Promise<string> {
  return `${await bootId(host)} ${JSON.stringify({ ...net, rules: RULES_VERSION })}\n`;
}

/** Whether this boot already installed these rules of `net` (the marker). */
async function installedThisBoot(store: Store, host: Host, net: FirewallNetwork): Promise<boolean> {
  const mark = await host.readTextFile(markerFile(store, net.name)).catch(() => "");
  return mark !== "" && !mark.startsWith(" ") && mark === await markerText(host, net);
}

/**
 * Makes sure the rules of `net` are installed (added once; present ones are kept).
 * `otherBridges`: the bridges of the other skiff networks (for iptables' isolation rules), or
 * a function giving them, called only when the rules are installed.
 *
 * @example
 * ```ts ignore
 * await ensureFirewall(store, realHost, { name: "web", bridge: "br-1", subnets, internal: false }, []);
 * ```
 */
export async function ensureFirewall(
  store: Store,
  host: Host,
  net: FirewallNetwork,
  otherBridges: readonly string[] | (() => Promise<readonly string[]>),
): Promise<void> {
  if (await installedThisBoot(store, host, net)) return;
  const others = typeof otherBridges === "function" ? await otherBridges() : otherBridges;
  await host.mkdir(store.locks, { recursive: true, mode: 0o700 });
  await withLock(firewallLock(store), async () => {
    await install(host, net, others);
    const marker = markerFile(store, net.name);
    await host.mkdir(marker.slice(0, marker.lastIndexOf("/")), { recursive: true, mode: 0o700 });
    await host.writeFileAtomic(marker, await markerText(host, net));
  });
}

/** Adds the rules of `net` unless they are present. */
async function install(
  host: Host,
  net: FirewallNetwork,
  otherBridges: readonly string[],
): Promise<void> {
  const { iptablesRules, nftAddScript, nftDeleteScript, ruleTag, taggedRules } = await rules();
  const nft = await findTool(host, NFT_PATHS);
  if (nft) {
    const state = await nftState(host, nft);
    const want = nftAddScript(net).split("\n").filter((l) => l.startsWith("add rule")).length;
    if (taggedRules(state.rules, net.name).length === want && state.bridges.includes(net.bridge)) {
      return;
    }
    // a partial set (a crash between two commands) is replaced as a whole
    const stale = nftDeleteScript(state.rules, net.name, net.bridge, state.bridges);
    if (stale) await tool(host, nft, [stale]);
    await tool(host, nft, [nftAddScript(net)]);
    return;
  }
  const iptables = await findTool(host, IPTABLES_PATHS);
  if (!iptables) {
    throw new SkiffError("neither nft nor iptables is installed: cannot set up network rules");
  }
  const filter = await tool(host, iptables, ["-t", "filter", "-S"]);
  const nat = await tool(host, iptables, ["-t", "nat", "-S"]);
  if ((filter + nat).includes(`--comment "${ruleTag(net.name)}"`)) return;
  for (const args of iptablesRules(net, otherBridges)) await tool(host, iptables, args);
}

/**
 * Removes every rule tagged for network `name` (and its bridge from the skiff set); nothing
 * to remove is no error.
 *
 * @example
 * ```ts ignore
 * await removeFirewall(store, realHost, "web", "br-1");
 * ```
 */
export async function removeFirewall(
  store: Store,
  host: Host,
  name: string,
  bridge: string,
): Promise<void> {
  await host.mkdir(store.locks, { recursive: true, mode: 0o700 });
  await withLock(firewallLock(store), async () => {
    await host.remove(markerFile(store, name)).catch(() => {});
    const { iptablesDeletes, nftDeleteScript } = await rules();
    const nft = await findTool(host, NFT_PATHS);
    if (nft) {
      const state = await nftState(host, nft);
      const script = nftDeleteScript(state.rules, name, bridge, state.bridges);
      if (script) await tool(host, nft, [script]);
      return;
    }
    const iptables = await findTool(host, IPTABLES_PATHS);
    if (!iptables) return;
    for (const table of ["filter", "nat"]) {
      const listing = await tool(host, iptables, ["-t", table, "-S"]);
      for (const args of iptablesDeletes(listing, table, name)) await tool(host, iptables, args);
    }
  });
}

/** The firewall tool skiff uses on this host: nft, else iptables. */
export type FirewallTool = { kind: "nft" | "iptables"; path: string };

/**
 * The tool the firewall is changed with (nft where installed, else iptables).
 *
 * @example
 * ```ts ignore
 * (await firewallTool(realHost)).kind; // "nft"
 * ```
 */
export async function firewallTool(host: Host): Promise<FirewallTool> {
  const nft = await findTool(host, NFT_PATHS);
  if (nft) return { kind: "nft", path: nft };
  const iptables = await findTool(host, IPTABLES_PATHS);
  if (iptables) return { kind: "iptables", path: iptables };
  throw new SkiffError("neither nft nor iptables is installed: cannot set up network rules");
}

/**
 * Runs `fn` holding the firewall lock (the one network rules are changed under).
 *
 * @example
 * ```ts ignore
 * await withFirewallLock(store, realHost, async () => {});
 * ```
 */
export async function withFirewallLock<T>(
  store: Store,
  host: Host,
  fn: () => Promise<T>,
): Promise<T> {
  await host.mkdir(store.locks, { recursive: true, mode: 0o700 });
  return await withLock(firewallLock(store), fn);
}

/**
 * Runs firewall commands (each an argument list of `fw`), failing with the tool's first error line.
 *
 * @example
 * ```ts ignore
 * await runFirewall(realHost, tool, [["add element ip skiff ports_any { tcp . 80 : 10.0.0.2 . 80 }"]]);
 * ```
 */
export async function runFirewall(
  host: Host,
  fw: FirewallTool,
  commands: readonly string[][],
): Promise<void> {
  for (const args of commands) await tool(host, fw.path, [...args]);
}

/**
 * Makes sure the static rules and maps behind published ports on IPv6 are in the `ip6 skiff`
 * table (nft only). Call it holding the firewall lock.
 *
 * @example
 * ```ts ignore
 * await ensurePorts6Rules(store, realHost, await firewallTool(realHost));
 * ```
 */
export async function ensurePorts6Rules(
  store: Store,
  host: Host,
  fw: FirewallTool,
  opts: { force?: boolean } = {},
): Promise<void> {
  if (fw.kind !== "nft") return;
  const { NFT_TABLE, nftPorts6Script, PORTS_TAG } = await rules();
  const marker = markerFile(store, "_ports6");
  const mark = `${await bootId(host)} ${PORTS_TAG}\n`;
  const marked = await host.readTextFile(marker).catch(() => "") === mark;
  if (!opts.force && !mark.startsWith(" ") && marked) return;
  // the chain holding the DNAT rules exists only once the whole script ran (one transaction)
  const out = await host.run(fw.path, { args: ["list", "chain", "ip6", NFT_TABLE, "published"] });
  if (!out.success || !text.decode(out.stdout).includes(PORTS_TAG)) {
    await tool(host, fw.path, [nftPorts6Script()]);
  }
  await host.mkdir(marker.slice(0, marker.lastIndexOf("/")), { recursive: true, mode: 0o700 });
  await host.writeFileAtomic(marker, mark);
}

/**
 * Makes sure the static rules and maps behind published ports are in the skiff table (nft
 * only: the iptables fallback has rules per container). Call it holding the firewall lock.
 *
 * @example
 * ```ts ignore
 * await ensurePortRules(store, realHost, await firewallTool(realHost));
 * ```
 */
export async function ensurePortRules(
  store: Store,
  host: Host,
  fw: FirewallTool,
  opts: { force?: boolean } = {},
): Promise<void> {
  if (fw.kind !== "nft") return;
  const { NFT_TABLE, nftPortsScript, PORTS_TAG } = await rules();
  const marker = markerFile(store, "_ports");
  const mark = `${await bootId(host)} ${PORTS_TAG}\n`;
  const marked = await host.readTextFile(marker).catch(() => "") === mark;
  if (!opts.force && !mark.startsWith(" ") && marked) return;
  const state = await nftState(host, fw.path);
  const present = state.rules.filter((r) => r.comment === PORTS_TAG).length;
  const want = nftPortsScript().split("\n").filter((l) => l.startsWith("add rule")).length;
  if (present !== want) {
    // a partial set (a crash between two commands) is replaced as a whole
    const stale = state.rules.filter((r) => r.comment === PORTS_TAG).map((r) =>
      `delete rule ip ${NFT_TABLE} ${r.chain} handle ${r.handle}`
    );
    if (stale.length) await tool(host, fw.path, [stale.join("\n")]);
    await tool(host, fw.path, [nftPortsScript()]);
  }
  await host.mkdir(marker.slice(0, marker.lastIndexOf("/")), { recursive: true, mode: 0o700 });
  await host.writeFileAtomic(marker, mark);
}
