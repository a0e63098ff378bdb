/**
 * Name resolution on a user-defined network without a resident DNS server: every running
 * container of the network has, in its /etc/hosts, a line for each other running container
 * (its addresses and DNS names). Whenever a container starts on the network, is stopped or is
 * removed, skiff rewrites the hosts files of the network's running containers, under the
 * network's hosts lock. The files are bind-mounted into the containers, so each is rewritten
 * in place (same inode), never replaced. "Running" is judged by the container's host veth:
 * it exists exactly while the container's network namespace does. The default network
 * `bridge` gets no such lines (Docker resolves no names there either).
 */
import { type Host, realHost } from "../sys/host.ts";
import type { Store } from "../store/store.ts";
import { containerDir } from "../runtime/container_store.ts";
import { readAllocations } from "./allocations.ts";
import { type EndpointRecord, readEndpoints, writeEndpoints } from "./endpoint.ts";
import { type HostsEntry, hostsFile, ownHostNames } from "./hosts_file.ts";
import { DEFAULT_NETWORK, type NetworkRecord } from "./network_store.ts";
import { networkDir } from "./paths.ts";

/** The lock held while a network's hosts files are rewritten. */
export function hostsLock(store: Store, networkId: string): string {
  return `${networkDir(store, networkId)}/hosts.lock`;
}

/** The container's addresses (without prefix) on its endpoint. */
function addressesOf(ep: EndpointRecord): string[] {
  return [ep.ipAddress, ep.ipv6Address].filter((a) => a !== "");
}

/**
 * The /etc/hosts of a container with endpoint `ep`: Docker's lines, its `--add-host`
 * entries, its own addresses, and on a user network the other running containers `peers`.
 *
 * @example
 * ```ts ignore
 * containerHostsText(ep, [other]); // "127.0.0.1\tlocalhost\n…172.18.0.3\tdb 0123456789ab\n"
 * ```
 */
export function containerHostsText(
  ep: EndpointRecord,
  peers: readonly EndpointRecord[] | undefined,
): string {
  return endpointsHostsText([ep], peers ? [{ network: ep.network, peers }] : []);
}

/** The other running containers of one of a container's user networks. */
export interface NetworkPeers {
  network: string;
  peers: readonly EndpointRecord[];
}

/**
 * The /etc/hosts of a container on several networks (endpoints `eps`, eth0's first): its
 * `--add-host` entries, its addresses on every network under its own names, and one section
 * per user network listing that network's other running containers.
 *
 * @example
 * ```ts ignore
 * endpointsHostsText([a, b], [{ network: "web", peers: [db] }]);
 * ```
 */
export function endpointsHostsText(
  eps: readonly EndpointRecord[],
  sections: readonly NetworkPeers[],
): string {
  const first = eps[0];
  const hostname = first?.hostname ?? "";
  const names = ownHostNames(hostname, first?.domainname ?? "");
  const own: HostsEntry[] = hostname
    ? eps.flatMap(addressesOf).map((address) => ({ address, names }))
    : [];
  return hostsFile({
    extra: first?.extraHosts ?? [],
    own,
    peers: sections.map((s) => ({
      network: s.network,
      entries: s.peers.flatMap((p) =>
        addressesOf(p).map((address) => ({ address, names: p.dnsNames ?? [] }))
      ),
    })),
  });
}

/** A running container of a network: all its endpoints, and the one on that network. */
interface Member {
  id: string;
  eps: EndpointRecord[];
  ep: EndpointRecord;
}

/** The running containers of network `networkId` (`leaving` left out), read at once. */
async function runningMembers(
  store: Store,
  networkId: string,
  host: Host,
  leaving: string | undefined,
): Promise<Member[]> {
  const holders = Object.keys(await readAllocations(store, networkId)).sort()
    .filter((id) => id !== leaving);
  const found = await Promise.all(holders.map(async (id) => {
    const eps = await readEndpoints(store, id);
    const ep = eps.find((e) => e.networkId === networkId);
    if (!ep) return undefined;
    if (!(await host.exists(`/sys/class/net/${ep.hostVeth}`))) return undefined;
    return { id, eps, ep };
  }));
  return found.filter((m) => m !== undefined);
}

