/**
 * A container's endpoint on a bridge network, kept in its directory (`endpoint.json`, the
 * driver's plan) for `inspect`, which shows it as Docker's `NetworkSettings`.
 */
import { readJson, writeJsonAtomic } from "../store/atomic.ts";
import type { Store } from "../store/store.ts";
import { containerDir } from "../runtime/container_store.ts";
import type { BridgePlan } from "./bridge_plan.ts";
import type { HostsEntry } from "./hosts_file.ts";

/**
 * What `endpoint.json` holds: the driver's plan and what the container's /etc/hosts and other
 * containers' hosts files are made from (names absent in records written before them).
 */
export interface EndpointRecord extends BridgePlan {
  /** The container's name (without `/`). */
  containerName?: string;
  hostname?: string;
  domainname?: string;
  /** `--network-alias` values. */
  aliases?: string[];
  /** The names other containers on a user network find it by (empty on the default one). */
  dnsNames?: string[];
  /** `--add-host` entries, `host-gateway` resolved. */
  extraHosts?: HostsEntry[];
  /** The addresses asked for with `--ip` / `--ip6`. */
  requested?: { ipv4?: string; ipv6?: string };
}

function endpointFile(store: Store, id: string): string {
  return `${containerDir(store, id)}/endpoint.json`;
}

/** Records the endpoint of container `id` (written at each start). */
export function writeEndpoint(store: Store, id: string, ep: EndpointRecord): Promise<void> {
  return writeJsonAtomic(endpointFile(store, id), ep);
}

/** The endpoint of container `id`, or undefined when it has none (never on a bridge). */
export async function readEndpoint(
  store: Store,
  id: string,
): Promise<EndpointRecord | undefined> {
  return (await readJson<EndpointRecord>(endpointFile(store, id)).catch(() => undefined)) ??
    undefined;
}

/** The prefix length of the endpoint's IPv6 address (0: none). */
function v6Prefix(plan: BridgePlan): number {
  const cidr = plan.addresses.find((a) => a.includes(":"));
  return cidr ? Number(cidr.split("/")[1]) : 0;
}

/**
 * Docker's `NetworkSettings` for an endpoint (addresses shown while the container runs, as
 * Docker does).
 *
 * @example
 * ```ts ignore
 * networkSettings(plan, true).Networks.bridge.IPAddress; // "172.17.0.2"
 * ```
 */
export function networkSettings(plan: EndpointRecord, running: boolean): Record<string, unknown> {
  const on = (v: string | number) => running ? v : typeof v === "number" ? 0 : "";
  const req = plan.requested ?? {};
  const ipam = {
    ...(req.ipv4 ? { IPv4Address: req.ipv4 } : {}),
    ...(req.ipv6 ? { IPv6Address: req.ipv6 } : {}),
  };
  const endpoint = {
    IPAMConfig: Object.keys(ipam).length ? ipam : null,
    Links: null,
    Aliases: plan.aliases?.length ? plan.aliases : null,
    MacAddress: on(plan.mac),
    NetworkID: plan.networkId,
    EndpointID: "",
    Gateway: on(plan.gateway),
    IPAddress: on(plan.ipAddress),
    IPPrefixLen: on(plan.prefixLength),
    IPv6Gateway: on(plan.ipv6Gateway),
    GlobalIPv6Address: on(plan.ipv6Address),
    GlobalIPv6PrefixLen: on(v6Prefix(plan)),
    DNSNames: plan.dnsNames?.length ? plan.dnsNames : null,
  };
  return {
    Bridge: "",
    SandboxID: "",
    Ports: {},
    SandboxKey: "",
    IPAddress: endpoint.IPAddress,
    IPPrefixLen: endpoint.IPPrefixLen,
    Gateway: endpoint.Gateway,
    MacAddress: endpoint.MacAddress,
    GlobalIPv6Address: endpoint.GlobalIPv6Address,
    IPv6Gateway: endpoint.IPv6Gateway,
    Networks: { [plan.network]: endpoint },
  };
}

/** The options a container was created with that shape its endpoint (RunOptions' fields). */
export interface EndpointConfig {
  network: string;
  ip?: string;
  ip6?: string;
  networkAliases?: string[];
}

/**
 * Docker's `NetworkSettings` for a container on a bridge network that never started (no
 * endpoint yet): the network's entry with what was asked for (`IPAMConfig`, `Aliases`) and no
 * addresses.
 *
 * @example
 * ```ts
 * const s = configuredNetworkSettings({ network: "web", ip: "10.1.0.5" });
 * // s.Networks.web.IPAMConfig: { IPv4Address: "10.1.0.5" }
 * ```
 */
export function configuredNetworkSettings(c: EndpointConfig): Record<string, unknown> {
  const none: EndpointRecord = {
    network: c.network,
    networkId: "",
    bridge: "",
    bridgeAddresses: [],
    hostVeth: "",
    containerVeth: "eth0",
    addresses: [],
    ipAddress: "",
    gateway: "",
    prefixLength: 0,
    ipv6Address: "",
    ipv6Gateway: "",
    mac: "",
    mtu: 0,
    internal: false,
    aliases: c.networkAliases ?? [],
    requested: { ...(c.ip ? { ipv4: c.ip } : {}), ...(c.ip6 ? { ipv6: c.ip6 } : {}) },
  };
  return networkSettings(none, false);
}
