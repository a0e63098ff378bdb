/**
 * The bridge driver behind the runtime's network seam: before the container starts it makes
 * a network namespace file, an address from IPAM, the network's bridge (with its gateway
 * address, IPv4 forwarding and the network's firewall rules), a veth pair whose container end
 * is created directly in the namespace as `eth0`, and in there the address, the links up and
 * the default route. The monitor unmounts the namespace file after the container's last exit;
 * the namespace's end takes the veth pair with it. The address stays the container's until
 * it is removed (`releaseContainer`), so a restart gets the same one. Every step treats
 * "already there" / "already gone" as done, so set-up after a crash and tear-down twice work.
 */
import { AlreadyExistsError, FailedPreconditionError, NotFoundError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import { type Host, realHost } from "../sys/host.ts";
import { Netlink, NetNamespace } from "../sys/netlink.ts";
import { containerDir, type ContainerRecord } from "../runtime/container_store.ts";
import { netnsFile, type NetworkAttachment, type NetworkDriver } from "../runtime/network.ts";
import { ensureFirewall, removeFirewall } from "./firewall_apply.ts";
import { readHostRoutes } from "./host_routes.ts";
import { allocateAddresses, releaseStale } from "./ipam.ts";
import {
  DEFAULT_NETWORK,
  ensureDefaultNetwork,
  findNetwork,
  listNetworks,
  type NetworkRecord,
} from "./network_store.ts";
import { type BridgePlan, bridgePlan, bridgeResolvConf, hostVethName } from "./bridge_plan.ts";
import { type EndpointRecord, writeEndpoint } from "./endpoint.ts";
import { applyDnsOverrides } from "./dns_file.ts";
import { HOST_GATEWAY, isUserNetwork, parseExtraHost } from "./endpoint_options.ts";
import { dnsNames } from "./hosts_file.ts";
import { containerHostsText, syncNetworkHosts } from "./hosts_sync.ts";

const UMOUNT_PATHS = ["/usr/bin/umount", "/bin/umount", "/usr/sbin/umount", "/sbin/umount"];

/** Runs a kernel call; "already exists" counts as done. */
function idempotent(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof AlreadyExistsError)) throw err;
  }
}

/** Runs a removal; "not found" counts as done. */
function gone(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
}

/**
 * The network record a `--network` value names: `bridge` is the default network (created on
 * first use, on a subnet none of the host's routes use), anything else a user network.
 *
 * @example
 * ```ts ignore
 * const net = await resolveNetwork(store, "bridge");
 * ```
 */
export async function resolveNetwork(
  store: Store,
  name: string,
  host: Host = realHost,
): Promise<NetworkRecord> {
  if (name === DEFAULT_NETWORK) {
    return await ensureDefaultNetwork(store, { routes: await readHostRoutes(host) });
  }
  return await findNetwork(store, name);
}

/**
 * Makes the network's bridge exist, be up and carry its gateway addresses; turns on IPv4
 * forwarding and installs the network's firewall rules (once).
 *
 * @example
 * ```ts ignore
 * await ensureBridge(store, plan);
 * ```
 */
export async function ensureBridge(
  store: Store,
  net: NetworkRecord,
  plan: BridgePlan,
  host: Host = realHost,
): Promise<void> {
  using nl = Netlink.open();
  if (!nl.linkInfo(plan.bridge)) {
    idempotent(() => nl.createBridge(plan.bridge, plan.mtu ? { mtu: plan.mtu } : {}));
  }
  for (const cidr of plan.bridgeAddresses) {
    idempotent(() => nl.addAddress(plan.bridge, cidr, { nodad: true }));
  }
  nl.setLinkUp(plan.bridge);
  const forwarding = "/proc/sys/net/ipv4/ip_forward";
  if ((await host.readTextFile(forwarding).catch(() => "")).trim() !== "1") {
    await host.writeTextFile(forwarding, "1\n", { create: false });
  }
  const others = (await listNetworks(store)).filter((n) => n.Id !== net.Id).map((n) => n.Bridge);
  await ensureFirewall(store, host, {
    name: net.Name,
    bridge: net.Bridge,
    subnets: net.IPAM.Config.map((c) => c.Subnet).filter((s) => !s.includes(":")),
    internal: net.Internal,
  }, others);
}

/** Creates the veth pair and configures the container's end inside the namespace `ns`. */
function plugContainer(plan: BridgePlan, ns: string): void {
  using nl = Netlink.open();
  gone(() => nl.deleteLink(plan.hostVeth)); // left by a monitor killed before its tear-down
  nl.createVeth(plan.hostVeth, plan.containerVeth, {
    peerNamespace: ns,
    ...(plan.mtu ? { mtu: plan.mtu } : {}),
  });
  nl.setMaster(plan.hostVeth, plan.bridge);
  nl.setLinkUp(plan.hostVeth);
  using inside = Netlink.open(ns);
  if (plan.mac) inside.setMacAddress(plan.containerVeth, plan.mac);
  for (const cidr of plan.addresses) {
    idempotent(() => inside.addAddress(plan.containerVeth, cidr, { nodad: true }));
  }
  inside.setLinkUp(plan.containerVeth);
  inside.setLinkUp("lo");
  if (plan.gateway) idempotent(() => inside.addRoute({ gateway: plan.gateway }));
  if (plan.ipv6Gateway) idempotent(() => inside.addRoute({ gateway: plan.ipv6Gateway }));
}

/**
 * What the container's endpoint record holds: the plan (with `--mac-address`), its names on
 * the network (none on the default network, where names do not resolve) and its
 * `--add-host` entries with `host-gateway` as the network's gateway.
 */
