/**
 * The network verbs of the engine (`network create`, `ls`, `inspect`, `rm`, `prune`,
 * `exists`): networks as Docker shows them, made from the store's records (network_store.ts)
 * and their address allocations, plus the predefined `host` and `none` networks that have no
 * record. The default network `bridge` is created on first use by whichever verb looks
 * networks up, so `bridge` names it everywhere.
 *
 * @module
 */
import { emitNetworkEvent } from "./events.ts";
import { compareStrings } from "../compare.ts";
import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  SkiffError,
} from "../errors.ts";
import { readAllocations } from "../network/allocations.ts";
import { readHostRoutes } from "../network/host_routes.ts";
import { containerAddresses } from "../network/ipam.ts";
import {
  createNetwork,
  DEFAULT_NETWORK,
  ensureDefaultNetwork,
  listNetworks,
  type NetworkRecord,
  removeNetwork,
} from "../network/network_store.ts";
import type { IpamConfig } from "../network/network_spec.ts";
import { listContainers } from "../runtime/container_store.ts";
import { openStore, type Store } from "../store/store.ts";
import { realHost } from "../sys/host.ts";
import { sha256Hex } from "../sys/sha256.ts";
import { eachTarget, type StoreOptions, type TargetReport } from "./engine_types.ts";
import { type Filters, labelsMatch, type PruneFilters, pruneFilters } from "./filters.ts";
import { parseLabels } from "./volume_create.ts";

/** A container holding addresses on a network, as `network inspect` shows it. */
export interface NetworkEndpoint {
  Name: string;
  EndpointID: string;
  MacAddress: string;
  /** "172.18.0.2/16", or "" when it holds no IPv4 address. */
  IPv4Address: string;
  IPv6Address: string;
}

/** The object `network inspect` prints, with Docker's keys in Docker's order. */
export interface NetworkInspect {
  Name: string;
  Id: string;
  Created: string;
  Scope: "local";
  /** "bridge", or "host" / "null" for the predefined networks. */
  Driver: string;
  EnableIPv4: boolean;
  EnableIPv6: boolean;
  IPAM: {
    Driver: "default";
    Options: Record<string, string> | null;
    Config: IpamConfig[];
  };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  /** By container id. */
  Containers: Record<string, NetworkEndpoint>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

/** The networks that exist without a record, with the driver Docker lists them under. */
const PREDEFINED: ReadonlyArray<{ name: string; driver: string }> = [
  { name: "host", driver: "host" },
  { name: "none", driver: "null" },
];

/** What `network create` was asked for, as the CLI takes it. */
export interface NetworkCreateOptions {
  name: string;
  /** Only `bridge` (the default). */
  driver?: string;
  subnets?: string[];
  gateways?: string[];
  ipRanges?: string[];
  internal?: boolean;
  ipv6?: boolean;
  /** `key=value` strings (a bare `key` is an empty value). */
  labels?: readonly string[];
  /** `-o key=value` driver options. */
  options?: readonly string[];
  /** `--aux-address name=ip`: addresses no container gets. */
  auxAddresses?: string[];
  /** `--ipam-driver`: only `default`. */
  ipamDriver?: string;
  /** `--ipam-opt key=value`. */
  ipamOptions?: readonly string[];
  /** `--attachable`. */
  attachable?: boolean;
  /** `--scope`: only `local`. */
  scope?: string;
  /** `--ingress`: swarm's routing mesh, refused. */
  ingress?: boolean;
}

/** Refuses what only Docker's plugins or swarm mode give: another IPAM driver or scope. */
function checkPluginsAndScope(opts: NetworkCreateOptions): void {
  const ipam = opts.ipamDriver ?? "";
  if (ipam !== "" && ipam !== "default") {
    throw new InvalidArgumentError(
      `error looking up IPAM plugin ${ipam}: plugin "${ipam}" not found ` +
        `(skiff has only the "default" IPAM driver)`,
    );
  }
  if (opts.ingress) {
    throw new InvalidArgumentError(
      "an ingress network is swarm mode's routing mesh, and skiff has no swarm",
    );
  }
  const scope = opts.scope ?? "";
  if (scope !== "" && scope !== "local") {
    throw new InvalidArgumentError(
      `invalid scope "${scope}": skiff has no swarm, its networks are "local"`,
    );
  }
}

/**
 * Parses `-o key=value` driver options; a value without `=` is refused, as Docker does.
 *
 * @example
 * ```ts
 * parseDriverOptions(["com.docker.network.driver.mtu=1400"]);
 * // { "com.docker.network.driver.mtu": "1400" }
 * ```
 */
export function parseDriverOptions(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of list) {
    const eq = o.indexOf("=");
    if (eq <= 0) throw new InvalidArgumentError(`invalid key/value pair format in driver options`);
    out[o.slice(0, eq)] = o.slice(eq + 1);
  }
  return out;
}

