/**
 * The bridge driver behind the runtime's network seam: before the container starts it makes
 * a network namespace file, an address from IPAM, the network's bridge (with its gateway
 * address, IPv4 forwarding and the network's firewall rules), a veth pair whose container end
 * is created directly in the namespace as `eth0`, and in there the address, the links up and
 * the default route. The monitor unmounts the namespace file after the container's last exit;
 * the namespace's end takes the veth pair with it. The address stays the container's until
 * it is removed (`releaseContainer`), so a restart gets the same one. A container on several
 * networks gets one veth pair per network (`eth1`, `eth2`, ... without the default route), at
 * start and from `network connect` on a running container (`connectRunning`), and loses one
 * with `network disconnect` (`disconnectEndpoint`). Every step treats "already there" /
 * "already gone" as done, so set-up after a crash and tear-down twice work.
 */
import { AlreadyExistsError, FailedPreconditionError, NotFoundError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import { type Host, realHost } from "../sys/host.ts";
import { Netlink, NetNamespace } from "../sys/netlink.ts";
import { containerDir, type ContainerRecord } from "../runtime/container_store.ts";
import { netnsFile, type NetworkAttachment, type NetworkDriver } from "../runtime/network.ts";
import { ensureFirewall, removeFirewall } from "./firewall_apply.ts";
import { readHostRoutes } from "./host_routes.ts";
import { type AddressRequest, allocateAddresses, releaseAddresses, releaseStale } from "./ipam.ts";
import {
  DEFAULT_NETWORK,
  ensureDefaultNetwork,
  findNetwork,
  listNetworks,
  type NetworkRecord,
} from "./network_store.ts";
import { type BridgePlan, bridgePlan, bridgeResolvConf, hostVethName } from "./bridge_plan.ts";
import { type EndpointRecord, readEndpoints, writeEndpoints } from "./endpoint.ts";
import { containerNetworks } from "./attachments.ts";
import type { NetworkConnection } from "../runtime/run_options.ts";
import { applyDnsOverrides } from "./dns_file.ts";
import { HOST_GATEWAY, isUserNetwork, parseExtraHost } from "./endpoint_options.ts";
import { dnsNames } from "./hosts_file.ts";
import { endpointsHostsText, rewriteOwnHosts, syncNetworkHosts } from "./hosts_sync.ts";
import { checkPorts, publishPorts, unpublishPorts } from "./port_publish.ts";
import { linkHosts } from "./links.ts";

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

/**
 * Creates the veth pair and configures the container's end inside the namespace `ns`; the
 * default route goes through `plan`'s gateway only when `defaultRoute` (the first network).
 */
function plugContainer(plan: BridgePlan, ns: string, defaultRoute = true): void {
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
  if (!defaultRoute) return;
  if (plan.gateway) idempotent(() => inside.addRoute({ gateway: plan.gateway }));
  if (plan.ipv6Gateway) idempotent(() => inside.addRoute({ gateway: plan.ipv6Gateway }));
}

/** `--link-local-ip`: more addresses on the container's first interface (host routes, as
 * Docker adds them). */
function addLinkLocal(ns: string, veth: string, ips: readonly string[]): void {
  if (ips.length === 0) return;
  using inside = Netlink.open(ns);
  for (const ip of ips) {
    const cidr = `${ip}/${ip.includes(":") ? 128 : 32}`;
    idempotent(() => inside.addAddress(veth, cidr, { nodad: true }));
  }
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
  conn: NetworkConnection,
): EndpointRecord {
  const o = rec.Options;
  const user = net.Name !== DEFAULT_NETWORK && isUserNetwork(net.Name);
  const aliases = conn.aliases ?? [];
  const gateway = plan.gateway || plan.ipv6Gateway;
  return {
    ...plan,
    ...(o.macAddress && plan.containerVeth === "eth0" ? { mac: o.macAddress } : {}),
    containerName: rec.Name,
    hostname: rec.Hostname,
    domainname: o.domainname ?? "",
    aliases,
    dnsNames: user ? dnsNames(rec.Name, aliases, rec.Id, rec.Hostname) : [],
    extraHosts: (o.extraHosts ?? []).map(parseExtraHost).map((h) => ({
      address: h.address === HOST_GATEWAY ? gateway : h.address,
      names: [h.name],
    })),
    requested: addressRequest(conn),
  };
}

/** The addresses a connection asks for (`--ip`, `--ip6`). */
function addressRequest(conn: NetworkConnection): AddressRequest {
  return { ...(conn.ip ? { ipv4: conn.ip } : {}), ...(conn.ip6 ? { ipv6: conn.ip6 } : {}) };
}

/**
 * Writes the container's hosts and resolv.conf (start.ts wrote the defaults) for its bridge
 * networks; on user networks the hosts files of their running containers are brought up to
 * date as well. Returns a warning about DNS, if any.
 */
async function writeEtc(
  store: Store,
  rec: ContainerRecord,
  nets: readonly NetworkRecord[],
  eps: readonly EndpointRecord[],
  host: Host,
): Promise<string | undefined> {
  const dir = containerDir(store, rec.Id);
  const read = (p: string) => host.readTextFile(p).catch(() => "");
  const sections = eps.filter((ep) => ep.dnsNames?.length).map((ep) => ({
    network: ep.network,
    peers: [],
  }));
  await host.writeFileAtomic(`${dir}/hosts`, endpointsHostsText(eps, sections));
  const o = rec.Options;
  const overrides = { dns: o.dns, search: o.dnsSearch, options: o.dnsOptions };
  const resolv = bridgeResolvConf(
    await read("/etc/resolv.conf"),
    await read("/run/systemd/resolve/resolv.conf"),
  );
  await host.writeFileAtomic(`${dir}/resolv.conf`, applyDnsOverrides(resolv.text, overrides));
  for (const [i, net] of nets.entries()) {
    if (eps[i]?.dnsNames?.length) await syncNetworkHosts(store, net, {}, host);
  }
  // servers given with --dns replace the host's: no warning about those
  return o.dns?.length ? undefined : resolv.warning;
}

/**
 * The monitor's tear-down with published ports: one sh script whose steps are each
 * idempotent (an element already gone is no error); it never fails the clean-up.
 */
function portsTeardown(unpublish: string[]): string[] {
  return ["/bin/sh", "-c", [...unpublish, "exit 0"].join("; ")];
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
      const conns = containerNetworks(rec.Options);
      const nets: NetworkRecord[] = [];
      for (const c of conns) nets.push(await resolveNetwork(store, c.name, host));
      await checkPorts(store, rec, host); // a taken host port: refused before anything is made
      const links = await linkHosts(store, rec, nets, host); // --link: refused before, too
      const plans: BridgePlan[] = [];
      for (const [i, net] of nets.entries()) {
        // addresses of containers removed while no skiff process could release them (--rm -d)
        await releaseStale(store, net, (id) => host.exists(containerDir(store, id)));
        const addresses = await allocateAddresses(store, net, rec.Id, addressRequest(conns[i]));
        const plan = bridgePlan(net, rec.Id, addresses, i);
        if (i === 0 && rec.Options.macAddress) plan.mac = rec.Options.macAddress;
        await ensureBridge(store, net, plan, host);
        plans.push(plan);
      }
      const ns = netnsFile(store, rec.Id);
      NetNamespace.remove(ns); // a stale one, from a monitor killed before its tear-down
      NetNamespace.create(ns);
      let unpublish: string[] = [];
      try {
        const eps: EndpointRecord[] = [];
        for (const [i, plan] of plans.entries()) {
          plugContainer(plan, ns, i === 0);
          eps.push(endpointRecord(rec, nets[i], plan, conns[i]));
        }
        if (eps.length > 0) eps[0].extraHosts = [...(eps[0].extraHosts ?? []), ...links];
        for (const [i, plan] of plans.entries()) {
          // run's --link-local-ip is eth0's; network connect's are its connection's
          const ips = conns[i].linkLocalIps ?? (i === 0 ? rec.Options.linkLocalIps : undefined);
          addLinkLocal(ns, plan.containerVeth, ips ?? []);
        }
        if (plans.length === 0) {
          using inside = Netlink.open(ns);
          inside.setLinkUp("lo"); // every network disconnected: loopback only
        }
        await writeEndpoints(store, rec.Id, eps);
        const warning = await writeEtc(store, rec, nets, eps, host);
        if (warning) warn(warning);
        if (plans.length > 0) {
          unpublish = await publishPorts(store, rec, {
            bridge: plans[0].bridge,
            containerIp: plans[0].ipAddress,
          }, host);
        }
      } catch (err) {
        await this.tearDown(rec).catch(() => {});
        throw err;
      }
      // the monitor unmounts the file itself after the last exit (no umount process); with
      // published ports it also runs their removal
      return {
        namespace: { kind: "own", path: ns },
        hook: [],
        teardown: unpublish.length ? portsTeardown(unpublish) : [],
        releaseNamespace: true,
      };
    },
    async tearDown(rec: ContainerRecord): Promise<void> {
      await unpublishPorts(store, rec.Id, host);
      NetNamespace.remove(netnsFile(store, rec.Id));
      const eps = await readEndpoints(store, rec.Id);
      {
        using nl = Netlink.open();
        gone(() => nl.deleteLink(hostVethName(rec.Id)));
        for (const ep of eps) gone(() => nl.deleteLink(ep.hostVeth));
      }
      // a start that failed after its set-up: its neighbours forget it again
      for (const c of containerNetworks(rec.Options)) {
        const net = await findNetwork(store, c.name).catch(() => undefined);
        if (net) await syncNetworkHosts(store, net, { leaving: rec.Id }, host).catch(() => {});
      }
    },
  };
}

