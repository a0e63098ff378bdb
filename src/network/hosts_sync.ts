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
import { type EndpointRecord, readEndpoint, writeEndpoint } from "./endpoint.ts";
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
  const names = ownHostNames(ep.hostname ?? "", ep.domainname ?? "");
  const own: HostsEntry[] = ep.hostname
    ? addressesOf(ep).map((address) => ({ address, names }))
    : [];
  return hostsFile({
    extra: ep.extraHosts ?? [],
    own,
    ...(peers
      ? {
        peers: {
          network: ep.network,
          entries: peers.flatMap((p) =>
            addressesOf(p).map((address) => ({ address, names: p.dnsNames ?? [] }))
          ),
        },
      }
      : {}),
  });
}

/** The endpoints of the network's running containers (`leaving` left out), read at once. */
async function runningMembers(
  store: Store,
  net: NetworkRecord,
  host: Host,
  leaving: string | undefined,
): Promise<{ id: string; ep: EndpointRecord }[]> {
  const holders = Object.keys(await readAllocations(store, net.Id)).sort()
    .filter((id) => id !== leaving);
  const found = await Promise.all(holders.map(async (id) => {
    const ep = await readEndpoint(store, id);
    if (!ep || ep.networkId !== net.Id) return undefined;
    if (!(await host.exists(`/sys/class/net/${ep.hostVeth}`))) return undefined;
    return { id, ep };
  }));
  return found.filter((m) => m !== undefined);
}

/**
 * Rewrites, in place, the hosts file of every running container of user network `net` so
 * that each lists all the others; `leaving` (a container being stopped) is left out of every
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
    const members = await runningMembers(store, net, host, opts.leaving);
    const written = await Promise.all(members.map(async (m) => {
      const peers = members.filter((o) => o.id !== m.id).map((o) => o.ep);
      const path = `${containerDir(store, m.id)}/hosts`;
      try {
        // in place: the file is bind-mounted into the running container
        await host.writeTextFile(path, containerHostsText(m.ep, peers), { create: false });
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
 * After `rename`: the container's endpoint answers to its new name instead of the old one, and
 * the network's hosts files say so (Docker's rename does the same for its DNS). Nothing to do
 * for a container without an endpoint on `net`.
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
  const ep = await readEndpoint(store, id);
  if (!ep || ep.networkId !== net.Id) return;
  ep.containerName = newName;
  if (ep.dnsNames?.length) {
    ep.dnsNames = [...new Set(ep.dnsNames.map((n) => n === oldName ? newName : n))];
  }
  await writeEndpoint(store, id, ep);
  await syncNetworkHosts(store, net, {}, host);
}