/** The default network, made now if this is its first use. */
async function ensureDefault(store: Store): Promise<NetworkRecord> {
  return await ensureDefaultNetwork(store, { routes: await readHostRoutes(realHost) });
}

/** The object of a network from the store, its containers from its allocations. */
async function inspectRecord(
  store: Store,
  net: NetworkRecord,
  names: Map<string, string>,
): Promise<NetworkInspect> {
  const containers: Record<string, NetworkEndpoint> = {};
  for (const id of Object.keys(await readAllocations(store, net.Id)).sort(compareStrings)) {
    const held = await containerAddresses(store, net, id);
    const of = (family: 4 | 6) => {
      const a = held.find((h) => h.family === family);
      return a ? `${a.address}/${a.prefixLength}` : "";
    };
    containers[id] = {
      Name: names.get(id) ?? "",
      EndpointID: "",
      MacAddress: "",
      IPv4Address: of(4),
      IPv6Address: of(6),
    };
  }
  return {
    Name: net.Name,
    Id: net.Id,
    Created: net.Created,
    Scope: "local",
    Driver: net.Driver,
    EnableIPv4: net.EnableIPv4,
    EnableIPv6: net.EnableIPv6,
    IPAM: {
      Driver: "default",
      Options: { ...net.IPAM.Options },
      Config: net.IPAM.Config.map((c) => ({ ...c })),
    },
    Internal: net.Internal,
    Attachable: net.Attachable,
    Ingress: net.Ingress,
    ConfigFrom: { Network: net.ConfigFrom.Network },
    ConfigOnly: net.ConfigOnly,
    Containers: containers,
    Options: { ...net.Options },
    Labels: { ...net.Labels },
  };
}

/**
 * The object of a predefined network. Its id is fixed per store (derived from the store's
 * root), and its creation time is the store's.
 */
async function inspectPredefined(
  store: Store,
  p: { name: string; driver: string },
): Promise<NetworkInspect> {
  const info = await Deno.stat(store.root);
  const created = info.birthtime ?? info.mtime ?? new Date(0);
  return {
    Name: p.name,
    Id: sha256Hex(new TextEncoder().encode(`skiff predefined network ${p.name} in ${store.root}`)),
    Created: created.toISOString(),
    Scope: "local",
    Driver: p.driver,
    EnableIPv4: true,
    EnableIPv6: false,
    IPAM: { Driver: "default", Options: null, Config: [] },
    Internal: false,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: "" },
    ConfigOnly: false,
    Containers: {},
    Options: {},
    Labels: {},
  };
}

/** Every network (the default one made if missing), sorted by name. */
async function allNetworks(store: Store): Promise<NetworkInspect[]> {
  await ensureDefault(store);
  const names = new Map<string, string>();
  for (const rec of await listContainers(store)) names.set(rec.Id, rec.Name);
  const out: NetworkInspect[] = [];
  for (const net of await listNetworks(store)) out.push(await inspectRecord(store, net, names));
  for (const p of PREDEFINED) out.push(await inspectPredefined(store, p));
  return out.sort((a, b) => compareStrings(a.Name, b.Name));
}

/** Whether a network is one of skiff's own (`bridge`, `host`, `none`), not the user's. */
export function isBuiltin(net: { Name: string }): boolean {
  return net.Name === DEFAULT_NETWORK || PREDEFINED.some((p) => p.name === net.Name);
}

/**
 * Finds a network by full id, then by name, then by unique id prefix (Docker's order). A miss
 * is Docker's CLI's `No such network: X` (the store's `network X not found` is what Docker's
 * daemon says, as `run --network` shows it).
 */