/**
 * Connects container `rec`, running in the network namespace `ns` (its namespace file, or
 * its process's), to the bridge network of `conn`: an address (the one asked for, or the
 * lowest free), the next free `eth<N>` (the default route only when it has no other
 * interface), its endpoint recorded, and the hosts files of its networks rewritten. On an
 * error nothing of it is left.
 *
 * @example
 * ```ts ignore
 * await connectRunning(store, rec, { name: "web", aliases: ["db"] }, netnsFile(store, rec.Id));
 * ```
 */
export async function connectRunning(
  store: Store,
  rec: ContainerRecord,
  conn: NetworkConnection,
  ns: string,
  host: Host = realHost,
): Promise<EndpointRecord> {
  const net = await resolveNetwork(store, conn.name, host);
  const eps = await readEndpoints(store, rec.Id);
  if (eps.some((ep) => ep.networkId === net.Id)) {
    throw new AlreadyExistsError(
      `endpoint with name ${rec.Name} already exists in network ${net.Name}`,
    );
  }
  await releaseStale(store, net, (id) => host.exists(containerDir(store, id)));
  const taken = new Set(eps.map((ep) => ep.containerVeth));
  let index = 0;
  while (taken.has(`eth${index}`)) index++;
  const addresses = await allocateAddresses(store, net, rec.Id, addressRequest(conn));
  const plan = bridgePlan(net, rec.Id, addresses, index);
  try {
    await ensureBridge(store, net, plan, host);
    plugContainer(plan, ns, eps.length === 0);
    addLinkLocal(ns, plan.containerVeth, conn.linkLocalIps ?? []);
    const ep = endpointRecord(rec, net, plan, conn);
    await writeEndpoints(store, rec.Id, [...eps, ep]);
    await syncNetworkHosts(store, net, {}, host);
    await rewriteOwnHosts(store, rec.Id, host);
    return ep;
  } catch (err) {
    {
      using nl = Netlink.open();
      gone(() => nl.deleteLink(plan.hostVeth));
    }
    await writeEndpoints(store, rec.Id, eps).catch(() => {});
    await releaseAddresses(store, net, rec.Id).catch(() => {});
    throw err;
  }
}

