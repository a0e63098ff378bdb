/**
 * Addresses for containers on a network: the lowest free address of each of the network's
 * address families (inside its `--ip-range` when it has one; never the network, broadcast
 * or gateway address), or the `--ip` / `--ip6` asked for. A container that already holds
 * addresses gets the same ones again (a restart). Every change happens under the network's
 * lock in the store and is written by atomic rename, so any number of `skiff run`s in
 * separate processes may allocate at once; nothing is kept in memory.
 */
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from "../errors.ts";
import { withLock } from "../store/lock.ts";
import type { Store } from "../store/store.ts";
import { formatAddress, type IpAddress, parseAddress } from "./address.ts";
import { type Allocations, readAllocations, writeAllocations } from "./allocations.ts";
import { DEFAULT_NETWORK, listNetworks, type NetworkRecord } from "./network_store.ts";
import { allocationsLock, networkFile } from "./paths.ts";
import {
  containsAddress,
  formatSubnet,
  isHostAddress,
  lastAddress,
  parseSubnet,
  type Subnet,
} from "./subnet.ts";

/** Addresses a container asks for (`--ip`, `--ip6`). */
export interface AddressRequest {
  ipv4?: string;
  ipv6?: string;
}

/** One address a container holds on a network, with what its interface needs. */
export interface EndpointAddress {
  family: 4 | 6;
  /** "172.18.0.2". */
  address: string;
  /** The subnet's prefix length (16). */
  prefixLength: number;
  /** The network's gateway for this subnet. */
  gateway: string;
  /** The subnet ("172.18.0.0/16"). */
  subnet: string;
}

/** One IPAM.Config entry, parsed. */
interface Pool {
  subnet: Subnet;
  range: Subnet;
  gateway: IpAddress;
}

function poolsOf(net: NetworkRecord): Pool[] {
  return net.IPAM.Config.map((c) => {
    const subnet = parseSubnet(c.Subnet);
    return {
      subnet,
      range: c.IPRange ? parseSubnet(c.IPRange, "ip-range") : subnet,
      gateway: parseAddress(c.Gateway, "gateway"),
    };
  });
}

function familyName(family: 4 | 6): string {
  return family === 4 ? "IPv4" : "IPv6";
}

/** The pool a requested address belongs to; one-line errors when it fits none. */
function poolForRequest(net: NetworkRecord, pools: Pool[], text: string): Pool {
  const addr = parseAddress(text);
  const pool = pools.find((p) => containsAddress(p.subnet, addr));
  if (!pool) {
    throw new InvalidArgumentError(
      `invalid address ${text}: no configured subnet or ip-range contain the IP address ${text} on network ${net.Name}`,
    );
  }
  if (!isHostAddress(pool.subnet, addr)) {
    const which = addr.value === pool.subnet.base ? "network" : "broadcast";
    throw new InvalidArgumentError(
      `invalid address ${text}: it is the ${which} address of network ${net.Name}`,
    );
  }
  return pool;
}

/** Describes an address held on `net` for the caller. */
function describe(pools: Pool[], text: string): EndpointAddress {
  const addr = parseAddress(text);
  const pool = pools.find((p) => containsAddress(p.subnet, addr))!;
  return {
    family: addr.family,
    address: text,
    prefixLength: pool.subnet.prefix,
    gateway: formatAddress(pool.gateway),
    subnet: `${
      formatAddress({ family: pool.subnet.family, value: pool.subnet.base })
    }/${pool.subnet.prefix}`,
  };
}

/** The lowest address of `pool`'s range a container may take; undefined when none is left. */
function lowestFree(pool: Pool, used: ReadonlySet<string>): string | undefined {
  const end = lastAddress(pool.range);
  for (let v = pool.range.base; v <= end; v++) {
    const addr: IpAddress = { family: pool.subnet.family, value: v };
    if (v === pool.gateway.value || !isHostAddress(pool.subnet, addr)) continue;
    const text = formatAddress(addr);
    if (!used.has(text)) return text;
  }
  return undefined;
}