/**
 * Rewrites, in place, the hosts file of every running container of user network `net` so
 * that each lists all the others (and, for a container on several user networks, the
 * running containers of each); `leaving` (a container being stopped) is left out of every
 * file. Returns how many files were written. Nothing to do on the default network.
 *
 * @example
 * ```ts ignore
 * await syncNetworkHosts(store, net); // after a container started on it
 * await syncNetworkHosts(store, net, { leaving: rec.Id }); // while it stops
 * ```
 */
export async function syncNetworkHosts(
  store: Store,
  net: NetworkRecord,
  opts: { leaving?: string } = {},
  host: Host = realHost,
): Promise<number> {
  if (net.Name === DEFAULT_NETWORK) return 0;
  if (!(await host.exists(networkDir(store, net.Id)))) return 0;
  return await host.withLock(hostsLock(store, net.Id), async () => {
    const members = await runningMembers(store, net.Id, host, opts.leaving);
    const others = new Map<string, Promise<Member[]>>([[net.Id, Promise.resolve(members)]]);
    const membersOf = (networkId: string) => {
      if (!others.has(networkId)) {
        others.set(networkId, runningMembers(store, networkId, host, opts.leaving));
      }
      return others.get(networkId)!;
    };
    const written = await Promise.all(members.map(async (m) => {
      const sections: NetworkPeers[] = [];
      for (const ep of m.eps) {
        if (!ep.dnsNames?.length) continue; // the default network: no names
        const peers = (await membersOf(ep.networkId)).filter((o) => o.id !== m.id);
        sections.push({ network: ep.network, peers: peers.map((o) => o.ep) });
      }
      const path = `${containerDir(store, m.id)}/hosts`;
      try {
        // in place: the file is bind-mounted into the running container
        await host.writeTextFile(path, endpointsHostsText(m.eps, sections), { create: false });
        return 1;
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err; // removed meanwhile
        return 0;
      }
    }));
    return written.filter((w) => w === 1).length;
  });
}

/**
 * After `rename`: the container's endpoints answer to its new name instead of the old one,
 * and the hosts files of network `net` say so (Docker's rename does the same for its DNS).
 * Nothing to do for a container without an endpoint on `net`.
 *
 * @example
 * ```ts ignore
 * await renameInHosts(store, net, rec.Id, "web", "web2");
 * ```
 */
export async function renameInHosts(
  store: Store,
  net: NetworkRecord,
  id: string,
  oldName: string,
  newName: string,
  host: Host = realHost,
): Promise<void> {
  const eps = await readEndpoints(store, id);
  if (!eps.some((ep) => ep.networkId === net.Id)) return;
  for (const ep of eps) {
    ep.containerName = newName;
    if (ep.dnsNames?.length) {
      ep.dnsNames = [...new Set(ep.dnsNames.map((n) => n === oldName ? newName : n))];
    }
  }
  await writeEndpoints(store, id, eps);
  await syncNetworkHosts(store, net, {}, host);
}

/**
 * Rewrites, in place, the hosts file of running container `id` from its endpoints: its own
 * addresses on each network and the running containers of each of its user networks (after
 * `network connect` or `disconnect`). A missing file (not running) is no error.
 *
 * @example
 * ```ts ignore
 * await rewriteOwnHosts(store, rec.Id);
 * ```
 */
export async function rewriteOwnHosts(
  store: Store,
  id: string,
  host: Host = realHost,
): Promise<void> {
  const eps = await readEndpoints(store, id);
  const sections: NetworkPeers[] = [];
  for (const ep of eps) {
    if (!ep.dnsNames?.length) continue;
    const members = await runningMembers(store, ep.networkId, host, id);
    sections.push({ network: ep.network, peers: members.map((m) => m.ep) });
  }
  try {
    await host.writeTextFile(
      `${containerDir(store, id)}/hosts`,
      endpointsHostsText(eps, sections),
      { create: false },
    );
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}