function endpointRecord(
  rec: ContainerRecord,
  net: NetworkRecord,
  plan: BridgePlan,
): EndpointRecord {
  const o = rec.Options;
  const user = net.Name !== DEFAULT_NETWORK && isUserNetwork(net.Name);
  const aliases = o.networkAliases ?? [];
  const gateway = plan.gateway || plan.ipv6Gateway;
  return {
    ...plan,
    ...(o.macAddress ? { mac: o.macAddress } : {}),
    containerName: rec.Name,
    hostname: rec.Hostname,
    domainname: o.domainname ?? "",
    aliases,
    dnsNames: user ? dnsNames(rec.Name, aliases, rec.Id, rec.Hostname) : [],
    extraHosts: (o.extraHosts ?? []).map(parseExtraHost).map((h) => ({
      address: h.address === HOST_GATEWAY ? gateway : h.address,
      names: [h.name],
    })),
    requested: {
      ...(o.ip ? { ipv4: o.ip } : {}),
      ...(o.ip6 ? { ipv6: o.ip6 } : {}),
    },
  };
}

/**
 * Writes the container's hosts and resolv.conf (start.ts wrote the defaults) for the bridge;
 * on a user network the hosts files of the network's running containers are brought up to
 * date as well. Returns a warning about DNS, if any.
 */
async function writeEtc(
  store: Store,
  rec: ContainerRecord,
  net: NetworkRecord,
  ep: EndpointRecord,
  host: Host,
): Promise<string | undefined> {
  const dir = containerDir(store, rec.Id);
  const read = (p: string) => host.readTextFile(p).catch(() => "");
  await host.writeFileAtomic(
    `${dir}/hosts`,
    containerHostsText(ep, ep.dnsNames?.length ? [] : undefined),
  );
  const o = rec.Options;
  const overrides = { dns: o.dns, search: o.dnsSearch, options: o.dnsOptions };
  const resolv = bridgeResolvConf(
    await read("/etc/resolv.conf"),
    await read("/run/systemd/resolve/resolv.conf"),
  );
  await host.writeFileAtomic(`${dir}/resolv.conf`, applyDnsOverrides(resolv.text, overrides));
  if (ep.dnsNames?.length) await syncNetworkHosts(store, net, {}, host);
  // servers given with --dns replace the host's: no warning about those
  return o.dns?.length ? undefined : resolv.warning;
}

/**
 * The bridge driver for `--network NAME` (`bridge`: the default network).
 *
 * @example
 * ```ts ignore
 * await startContainer(store, rec, { network: bridgeDriver(store, "bridge") });
 * ```
 */
export function bridgeDriver(
  store: Store,
  name: string,
  host: Host = realHost,
  warn: (message: string) => void = () => {},
): NetworkDriver {
  return {
    name,
    async setUp(rec: ContainerRecord): Promise<NetworkAttachment> {
      if (host.uid() !== 0) {
        throw new FailedPreconditionError(
          `network ${name} needs root: bridge networks are not available rootless yet (use --network none or host)`,
        );
      }
      const net = await resolveNetwork(store, name, host);
      // addresses of containers removed while no skiff process could release them (--rm -d)
      await releaseStale(store, net, (id) => host.exists(containerDir(store, id)));
      const o = rec.Options;
      const addresses = await allocateAddresses(store, net, rec.Id, {
        ...(o.ip ? { ipv4: o.ip } : {}),
        ...(o.ip6 ? { ipv6: o.ip6 } : {}),
      });
      const plan = bridgePlan(net, rec.Id, addresses);
      if (o.macAddress) plan.mac = o.macAddress;
      await ensureBridge(store, net, plan, host);
      const ns = netnsFile(store, rec.Id);
      NetNamespace.remove(ns); // a stale one, from a monitor killed before its tear-down
      NetNamespace.create(ns);
      try {
        plugContainer(plan, ns);
        const ep = endpointRecord(rec, net, plan);
        await writeEndpoint(store, rec.Id, ep);
        const warning = await writeEtc(store, rec, net, ep, host);
        if (warning) warn(warning);
      } catch (err) {
        await this.tearDown(rec).catch(() => {});
        throw err;
      }
      let umount: string | undefined;
      for (const p of UMOUNT_PATHS) if (!umount && await host.exists(p)) umount = p;
      // Without umount the file stays mounted until the container is removed.
      return {
        namespace: { kind: "own", path: ns },
        hook: [],
        teardown: umount ? [umount, ns] : [],
      };
    },
    async tearDown(rec: ContainerRecord): Promise<void> {
      NetNamespace.remove(netnsFile(store, rec.Id));
      {
        using nl = Netlink.open();
        gone(() => nl.deleteLink(hostVethName(rec.Id)));
      }
      // a start that failed after its set-up: its neighbours forget it again
      const net = await findNetwork(store, name).catch(() => undefined);
      if (net) await syncNetworkHosts(store, net, { leaving: rec.Id }, host).catch(() => {});
    },
  };
}

/**
 * Removes what a network left on the host once it is removed from the store: its bridge
 * device and its firewall rules; what is already gone is no error.
 *
 * @example
 * ```ts ignore
 * await tearDownNetwork(store, await removeNetwork(store, "web"));
 * ```
 */
export async function tearDownNetwork(
  store: Store,
  net: NetworkRecord,
  host: Host = realHost,
): Promise<void> {
  {
    using nl = Netlink.open();
    gone(() => nl.deleteLink(net.Bridge));
  }
  await removeFirewall(store, host, net.Name, net.Bridge);
}