function findIn(all: readonly NetworkInspect[], ref: string): NetworkInspect {
  const hit = all.find((n) => n.Id === ref) ?? all.find((n) => n.Name === ref);
  if (hit) return hit;
  const prefixed = /^[0-9a-f]+$/.test(ref) ? all.filter((n) => n.Id.startsWith(ref)) : [];
  if (prefixed.length === 1) return prefixed[0];
  if (prefixed.length > 1) {
    throw new NotFoundError(
      `network ${ref} is ambiguous (${prefixed.length} matches found based on ID prefix)`,
    );
  }
  throw new NotFoundError(`No such network: ${ref}`);
}

/**
 * Creates a bridge network and returns its object (the CLI prints its id). Everything is
 * checked before the store is changed: a refused request leaves it as it was.
 *
 * @example
 * ```ts ignore
 * const net = await createNetworkFromOptions({}, { name: "web", subnets: ["10.5.0.0/24"] });
 * console.log(net.Id);
 * ```
 */
export async function createNetworkFromOptions(
  where: StoreOptions,
  opts: NetworkCreateOptions,
): Promise<NetworkInspect> {
  checkPluginsAndScope(opts);
  const labels = parseLabels(opts.labels ?? []);
  const options = parseDriverOptions(opts.options ?? []);
  const ipamOptions = parseDriverOptions(opts.ipamOptions ?? []);
  const store = await openStore(where);
  const net = await createNetwork(store, {
    name: opts.name,
    driver: opts.driver,
    subnets: opts.subnets,
    gateways: opts.gateways,
    ipRanges: opts.ipRanges,
    auxAddresses: opts.auxAddresses,
    internal: opts.internal,
    ipv6: opts.ipv6,
    labels,
    options,
    ipamOptions,
    attachable: opts.attachable,
  }, { routes: await readHostRoutes(realHost) });
  await emitNetworkEvent(store, "create", { id: net.Id, name: net.Name, driver: net.Driver });
  return await inspectRecord(store, net, new Map());
}

/** The filter keys `network ls` takes. */
export const NETWORK_LIST_FILTERS = [
  "name",
  "id",
  "driver",
  "label",
  "dangling",
  "type",
  "scope",
] as const;

/** Whether a filter's boolean value is true (`true` or `1`), refusing anything else. */
function boolFilter(key: string, value: string): boolean {
  if (["true", "1"].includes(value)) return true;
  if (["false", "0"].includes(value)) return false;
  throw new InvalidArgumentError(`invalid filter '${key}=${value}'`);
}

/**
 * Keeps the networks matching Docker's `network ls` filters: name (substring), id (prefix),
 * driver, label (`key` or `key=value`), scope, type (`custom` or `builtin`) and dangling (a
 * user-defined network no container holds an address on; `dangling=false` keeps the others).
 * Values of one key are alternatives; different keys must all match.
 *
 * @example
 * ```ts ignore
 * filterNetworks(all, new Map([["driver", ["bridge"]]]));
 * ```
 */
export function filterNetworks(nets: NetworkInspect[], filters: Filters): NetworkInspect[] {
  const dangling = filters.get("dangling")?.map((v) => boolFilter("dangling", v));
  for (const t of filters.get("type") ?? []) {
    if (t !== "custom" && t !== "builtin") {
      throw new InvalidArgumentError(`invalid filter: 'type'='${t}'`);
    }
  }
  return nets.filter((n) => {
    const any = (key: string, ok: (v: string) => boolean) => {
      const values = filters.get(key);
      return !values || values.some(ok);
    };
    if (!any("name", (v) => n.Name.includes(v))) return false;
    if (!any("id", (v) => n.Id.startsWith(v))) return false;
    if (!any("driver", (v) => n.Driver === v)) return false;
    if (!any("scope", (v) => n.Scope === v)) return false;
    if (!any("type", (v) => (v === "builtin") === isBuiltin(n))) return false;
    const labels = filters.get("label");
    if (labels && !labelsMatch(n.Labels, labels)) return false;
    if (dangling) {
      const isDangling = !isBuiltin(n) && Object.keys(n.Containers).length === 0;
      if (!dangling.some((want) => want === isDangling)) return false;
    }
    return true;
  });
}

/**
 * The networks matching `filters`, sorted by name: the store's, and `host` and `none`.
 *
 * @example
 * ```ts ignore
 * const nets = await listNetworkObjects({}, parseFilters(["driver=bridge"], NETWORK_LIST_FILTERS));
 * ```
 */