/** Picks the addresses a container gets; throws when a request is taken or a pool is full. */
function pick(
  net: NetworkRecord,
  pools: Pool[],
  request: AddressRequest,
  used: ReadonlySet<string>,
): string[] {
  const out: string[] = [];
  for (const family of [4, 6] as const) {
    const asked = family === 4 ? request.ipv4 : request.ipv6;
    if (asked !== undefined) {
      const pool = poolForRequest(net, pools, asked);
      const addr = parseAddress(asked);
      const text = formatAddress(addr);
      if (used.has(text) || pool.gateway.value === addr.value) {
        throw new FailedPreconditionError(
          `Address already in use: ${text} on network ${net.Name}`,
        );
      }
      out.push(text);
      continue;
    }
    const candidates = pools.filter((p) => p.subnet.family === family);
    if (candidates.length === 0) continue;
    const free = candidates.map((p) => lowestFree(p, used)).find((a) => a !== undefined);
    if (!free) {
      const ranges = candidates.map((p) => formatSubnet(p.range));
      throw new FailedPreconditionError(
        `no available ${familyName(family)} addresses on network ${net.Name} (${
          ranges.join(", ")
        })`,
      );
    }
    out.push(free);
  }
  return out;
}

/** Checks the requested addresses before any lock is taken. */
function checkRequest(net: NetworkRecord, pools: Pool[], request: AddressRequest): void {
  if ((request.ipv4 ?? request.ipv6) !== undefined && net.Name === DEFAULT_NETWORK) {
    // Docker's rule: the default network's addresses are the engine's to give.
    throw new InvalidArgumentError(
      "user specified IP address is supported on user defined networks only",
    );
  }
  for (const [family, text] of [[4, request.ipv4], [6, request.ipv6]] as const) {
    if (text === undefined) continue;
    const addr = parseAddress(text);
    if (addr.family !== family) {
      const flag = family === 4 ? "--ip" : "--ip6";
      throw new InvalidArgumentError(
        `invalid ${flag} ${text}: not an ${familyName(family)} address`,
      );
    }
    poolForRequest(net, pools, text);
  }
}

/** Runs `fn` on the allocations of `net` under its lock; the network must still exist. */
async function changeAllocations<T>(
  store: Store,
  net: NetworkRecord,
  fn: (a: Allocations) => T,
): Promise<T> {
  try {
    return await withLock(allocationsLock(store, net.Id), async () => {
      // Removal renames the directory away while holding this lock: look again.
      await Deno.stat(networkFile(store, net.Id));
      const allocations = await readAllocations(store, net.Id);
      const before = JSON.stringify(allocations);
      const result = fn(allocations);
      if (JSON.stringify(allocations) !== before) {
        await writeAllocations(store, net.Id, allocations);
      }
      return result;
    });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new NotFoundError(`network ${net.Name} not found`, { cause: err });
    }
    throw err;
  }
}

/**
 * Gives container `containerId` one address of each of the network's families: the ones it
 * already holds (a restart, when they match what it asks for), else those it asks for, else
 * the lowest free ones. One-line errors for an address outside every subnet, already taken
 * (`Address already in use`), asked for on the default network (refused as Docker does), or
 * a full pool; on any error nothing is allocated.
 *
 * @example
 * ```ts ignore
 * const [v4] = await allocateAddresses(store, net, cid); // { address: "172.18.0.2", ... }
 * ```
 */
