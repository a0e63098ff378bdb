/**
 * A container's endpoint on a bridge network, kept in its directory (`endpoint.json`, the
 * driver's plan) for `inspect`, which shows it as Docker's `NetworkSettings`.
 */
import { readJson, writeJsonAtomic } from "../store/atomic.ts";
import type { Store } from "../store/store.ts";
import { containerDir } from "../runtime/container_store.ts";
import type { BridgePlan } from "./bridge_plan.ts";
import type { HostsEntry } from "./hosts_file.ts";
import type { NetworkConnection } from "../runtime/run_options.ts";

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

/** What `endpoint.json` holds: one endpoint per network, in interface order. */
interface EndpointsFile {
  endpoints: EndpointRecord[];
}

/**
 * Records the endpoints of container `id` (written at each start, `network connect` and
 * `network disconnect`), eth0's first.
 */
export function writeEndpoints(
  store: Store,
  id: string,
  eps: readonly EndpointRecord[],
): Promise<void> {
  const file: EndpointsFile = { endpoints: [...eps] };
  return writeJsonAtomic(endpointFile(store, id), file);
}

/**
 * The lock serialising a container's network changes: `network connect` and `disconnect`,
 * and its start from the bridge driver's set-up until it runs.
 *
 * @example
 * ```ts ignore
 * await withLock(networkLockFile(store, rec.Id), () => connect());
 * ```
 */
export function networkLockFile(store: Store, id: string): string {
  return `${containerDir(store, id)}/network.lock`;
}

/**
 * The endpoints of container `id` (empty when it has none). A file written before containers
 * could be on several networks holds one endpoint as the whole object: read as a list of one.
 */
export async function readEndpoints(store: Store, id: string): Promise<EndpointRecord[]> {
  const raw = await readJson<EndpointsFile | EndpointRecord>(endpointFile(store, id))
    .catch(() => undefined);
  if (!raw || typeof raw !== "object") return [];
  if ("endpoints" in raw && Array.isArray(raw.endpoints)) return raw.endpoints;
  if ("network" in raw && typeof raw.network === "string") return [raw];
  return [];
}

/** The prefix length of the endpoint's IPv6 address (0: none). */
function v6Prefix(plan: BridgePlan): number {
  const cidr = plan.addresses.find((a) => a.includes(":"));
  return cidr ? Number(cidr.split("/")[1]) : 0;
}

/** Docker's entry of one network in `NetworkSettings.Networks`. */
function endpointSettings(plan: EndpointRecord, running: boolean): Record<string, unknown> {
  const on = (v: string | number) => running ? v : typeof v === "number" ? 0 : "";
  const req = plan.requested ?? {};
  const ipam = {
    ...(req.ipv4 ? { IPv4Address: req.ipv4 } : {}),
    ...(req.ipv6 ? { IPv6Address: req.ipv6 } : {}),
  };
  return {
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
}

/**
 * Docker's `NetworkSettings` for a container's endpoints (addresses shown while the container
 * runs, as Docker does): one entry per network in `Networks`, the top-level addresses those of
 * the first (eth0).
 *
 * @example
 * ```ts ignore
 * networkSettings([plan], true).Networks.bridge.IPAddress; // "172.17.0.2"
 * ```
 */
export function networkSettings(
  eps: readonly EndpointRecord[],
  running: boolean,
): Record<string, unknown> {
  const networks: Record<string, Record<string, unknown>> = {};
  for (const ep of eps) networks[ep.network] = endpointSettings(ep, running);
  const first = eps.length ? networks[eps[0].network] : undefined;
  return {
    Bridge: "",
    SandboxID: "",
    Ports: {},
    SandboxKey: "",
    IPAddress: first?.IPAddress ?? "",
    IPPrefixLen: first?.IPPrefixLen ?? 0,
    Gateway: first?.Gateway ?? "",
    MacAddress: first?.MacAddress ?? "",
    GlobalIPv6Address: first?.GlobalIPv6Address ?? "",
    IPv6Gateway: first?.IPv6Gateway ?? "",
    Networks: networks,
  };
}

/** The options a container was created with that shape its endpoint (RunOptions' fields). */
export interface EndpointConfig {
  network: string;
  ip?: string;
  ip6?: string;
  networkAliases?: string[];
}

/** The endpoint of a network the container is on but has not started on yet: no addresses. */
function configuredEndpoint(c: EndpointConfig): EndpointRecord {
  return {
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
  return networkSettings([configuredEndpoint(c)], false);
}

/**
 * Docker's `NetworkSettings` for a container on the bridge networks `conns` (interface
 * order): the recorded endpoint of each, or what was asked for on a network it has not
 * started on since it was connected.
 *
 * @example
 * ```ts ignore
 * containerNetworkSettings([{ name: "a" }, { name: "b" }], await readEndpoints(store, id), true);
 * ```
 */
export function containerNetworkSettings(
  conns: readonly NetworkConnection[],
  eps: readonly EndpointRecord[],
  running: boolean,
): Record<string, unknown> {
  const chosen = conns.map((c) =>
    eps.find((ep) => ep.network === c.name) ??
      configuredEndpoint({
        network: c.name,
        ...(c.ip ? { ip: c.ip } : {}),
        ...(c.ip6 ? { ip6: c.ip6 } : {}),
        ...(c.aliases ? { networkAliases: c.aliases } : {}),
      })
  );
  const settings = networkSettings(chosen, running);
  // an endpoint not started yet shows no addresses even while the container runs
  const networks = settings.Networks as Record<string, Record<string, unknown>>;
  for (const ep of chosen) {
    if (ep.networkId === "") networks[ep.network] = endpointSettings(ep, false);
  }
  return settings;
}