export async function listNetworkObjects(
  where: StoreOptions,
  filters: Filters = new Map(),
): Promise<NetworkInspect[]> {
  const store = await openStore(where);
  return filterNetworks(await allNetworks(store), filters);
}

/**
 * One report per name or id: the network's object, or why it was not found.
 *
 * @example
 * ```ts ignore
 * const [report] = await inspectNetworks({}, ["bridge"]);
 * ```
 */
export async function inspectNetworks(
  where: StoreOptions,
  refs: readonly string[],
): Promise<TargetReport<NetworkInspect>[]> {
  const store = await openStore(where);
  const all = await allNetworks(store);
  return await eachTarget(refs, (ref) => Promise.resolve(findIn(all, ref)));
}

/**
 * Whether a network of that name or id exists (`network exists`).
 *
 * @example
 * ```ts ignore
 * await networkExists({}, "bridge"); // true
 * ```
 */
export async function networkExists(where: StoreOptions, ref: string): Promise<boolean> {
  const store = await openStore(where);
  try {
    findIn(await allNetworks(store), ref);
    return true;
  } catch (err) {
    if (err instanceof NotFoundError) return false;
    throw err;
  }
}

/**
 * Removes each network no container holds an address on; `bridge`, `host` and `none` are
 * refused. With `force`, a missing network is not an error (`removed: false`).
 *
 * @example
 * ```ts ignore
 * const reports = await removeNetworks({}, ["web", "db"]);
 * ```
 */
export async function removeNetworks(
  where: StoreOptions,
  refs: readonly string[],
  opts: { force?: boolean } = {},
): Promise<TargetReport<{ removed: boolean }>[]> {
  const store = await openStore(where);
  return await eachTarget(refs, async (ref) => {
    try {
      const net = findIn(await allNetworks(store), ref);
      if (isBuiltin(net)) {
        throw new FailedPreconditionError(
          `${net.Name} is a pre-defined network and cannot be removed`,
        );
      }
      const removed = await removeNetwork(store, net.Id);
      await emitNetworkEvent(store, "destroy", { id: net.Id, name: net.Name, driver: net.Driver });
      await tearDown(store, removed);
      return { removed: true };
    } catch (err) {
      if (opts.force && err instanceof NotFoundError) return { removed: false };
      throw err;
    }
  });
}

/** The checked filters of `network prune`. */
export type NetworkPruneFilters = PruneFilters;

/** Parses `network prune --filter` values (see {@linkcode pruneFilters}). */
export const networkPruneFilters: (raw: readonly string[]) => PruneFilters = pruneFilters;

/**
 * Removes what a network removed from the store left on the host: its bridge device and
 * firewall rules (the bridge driver and its C calls are loaded only here).
 */
async function tearDown(store: Store, net: NetworkRecord): Promise<void> {
  const { tearDownNetwork }: typeof import("../network/bridge.ts") = await import(
    new URL("../network/bridge.ts", import.meta.url).href
  );
  try {
    await tearDownNetwork(store, net);
  } catch (err) {
    throw new SkiffError(
      `network ${net.Name} was removed, but not its bridge ${net.Bridge}: ${
        (err as Error).message
      }`,
    );
  }
}

/**
 * Removes every user-defined network no container holds an address on and the filters
 * select; returns their names. A network that gains a container meanwhile is kept.
 *
 * @example
 * ```ts ignore
 * const deleted = await pruneNetworks({}, networkPruneFilters([]));
 * ```
 */
export async function pruneNetworks(
  where: StoreOptions,
  filters: NetworkPruneFilters,
): Promise<string[]> {
  const store = await openStore(where);
  const deleted: string[] = [];
  for (const net of await allNetworks(store)) {
    if (isBuiltin(net) || Object.keys(net.Containers).length > 0) continue;
    if (filters.until !== undefined && new Date(net.Created).getTime() >= filters.until) continue;
    if (!labelsMatch(net.Labels, filters.labels, filters.notLabels)) continue;
    try {
      const removed = await removeNetwork(store, net.Id);
      deleted.push(net.Name);
      await emitNetworkEvent(store, "destroy", { id: net.Id, name: net.Name, driver: net.Driver });
      await tearDown(store, removed);
    } catch (err) {
      if (!(err instanceof FailedPreconditionError || err instanceof NotFoundError)) throw err;
    }
  }
  return deleted;
}