export async function allocateAddresses(
  store: Store,
  net: NetworkRecord,
  containerId: string,
  request: AddressRequest = {},
): Promise<EndpointAddress[]> {
  const pools = poolsOf(net);
  checkRequest(net, pools, request);
  const held = await changeAllocations(store, net, (allocations) => {
    const mine = allocations[containerId];
    const asked = [request.ipv4, request.ipv6].filter((a) => a !== undefined)
      .map((a) => formatAddress(parseAddress(a)));
    if (mine && asked.every((a) => mine.includes(a))) return mine;
    const used = new Set(
      Object.entries(allocations).filter(([id]) => id !== containerId).flatMap(([, a]) => a),
    );
    const picked = pick(net, pools, request, used);
    allocations[containerId] = picked;
    return picked;
  });
  return held.map((a) => describe(pools, a));
}

/**
 * Refuses, before a container is created, an `--ip`/`--ip6` outside the network's subnets or
 * held by another container (read without the lock: the allocation at start decides a race).
 *
 * @example
 * ```ts ignore
 * await checkAddressRequest(store, net, { ipv4: "172.18.0.9" });
 * ```
 */
export async function checkAddressRequest(
  store: Store,
  net: NetworkRecord,
  request: AddressRequest,
): Promise<void> {
  if ((request.ipv4 ?? request.ipv6) === undefined) return;
  const pools = poolsOf(net);
  checkRequest(net, pools, request);
  const used = new Set(Object.values(await readAllocations(store, net.Id)).flat());
  pick(net, pools, request, used);
}

/**
 * The addresses container `containerId` holds on `net` (none: empty). Reads without a lock.
 *
 * @example
 * ```ts ignore
 * const held = await containerAddresses(store, net, cid);
 * ```
 */
export async function containerAddresses(
  store: Store,
  net: NetworkRecord,
  containerId: string,
): Promise<EndpointAddress[]> {
  const held = (await readAllocations(store, net.Id))[containerId] ?? [];
  const pools = poolsOf(net);
  return held.map((a) => describe(pools, a));
}

/**
 * Releases the addresses container `containerId` holds on `net`; whether it held any.
 * Releasing twice, or on a network that is gone, does nothing.
 *
 * @example
 * ```ts ignore
 * await releaseAddresses(store, net, cid);
 * ```
 */
export async function releaseAddresses(
  store: Store,
  net: NetworkRecord,
  containerId: string,
): Promise<boolean> {
  try {
    return await changeAllocations(store, net, (allocations) => {
      if (!(containerId in allocations)) return false;
      delete allocations[containerId];
      return true;
    });
  } catch (err) {
    if (err instanceof NotFoundError) return false;
    throw err;
  }
}

/**
 * Releases whatever container `containerId` holds on any network (container removal);
 * returns the names of the networks it held addresses on.
 *
 * @example
 * ```ts ignore
 * await releaseContainer(store, cid); // ["bridge"]
 * ```
 */
export async function releaseContainer(store: Store, containerId: string): Promise<string[]> {
  const released: string[] = [];
  for (const net of await listNetworks(store)) {
    // read first without the lock: a removed container's addresses are only ever taken away
    // by others, so a network that does not list it now never will
    const held = await readAllocations(store, net.Id).catch(() => undefined);
    if (held && !(containerId in held)) continue;
    if (await releaseAddresses(store, net, containerId)) released.push(net.Name);
  }
  return released;
}

/**
 * Releases the addresses of containers that no longer exist (removed while skiff was
 * killed): every holder for which `exists` answers false. Returns the released ids.
 *
 * @example
 * ```ts ignore
 * await releaseStale(store, net, (id) => containerExists(store, id));
 * ```
 */
export async function releaseStale(
  store: Store,
  net: NetworkRecord,
  exists: (containerId: string) => boolean | Promise<boolean>,
): Promise<string[]> {
  const gone: string[] = [];
  for (const id of Object.keys(await readAllocations(store, net.Id))) {
    if (!(await exists(id))) gone.push(id);
  }
  if (gone.length === 0) return [];
  return await changeAllocations(store, net, (allocations) => {
    const released = gone.filter((id) => id in allocations);
    for (const id of released) delete allocations[id];
    return released;
  });
}
