/**
 * Networks in the store: a record per network in Docker's `network inspect` shape, created
 * (name and bridge device unique, subnets overlapping no other network's), listed, looked up
 * by name, id or id prefix, and removed when no container holds an address on it. Creating
 * and removing hold the store's networks lock; readers take none (records are written by
 * atomic rename).
 */
import { compareStrings } from "../compare.ts";
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
} from "../errors.ts";
import { randomSuffix, readJson, writeJsonAtomic } from "../store/atomic.ts";
import { withLock } from "../store/lock.ts";
import type { Store } from "../store/store.ts";
import { formatAddress } from "./address.ts";
import { readAllocations } from "./allocations.ts";
import type { AddressPool } from "./default_pools.ts";
import type { HostRoute } from "./host_routes.ts";
import type { IpamConfig, PlannedSubnet } from "./network_spec.ts";
import { allocationsLock, networkDir, networkFile, networksLock } from "./paths.ts";
import { defaultGateway, formatSubnet, overlaps, parseSubnet, type Subnet } from "./subnet.ts";

/** The name of the default network, as Docker calls it. */
export const DEFAULT_NETWORK = "bridge";
/** The bridge device of the default network of the system's store (`/var/lib/skiff`). */
export const DEFAULT_BRIDGE = "skiff0";
/** Where the system's store lives, whose default network has `skiff0`. */
const SYSTEM_ROOT = "/var/lib/skiff";

/**
 * The bridge device of a store's default network: `skiff0` for the system's store, and
 * `sk0-` with 8 hex digits of the store's root for any other (`--root`), so that two stores
 * never share a device (each has its own subnet and tear-down).
 *
 * @example
 * ```ts
 * defaultBridgeName("/var/lib/skiff"); // "skiff0"
 * defaultBridgeName("/tmp/store").startsWith("sk0-"); // true
 * ```
 */
export function defaultBridgeName(root: string): string {
  if (root.replace(/\/+$/, "") === SYSTEM_ROOT) return DEFAULT_BRIDGE;
  let hash = 0x811c9dc5; // FNV-1a, 32 bits
  for (const byte of new TextEncoder().encode(root)) {
    hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  }
  return `sk0-${hash.toString(16).padStart(8, "0")}`;
}

/** A network as `network inspect` shows it, plus the bridge device skiff manages. */
export interface NetworkRecord {
  Name: string;
  /** 64 hex digits. */
  Id: string;
  /** RFC 3339 time of creation. */
  Created: string;
  Scope: "local";
  Driver: "bridge";
  EnableIPv4: true;
  EnableIPv6: boolean;
  IPAM: { Driver: "default"; Options: Record<string, string>; Config: IpamConfig[] };
  Internal: boolean;
  Attachable: false;
  Ingress: false;
  ConfigFrom: { Network: "" };
  ConfigOnly: false;
  Options: Record<string, string>;
  Labels: Record<string, string>;
  /** The bridge device on the host (`skiff0`, `br-<12 hex of the id>`, or the option's). */
  Bridge: string;
}

/** What `network create` asks for. */
export interface NetworkSpec {
  name: string;
  /** Only "bridge" (the default). */
  driver?: string;
  subnets?: string[];
  gateways?: string[];
  ipRanges?: string[];
  internal?: boolean;
  /** IPv6 on; also implied by an IPv6 `--subnet`, as Podman does. */
  ipv6?: boolean;
  labels?: Record<string, string>;
  options?: Record<string, string>;
}

/** Where the network is made: the host's routes and the pools to choose subnets from. */
export interface NetworkContext {
  /** The host's routes (host_routes.ts); a chosen subnet collides with none of them. */
  routes: readonly HostRoute[];
  /** Default: Docker's default address pools. */
  pools?: readonly AddressPool[];
}

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The subnets of a network's record. */
export function networkSubnets(net: NetworkRecord): Subnet[] {
  return net.IPAM.Config.map((c) => parseSubnet(c.Subnet));
}

/**
 * Every network in the store, sorted by name. A directory without a readable record (a
 * creation or removal cut short) is skipped.
 *
 * @example
 * ```ts ignore
 * for (const net of await listNetworks(store)) console.log(net.Name);
 * ```
 */
