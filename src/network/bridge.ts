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
import { AlreadyExistsError, FailedPreconditionError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import { type Host, realHost } from "../sys/host.ts";
import { netBatch, type NetOp } from "../sys/netlink_batch.ts";
import { containerDir, type ContainerRecord, getContainer } from "../runtime/container_store.ts";
import { netnsFile, type NetworkAttachment, type NetworkDriver } from "../runtime/network.ts";
import { ensureFirewall, removeFirewall } from "./firewall_apply.ts";
import { type AddressRequest, allocateAddresses, releaseAddresses, releaseStale } from "./ipam.ts";
import {
  DEFAULT_NETWORK,
  ensureDefaultNetwork,
  findNetwork,
  listNetworks,
  type NetworkRecord,
} from "./network_store.ts";
import { type BridgePlan, bridgePlan, bridgeResolvConf, hostVethName } from "./bridge_plan.ts";
import { type EndpointRecord, networkLockFile, readEndpoints, writeEndpoints } from "./endpoint.ts";
import { containerNetworks } from "./attachments.ts";
import type { NetworkConnection } from "../runtime/run_options.ts";
import { applyDnsOverrides } from "./dns_file.ts";
import { HOST_GATEWAY, isUserNetwork, parseExtraHost } from "./endpoint_options.ts";
import { dnsNames } from "./hosts_file.ts";
import { endpointsHostsText, rewriteOwnHosts, syncNetworkHosts } from "./hosts_sync.ts";
import { activeBindings, recordFile, wantedBindings } from "./port_record.ts";
import { assetPath } from "../sys/assets.ts";

/** Publishing ports (port_publish.ts and the firewall's texts), loaded only when used. */
function portsModule(): Promise<typeof import("./port_publish.ts")> {
  return import(new URL("./port_publish.ts", import.meta.url).href);
}

/**
 * Whether the container has ports to publish or a record of published ones (from a monitor
 * killed before its tear-down); without either, the port modules are not loaded.
 */
async function hasPorts(store: Store, rec: ContainerRecord, host: Host): Promise<boolean> {
  return wantedBindings(rec).length > 0 || await host.exists(recordFile(store, rec.Id));
}

/** Removes what container `id` published, if it published anything. */
async function unpublishPorts(store: Store, id: string, host: Host): Promise<void> {
  if (!(await host.exists(recordFile(store, id)))) return;
  await (await portsModule()).unpublishPorts(store, id, host);
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
    // the host's routes are read only to choose the subnet of a new default network
    const existing = (await listNetworks(store)).find((n) => n.Name === DEFAULT_NETWORK);
    if (existing) return existing;
    const { readHostRoutes }: typeof import("./host_routes.ts") = await import(
      new URL("./host_routes.ts", import.meta.url).href
    );
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
  await ensureBridgeHost(store, net, host);
  netBatch(bridgeOps(plan));
}

/** The operations that make the bridge of `plan` exist, carry its gateway addresses, be up. */
function bridgeOps(plan: BridgePlan): NetOp[] {
  return [
    ["bridge", plan.bridge, String(plan.mtu)],
    ...plan.bridgeAddresses.map((cidr) => ["addr", plan.bridge, ...cidrParts(cidr)]),
    ["up", plan.bridge],
  ];
}

/** "10.88.0.2/16" as ["10.88.0.2", "16"]. */
function cidrParts(cidr: string): [string, string] {
  const slash = cidr.lastIndexOf("/");
  return [cidr.slice(0, slash), cidr.slice(slash + 1)];
}

/** What a bridge network needs of the host besides its device: forwarding and its rules. */
async function ensureBridgeHost(
  store: Store,
  net: NetworkRecord,
  host: Host,
): Promise<void> {
  const forwarding = "/proc/sys/net/ipv4/ip_forward";
  if ((await host.readTextFile(forwarding).catch(() => "")).trim() !== "1") {
    await host.writeTextFile(forwarding, "1\n", { create: false });
  }
  const others = async () =>
    (await listNetworks(store)).filter((n) => n.Id !== net.Id).map((n) => n.Bridge);
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
function plugOps(plan: BridgePlan, ns: string, defaultRoute = true): NetOp[] {
  const ops: NetOp[] = [
    ["ns", "-"],
    ["del", plan.hostVeth], // left by a monitor killed before its tear-down
    ["veth", plan.hostVeth, plan.containerVeth, String(plan.mtu), ns],
    ["master", plan.hostVeth, plan.bridge],
    ["up", plan.hostVeth],
    ["ns", ns],
  ];
  if (plan.mac) ops.push(["mac", plan.containerVeth, plan.mac]);
  for (const cidr of plan.addresses) ops.push(["addr", plan.containerVeth, ...cidrParts(cidr)]);
  ops.push(["up", plan.containerVeth], ["up", "lo"]);
  if (!defaultRoute) return ops;
  if (plan.gateway) ops.push(["route", plan.gateway]);
  if (plan.ipv6Gateway) ops.push(["route", plan.ipv6Gateway]);
  return ops;
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
 * Takes the lock at `path` and keeps it until the returned function is called (calling it
 * again does nothing more); the kernel lets go of it if the process dies.
 */
async function holdLock(host: Host, path: string): Promise<() => Promise<void>> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => release = resolve);
  let acquired!: () => void;
  const got = new Promise<void>((resolve) => acquired = resolve);
  const done = host.withLock(path, () => {
    acquired();
    return held;
  });
  await Promise.race([got, done]); // `done` fails when the lock cannot be taken
  return async () => {
    release();
    await done;
  };
}

/**
 * The bridge driver for `--network NAME` (`bridge`: the default network). From its set-up
 * until the container runs (`started`) or the start fails (`tearDown`) it holds the
 * container's network lock, so a `network connect` or `disconnect` at the same moment comes
 * wholly before the start (and the set-up reads the networks it left in the record) or
 * wholly after it (and finds the container running).
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
  let unlock = () => Promise.resolve();

  async function setUpLocked(given: ContainerRecord): Promise<NetworkAttachment> {
    // the networks as they are now: those of a `network connect` just before are in it
    const rec = await getContainer(store, given.Id) ?? given;
    const conns = containerNetworks(rec.Options);
    const nets: NetworkRecord[] = [];
    for (const c of conns) nets.push(await resolveNetwork(store, c.name, host));
    const ports = await hasPorts(store, rec, host) ? await portsModule() : undefined;
    // a taken host port: refused before anything is made
    await ports?.checkPorts(store, rec, host, nets[0]?.EnableIPv6 ?? false);
    const plans: BridgePlan[] = [];
    for (const [i, net] of nets.entries()) {
      // addresses of containers removed while no skiff process could release them (--rm -d)
      await releaseStale(store, net, (id) => host.exists(containerDir(store, id)));
      const addresses = await allocateAddresses(store, net, rec.Id, addressRequest(conns[i]));
      const plan = bridgePlan(net, rec.Id, addresses, i);
      if (i === 0 && rec.Options.macAddress) plan.mac = rec.Options.macAddress;
      await ensureBridgeHost(store, net, host);
      plans.push(plan);
    }
    const ns = netnsFile(store, rec.Id);
    // the bridges, a new namespace (replacing a stale one, from a monitor killed before its
    // tear-down) and every interface in it: one call into the C library
    let unpublish: string[] = [];
    let proxy: string[] = [];
    try {
      netBatch([
        ...plans.flatMap(bridgeOps),
        ["netns-remove", ns],
        ["netns-create", ns],
        ...(plans.length === 0
          ? [["ns", ns], ["up", "lo"]] // every network disconnected: loopback only
          : plans.flatMap((plan, i) => plugOps(plan, ns, i === 0))),
      ]);
      const eps = plans.map((plan, i) => endpointRecord(rec, nets[i], plan, conns[i]));
      await writeEndpoints(store, rec.Id, eps);
      const warning = await writeEtc(store, rec, nets, eps, host);
      if (warning) warn(warning);
      if (plans.length > 0 && ports) {
        unpublish = await ports.publishPorts(store, rec, {
          bridge: plans[0].bridge,
          containerIp: plans[0].ipAddress,
          containerIp6: plans[0].ipv6Address,
        }, host);
        const forwards = await activeBindings(store, rec.Id, host);
        proxy = ports.loopbackProxy(forwards, plans[0].ipAddress);
      }
    } catch (err) {
      await tearDownEndpoints(rec).catch(() => {});
      throw err;
    }
    // the monitor unmounts the file itself after the last exit (no umount process); with
    // published ports it also runs their removal
    return {
      namespace: { kind: "own", path: ns },
      // [::1]:PORT: a proxy the monitor starts, which ends with the container's process
      hook: proxy.length ? [assetPath("skiff-portproxy"), ...proxy] : [],
      teardown: unpublish.length ? portsTeardown(unpublish) : [],
      releaseNamespace: true,
    };
  }

  /** Removes what a set-up of `rec` made (its namespace, veths, ports and names). */
  async function tearDownEndpoints(rec: ContainerRecord): Promise<void> {
    await unpublishPorts(store, rec.Id, host);
    const eps = await readEndpoints(store, rec.Id);
    netBatch([
      ["netns-remove", netnsFile(store, rec.Id)],
      ["del", hostVethName(rec.Id)],
      ...eps.map((ep) => ["del", ep.hostVeth]),
    ]);
    // a start that failed after its set-up: its neighbours forget it again
    for (const c of containerNetworks(rec.Options)) {
      const net = await findNetwork(store, c.name).catch(() => undefined);
      if (net) await syncNetworkHosts(store, net, { leaving: rec.Id }, host).catch(() => {});
    }
  }

  return {
    name,
    async setUp(given: ContainerRecord): Promise<NetworkAttachment> {
      if (host.uid() !== 0) {
        throw new FailedPreconditionError(
          `network ${name} needs root: bridge networks are not available rootless yet (use --network none or host)`,
        );
      }
      unlock = await holdLock(host, networkLockFile(store, given.Id));
      try {
        return await setUpLocked(given);
      } catch (err) {
        await unlock();
        throw err;
      }
    },
    async started(): Promise<void> {
      await unlock();
    },
    async tearDown(rec: ContainerRecord): Promise<void> {
      try {
        await tearDownEndpoints(rec);
      } finally {
        await unlock();
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
    netBatch(plugOps(plan, ns, eps.length === 0));
    const ep = endpointRecord(rec, net, plan, conn);
    await writeEndpoints(store, rec.Id, [...eps, ep]);
    await syncNetworkHosts(store, net, {}, host);
    await rewriteOwnHosts(store, rec.Id, host);
    return ep;
  } catch (err) {
    netBatch([["del", plan.hostVeth]]);
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
    netBatch([["del", ep.hostVeth]]);
    const rest = eps.filter((e) => e !== ep);
    if (ep === eps[0]) {
      await unpublishPorts(store, rec.Id, host);
      if (ns !== undefined && rest.length > 0) {
        const gateways = [rest[0].gateway, rest[0].ipv6Gateway].filter((g) => g);
        netBatch([["ns", ns], ...gateways.map((g) => ["route", g])]);
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
  netBatch([["del", net.Bridge]]);
  await removeFirewall(store, host, net.Name, net.Bridge);
}
