/**
 * Which network driver a container's start goes through, chosen here so the runtime need not
 * know the network layer: `none`, `host` and the private namespace (no `--network`) are the
 * runtime's own; `bridge` and a user network's name go through the bridge driver. Also the
 * check that a named network exists (at create), the release of a removed container's
 * addresses, and taking a stopped or removed container's names out of its neighbours' hosts
 * files.
 */
import type { Store } from "../store/store.ts";
import type { ContainerRecord } from "../runtime/container_store.ts";
import type { NetworkConnection } from "../runtime/run_options.ts";
import type { NetworkDriver } from "../runtime/network.ts";
import { realHost } from "../sys/host.ts";
import { joinDriver, joinedName } from "./container_join.ts";
import { containerNetworks } from "../network/attachments.ts";
import { recordFile } from "../network/port_record.ts";

/** The bridge driver's module, loaded only for containers on a bridge network. */
function bridgeModule(): Promise<typeof import("../network/bridge.ts")> {
  return import(new URL("../network/bridge.ts", import.meta.url).href);
}

const RUNTIME_NETWORKS = new Set(["none", "host", "private"]);

/** Whether `--network` names a bridge network (the default `bridge` or a user network). */
export function isBridgeNetwork(network: string): boolean {
  return !RUNTIME_NETWORKS.has(network) && joinedName(network) === undefined;
}

/**
 * The driver for the container's start: the bridge driver for a bridge network, the join
 * driver for `container:NAME`, else undefined (the runtime's own for none, host and private).
 *
 * @example
 * ```ts ignore
 * await startContainer(store, rec, { network: await networkDriverFor(store, rec) });
 * ```
 */
export async function networkDriverFor(
  store: Store,
  rec: ContainerRecord,
): Promise<NetworkDriver | undefined> {
  const network = rec.Options.network;
  const joined = joinedName(network);
  if (joined !== undefined) return joinDriver(store, joined);
  // on no bridge network (a private namespace connected to none, or one whose every network
  // was disconnected) the runtime's own namespace with loopback only
  const conns = containerNetworks(rec.Options);
  if (conns.length === 0) return undefined;
  const { bridgeDriver } = await bridgeModule();
  return bridgeDriver(store, conns[0].name, undefined, (m) => console.error(`WARNING: ${m}`));
}

/**
 * Refuses an unknown network before a container is created (`network NAME not found`), and
 * an `--ip`/`--ip6` outside the network's subnets or held by another container; the default
 * network `bridge` is made on first use.
 *
 * @example
 * ```ts ignore
 * await checkNetworkExists(store, "web", { ip: "172.18.0.9" });
 * ```
 */
export async function checkNetworkExists(
  store: Store,
  network: string,
  request: { ip?: string; ip6?: string; networks?: NetworkConnection[] } = {},
): Promise<void> {
  const conns = request.networks ??
    (isBridgeNetwork(network)
      ? [{
        name: network,
        ...(request.ip ? { ip: request.ip } : {}),
        ...(request.ip6 ? { ip6: request.ip6 } : {}),
      }]
      : []);
  for (const c of conns) {
    const net = await (await bridgeModule()).resolveNetwork(store, c.name);
    if ((c.ip ?? c.ip6) === undefined) continue;
    const { checkAddressRequest }: typeof import("../network/ipam.ts") = await import(
      new URL("../network/ipam.ts", import.meta.url).href
    );
    await checkAddressRequest(store, net, {
      ...(c.ip ? { ipv4: c.ip } : {}),
      ...(c.ip6 ? { ipv6: c.ip6 } : {}),
    });
  }
}

/** The hosts-file rewriting module, loaded only for containers on a bridge network. */
function hostsSyncModule(): Promise<typeof import("../network/hosts_sync.ts")> {
  return import(new URL("../network/hosts_sync.ts", import.meta.url).href);
}

/** The network store's module, loaded only for containers on a bridge network. */
function networkStoreModule(): Promise<typeof import("../network/network_store.ts")> {
  return import(new URL("../network/network_store.ts", import.meta.url).href);
}

/** The user networks (not the default `bridge`) the container is on. */
function userNetworks(rec: ContainerRecord): string[] {
  return containerNetworks(rec.Options).map((c) => c.name).filter((n) => n !== "bridge");
}

/**
 * After `rename`: the neighbours of a container on user networks find it by its new name
 * (not the old one); errors are left to the next start on the network.
 *
 * @example
 * ```ts ignore
 * await renameNetworkNames(store, rec, "web2"); // rec still has the old name
 * ```
 */
export async function renameNetworkNames(
  store: Store,
  rec: ContainerRecord,
  newName: string,
): Promise<void> {
  for (const network of userNetworks(rec)) {
    try {
      const net = await (await networkStoreModule()).findNetwork(store, network);
      await (await hostsSyncModule()).renameInHosts(store, net, rec.Id, rec.Name, newName);
    } catch {
      // the network is gone, or the next start on it will bring the files up to date
    }
  }
}

/**
 * Takes a stopped (or stopping) container's names out of the hosts files of the other
 * running containers on its user networks; errors are left to the next start on it.
 *
 * @example
 * ```ts ignore
 * await leaveNetworkNames(store, rec); // after `stop`
 * ```
 */
export async function leaveNetworkNames(store: Store, rec: ContainerRecord): Promise<void> {
  for (const network of userNetworks(rec)) {
    try {
      const net = await (await networkStoreModule()).findNetwork(store, network);
      await (await hostsSyncModule()).syncNetworkHosts(store, net, { leaving: rec.Id });
    } catch {
      // the network is gone, or the next start on it will bring the files up to date
    }
  }
}

/**
 * Releases every address container `id` held (after it was removed); errors are left to the
 * next set-up on that network, which releases addresses of containers that are gone.
 *
 * @example
 * ```ts ignore
 * await releaseNetworks(store, rec);
 * ```
 */
export async function releaseNetworks(store: Store, rec: ContainerRecord): Promise<void> {
  if (!isBridgeNetwork(rec.Options.network) && containerNetworks(rec.Options).length === 0) {
    return;
  }
  // published ports left by a monitor killed before its tear-down
  if (await realHost.exists(recordFile(store, rec.Id))) {
    const { unpublishPorts }: typeof import("../network/port_publish.ts") = await import(
      new URL("../network/port_publish.ts", import.meta.url).href
    );
    await unpublishPorts(store, rec.Id, realHost).catch(() => {});
  }
  const { releaseContainer }: typeof import("../network/ipam.ts") = await import(
    new URL("../network/ipam.ts", import.meta.url).href
  );
  await releaseContainer(store, rec.Id).catch(() => {});
  await leaveNetworkNames(store, rec);
}