/**
 * Takes container `rec` off network `net`: the veth pair of its endpoint there (when it
 * runs), its published ports when they went to that endpoint, the endpoint's record, its
 * addresses, and its names in the network's hosts files; its own hosts file forgets the
 * network's containers. When the first endpoint goes while the container runs in `ns`, the
 * default route moves to the next one's gateway (as Docker moves it). What is already gone
 * is no error.
 *
 * @example
 * ```ts ignore
 * await disconnectEndpoint(store, rec, net, netnsFile(store, rec.Id));
 * ```
 */
export async function disconnectEndpoint(
  store: Store,
  rec: ContainerRecord,
  net: NetworkRecord,
  ns?: string,
  host: Host = realHost,
): Promise<void> {
  const eps = await readEndpoints(store, rec.Id);
  const ep = eps.find((e) => e.networkId === net.Id);
  if (ep) {
    {
      using nl = Netlink.open();
      gone(() => nl.deleteLink(ep.hostVeth));
    }
    const rest = eps.filter((e) => e !== ep);
    if (ep === eps[0]) {
      await unpublishPorts(store, rec.Id, host);
      if (ns !== undefined && rest.length > 0) {
        using inside = Netlink.open(ns);
        if (rest[0].gateway) idempotent(() => inside.addRoute({ gateway: rest[0].gateway }));
        if (rest[0].ipv6Gateway) {
          idempotent(() => inside.addRoute({ gateway: rest[0].ipv6Gateway }));
        }
      }
    }
    await writeEndpoints(store, rec.Id, rest);
  }
  await releaseAddresses(store, net, rec.Id);
  await syncNetworkHosts(store, net, { leaving: rec.Id }, host);
  await rewriteOwnHosts(store, rec.Id, host);
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