export async function listNetworks(store: Store): Promise<NetworkRecord[]> {
  const out: NetworkRecord[] = [];
  try {
    for await (const e of Deno.readDir(store.networks)) {
      if (!e.isDirectory || !/^[0-9a-f]{64}$/.test(e.name)) continue;
      const net = await readJson<NetworkRecord>(networkFile(store, e.name)).catch(() => undefined);
      if (net) out.push(net);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return out.sort((a, b) => compareStrings(a.Name, b.Name));
}

/**
 * Finds a network by full id, then by name, then by unique id prefix (Docker's order).
 * Throws NotFoundError `network X not found`, or when a prefix matches several,
 * `network X is ambiguous (N matches found based on ID prefix)`.
 *
 * @example
 * ```ts ignore
 * const net = await findNetwork(store, "my-net");
 * ```
 */
export async function findNetwork(store: Store, ref: string): Promise<NetworkRecord> {
  const all = await listNetworks(store);
  const hit = all.find((n) => n.Id === ref) ?? all.find((n) => n.Name === ref);
  if (hit) return hit;
  const prefixed = /^[0-9a-f]+$/.test(ref) ? all.filter((n) => n.Id.startsWith(ref)) : [];
  if (prefixed.length === 1) return prefixed[0];
  if (prefixed.length > 1) {
    throw new NotFoundError(
      `network ${ref} is ambiguous (${prefixed.length} matches found based on ID prefix)`,
    );
  }
  throw new NotFoundError(`network ${ref} not found`);
}

/** Refuses a subnet overlapping one of another network, in Docker's words. */
function checkNoOverlap(subnets: readonly Subnet[], others: readonly NetworkRecord[]): void {
  for (const s of subnets) {
    for (const other of others) {
      const clash = networkSubnets(other).find((o) => overlaps(o, s));
      if (clash) {
        throw new InvalidArgumentError(
          `Pool overlaps with other one on this address space: ${formatSubnet(s)} overlaps ${
            formatSubnet(clash)
          } of network ${other.Name}`,
        );
      }
    }
  }
}

/**
 * What only the creation of a network needs (checking a spec, choosing subnets), loaded
 * then: a container's start on an existing network does without it.
 */
async function creationModules(): Promise<
  typeof import("./network_spec.ts") & typeof import("./default_pools.ts")
> {
  const [spec, pools]: [typeof import("./network_spec.ts"), typeof import("./default_pools.ts")] =
    await Promise.all([
      import(new URL("./network_spec.ts", import.meta.url).href),
      import(new URL("./default_pools.ts", import.meta.url).href),
    ]);
  return { ...spec, ...pools };
}

/** The subnets a new network gets: those asked for, else chosen from the pools. */
function resolveSubnets(
  { chooseSubnet, DEFAULT_POOLS, ulaSubnet }: typeof import("./default_pools.ts"),
  spec: NetworkSpec,
  planned: PlannedSubnet[],
  id: string,
  others: readonly NetworkRecord[],
  ctx: NetworkContext,
  isDefault: boolean,
): PlannedSubnet[] {
  const taken = others.flatMap(networkSubnets);
  const avoid = [...taken, ...ctx.routes.map((r) => r.subnet)];
  const out = [...planned];
  if (!planned.some((p) => p.subnet.family === 4)) {
    // While the default network does not exist, leave it the first free subnet.
    const skip = isDefault || others.some((n) => n.Name === DEFAULT_NETWORK) ? 0 : 1;
    const subnet = chooseSubnet(ctx.pools ?? DEFAULT_POOLS, avoid, skip);
    if (!subnet) {
      throw new FailedPreconditionError(
        "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network",
      );
    }
    out.unshift({ subnet });
  }
  if (spec.ipv6 && !planned.some((p) => p.subnet.family === 6)) {
    const subnet = ulaSubnet(id, avoid);
    if (!subnet) {
      throw new FailedPreconditionError(
        "could not find an available, non-overlapping IPv6 address pool to assign to the network",
      );
    }
    out.push({ subnet });
  }
  return out;
}

/** Makes the record of a new network from its checked parts. */
function makeRecord(
  spec: NetworkSpec,
  id: string,
  subnets: PlannedSubnet[],
  bridge: string,
  options: Record<string, string>,
): NetworkRecord {
  return {
    Name: spec.name,
    Id: id,
    Created: new Date().toISOString(),
    Scope: "local",
    Driver: "bridge",
    EnableIPv4: true,
    EnableIPv6: subnets.some((p) => p.subnet.family === 6),
    IPAM: {
      Driver: "default",
      Options: {},
      Config: subnets.map((p) => ({
        Subnet: formatSubnet(p.subnet),
        Gateway: p.gateway ?? formatAddress(defaultGateway(p.subnet)),
        ...(p.ipRange ? { IPRange: p.ipRange } : {}),
      })),
    },
    Internal: spec.internal ?? false,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: "" },
    ConfigOnly: false,
    Options: options,
    Labels: { ...spec.labels },
    Bridge: bridge,
  };
}

/** Writes a new network's directory in the scratch area and renames it into place. */
async function writeNetwork(store: Store, net: NetworkRecord): Promise<void> {
  await Deno.mkdir(store.networks, { recursive: true, mode: 0o700 });
  await Deno.mkdir(store.tmp, { recursive: true, mode: 0o700 });
  const scratch = `${store.tmp}/net-${randomSuffix()}`;
  await Deno.mkdir(scratch, { mode: 0o700 });
  try {
    await writeJsonAtomic(`${scratch}/network.json`, net);
    await Deno.rename(scratch, networkDir(store, net.Id));
  } catch (err) {
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
    throw err;
  }
}

/**
 * Creates a network: checks the spec (name, driver, options, subnets) before anything is
 * written, refuses a taken name or bridge device and a subnet overlapping another network's,
 * chooses a subnet from the pools when none is given (avoiding other networks and
 * `ctx.routes`), and writes the record. `isDefault` makes the default network `bridge`
 * (device `skiff0` for the system's store, see `defaultBridgeName`; the first free subnet
 * of the pools).
 *
 * @example
 * ```ts ignore
 * const net = await createNetwork(store, { name: "web" }, { routes: await readHostRoutes(host) });
 * net.IPAM.Config[0].Subnet; // "172.18.0.0/16"
 * ```
 */
export async function createNetwork(
  store: Store,
  spec: NetworkSpec,
  ctx: NetworkContext,
  isDefault = false,
): Promise<NetworkRecord> {
  const mods = await creationModules();
  const { BRIDGE_NAME_OPTION, checkNetworkName, checkOptions, planSubnets } = mods;
  checkNetworkName(spec.name, isDefault);
  const driver = spec.driver ?? "bridge";
  if (driver !== "bridge") {
    throw new InvalidArgumentError(`network driver ${JSON.stringify(driver)} is not supported`);
  }
  const options = { ...spec.options };
  checkOptions(options);
  const planned = planSubnets(spec);
  const id = randomId();
  const bridge = options[BRIDGE_NAME_OPTION] ??
    (isDefault ? defaultBridgeName(store.root) : `br-${id.slice(0, 12)}`);
  if (isDefault) {
    options[BRIDGE_NAME_OPTION] = bridge;
    options["com.docker.network.bridge.default_bridge"] = "true";
  }
  await Deno.mkdir(store.locks, { recursive: true, mode: 0o700 });
  return await withLock(networksLock(store), async () => {
    const others = await listNetworks(store);
    if (others.some((n) => n.Name === spec.name)) {
      throw new AlreadyExistsError(`network with name ${spec.name} already exists`);
    }
    if (!isDefault && (bridge === DEFAULT_BRIDGE || bridge === defaultBridgeName(store.root))) {
      throw new AlreadyExistsError(
        `bridge device ${bridge} is reserved for the default network ${DEFAULT_NETWORK}`,
      );
    }
    const sameBridge = others.find((n) => n.Bridge === bridge);
    if (sameBridge) {
      throw new AlreadyExistsError(
        `bridge device ${bridge} is already used by network ${sameBridge.Name}`,
      );
    }
    checkNoOverlap(planned.map((p) => p.subnet), others);
    const subnets = resolveSubnets(mods, spec, planned, id, others, ctx, isDefault);
    const net = makeRecord(spec, id, subnets, bridge, options);
    await writeNetwork(store, net);
    return net;
  });
}

/**
 * The default network `bridge`, created on first use: by default on the first subnet of
 * the pools free of other networks and the host's routes, or as `config` says (skiff's
 * configuration file: its subnet, gateway, IPv6, bridge name, mtu).
 *
 * @example
 * ```ts ignore
 * const net = await ensureDefaultNetwork(store, { routes });
 * ```
 */
export async function ensureDefaultNetwork(
  store: Store,
  ctx: NetworkContext,
  config: Omit<NetworkSpec, "name"> = {},
): Promise<NetworkRecord> {
  const existing = (await listNetworks(store)).find((n) => n.Name === DEFAULT_NETWORK);
  if (existing) return existing;
  try {
    return await createNetwork(store, { ...config, name: DEFAULT_NETWORK }, ctx, true);
  } catch (err) {
    // Another command made it at the same moment.
    const made = (await listNetworks(store)).find((n) => n.Name === DEFAULT_NETWORK);
    if (made) return made;
    throw err;
  }
}

/**
 * Removes a network no container holds an address on. The default network cannot be
 * removed; a network in use is refused with FailedPreconditionError. Returns the removed
 * record (the caller tears down its bridge).
 *
 * @example
 * ```ts ignore
 * await removeNetwork(store, "web");
 * ```
 */
export async function removeNetwork(store: Store, ref: string): Promise<NetworkRecord> {
  await Deno.mkdir(store.locks, { recursive: true, mode: 0o700 });
  return await withLock(networksLock(store), async () => {
    const net = await findNetwork(store, ref);
    if (net.Name === DEFAULT_NETWORK) {
      throw new FailedPreconditionError(
        `${DEFAULT_NETWORK} is a pre-defined network and cannot be removed`,
      );
    }
    await withLock(allocationsLock(store, net.Id), async () => {
      const holders = Object.keys(await readAllocations(store, net.Id));
      if (holders.length > 0) {
        throw new FailedPreconditionError(
          `error while removing network: network ${net.Name} id ${
            net.Id.slice(0, 12)
          } has active endpoints (${holders.map((h) => h.slice(0, 12)).join(", ")})`,
        );
      }
      await Deno.mkdir(store.tmp, { recursive: true, mode: 0o700 });
      const doomed = `${store.tmp}/rmnet-${randomSuffix()}`;
      await Deno.rename(networkDir(store, net.Id), doomed);
      await Deno.remove(doomed, { recursive: true });
    });
    return net;
  });
}
