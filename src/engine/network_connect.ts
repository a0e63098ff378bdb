/**
 * `network connect` and `network disconnect`: a container's list of bridge networks changes
 * (its options' `networks`), and when it runs, its network namespace gets (or loses) the
 * interface, address and names of that network at once. A created or stopped container only
 * has its list changed (its addresses are taken at its next start). Everything is checked
 * before anything changes; one container's changes are serialised by its network lock, which
 * its start on a bridge network holds as well (the bridge driver, from its set-up until the
 * container runs): a change comes wholly before a start, or wholly after it.
 *
 * @module
 */
import { emitNetworkEvent } from "./events.ts";
import { AlreadyExistsError, FailedPreconditionError, NotFoundError } from "../errors.ts";
import { withLock } from "../store/lock.ts";
import { openStore, type Store } from "../store/store.ts";
import {
  type ContainerRecord,
  findContainer,
  getContainer,
  putContainer,
} from "../runtime/container_store.ts";
import { netnsFile } from "../runtime/network.ts";
import type { NetworkConnection } from "../runtime/run_options.ts";
import { currentState } from "../runtime/state.ts";
import { isRunning, isSupervised } from "../runtime/status.ts";
import { containerNetworks } from "../network/attachments.ts";
import { checkAddressRequest } from "../network/ipam.ts";
import { DEFAULT_NETWORK, findNetwork, type NetworkRecord } from "../network/network_store.ts";
import { checkEndpointFlags } from "../network/endpoint_options.ts";
import { networkLockFile } from "../network/endpoint.ts";
import { realHost } from "../sys/host.ts";
import type { StoreOptions } from "./engine_types.ts";

/** What `network connect` asks for on the network. */
export interface ConnectOptions {
  /** --ip */
  ip?: string;
  /** --ip6 */
  ip6?: string;
  /** --alias */
  aliases?: string[];
}

/** Docker's refusals of a network change for a container of another network mode. */
const HOST_CONFLICT =
  "container cannot be disconnected from host network or connected to host network";
const SHARED_CONFLICT =
  "container sharing network namespace with another container or host cannot be connected to any other network";
const NONE_CONFLICT =
  "container cannot be connected to multiple networks with one of the networks in private (none) mode";

/** The bridge driver's module (its C calls), loaded only when a running container changes. */
function bridgeModule(): Promise<typeof import("../network/bridge.ts")> {
  return import(new URL("../network/bridge.ts", import.meta.url).href);
}

/**
 * The network namespace to change for a container that is up: its namespace file (a bridge
 * container, also between restarts), else its process's; undefined when it is not up.
 */
async function liveNamespace(store: Store, rec: ContainerRecord): Promise<string | undefined> {
  const state = await currentState(store, rec);
  const file = netnsFile(store, rec.Id);
  if (isSupervised(state.Status) && await realHost.exists(file)) return file;
  if (isRunning(state.Status) && state.Pid > 0) return `/proc/${state.Pid}/ns/net`;
  return undefined;
}

/** The network `ref` names (`bridge`: the default one, made on first use). */
async function networkNamed(store: Store, ref: string): Promise<NetworkRecord> {
  if (ref === "host") throw new FailedPreconditionError(HOST_CONFLICT);
  if (ref === "none") throw new FailedPreconditionError(NONE_CONFLICT);
  return await (await bridgeModule()).resolveNetwork(store, ref);
}

/** Refuses a container whose network mode cannot take another network, as Docker does. */
function checkMode(rec: ContainerRecord): void {
  const mode = rec.Options.network;
  if (mode === "host" || mode.startsWith("container:")) {
    throw new FailedPreconditionError(SHARED_CONFLICT);
  }
  if (mode === "none") throw new FailedPreconditionError(NONE_CONFLICT);
}

/**
 * Connects container `containerRef` to network `networkRef` (`docker network connect`): one
 * line errors, as Docker's, for a missing container or network, a container already on it,
 * one on `host`, `none` or `container:`, `--ip`/`--alias` on the default network, and an
 * address outside the network or taken; then nothing has changed.
 *
 * @example
 * ```ts ignore
 * await connectContainer({}, "web", "app", { aliases: ["api"] });
 * ```
 */
export async function connectContainer(
  where: StoreOptions,
  networkRef: string,
  containerRef: string,
  opts: ConnectOptions = {},
): Promise<void> {
  const store = await openStore(where);
  const found = await findContainer(store, containerRef);
  const net = await networkNamed(store, networkRef);
  checkMode(found);
  const checked = checkEndpointFlags({
    network: net.Name,
    ip: opts.ip,
    ip6: opts.ip6,
    aliases: opts.aliases ?? [],
  });
  const conn: NetworkConnection = {
    name: net.Name,
    ...(checked.ip !== undefined ? { ip: checked.ip } : {}),
    ...(checked.ip6 !== undefined ? { ip6: checked.ip6 } : {}),
    ...(opts.aliases?.length ? { aliases: [...opts.aliases] } : {}),
  };
  await checkAddressRequest(store, net, {
    ...(conn.ip ? { ipv4: conn.ip } : {}),
    ...(conn.ip6 ? { ipv6: conn.ip6 } : {}),
  });
  await withLock(networkLockFile(store, found.Id), async () => {
    const rec = await getContainer(store, found.Id);
    if (!rec) throw new NotFoundError(`No such container: ${containerRef}`);
    const conns = containerNetworks(rec.Options);
    if (conns.some((c) => c.name === net.Name)) {
      throw new AlreadyExistsError(
        `endpoint with name ${rec.Name} already exists in network ${net.Name}`,
      );
    }
    const ns = await liveNamespace(store, rec);
    const updated: ContainerRecord = {
      ...rec,
      Options: { ...rec.Options, networks: [...conns, conn] },
    };
    if (ns === undefined) return await putContainer(store, updated);
    const bridge = await bridgeModule();
    await bridge.connectRunning(store, updated, conn, ns);
    try {
      await putContainer(store, updated);
    } catch (err) {
      await bridge.disconnectEndpoint(store, updated, net, ns).catch(() => {});
      throw err;
    }
  });
  await emitNetworkEvent(
    store,
    "connect",
    { id: net.Id, name: net.Name, driver: net.Driver },
    found.Id,
  );
}

/**
 * Disconnects container `containerRef` from network `networkRef` (`docker network
 * disconnect`): when it runs, its interface, address and names there go at once. One-line
 * errors, as Docker's, for a missing container or network and a container not on it; with
 * `force`, a network removed meanwhile is still taken off the container's list.
 *
 * @example
 * ```ts ignore
 * await disconnectContainer({}, "web", "app");
 * ```
 */
export async function disconnectContainer(
  where: StoreOptions,
  networkRef: string,
  containerRef: string,
  opts: { force?: boolean } = {},
): Promise<void> {
  const store = await openStore(where);
  const found = await findContainer(store, containerRef);
  if (networkRef === "host" && found.Options.network === "host") {
    throw new FailedPreconditionError(HOST_CONFLICT);
  }
  let net: NetworkRecord | undefined;
  try {
    net = networkRef === DEFAULT_NETWORK
      ? await (await bridgeModule()).resolveNetwork(store, networkRef)
      : await findNetwork(store, networkRef);
  } catch (err) {
    if (!(opts.force && err instanceof NotFoundError)) throw err;
  }
  const name = net?.Name ?? networkRef;
  await withLock(networkLockFile(store, found.Id), async () => {
    const rec = await getContainer(store, found.Id);
    if (!rec) throw new NotFoundError(`No such container: ${containerRef}`);
    const conns = containerNetworks(rec.Options);
    if (!conns.some((c) => c.name === name)) {
      throw new FailedPreconditionError(
        `container ${rec.Id} is not connected to network ${name}`,
      );
    }
    const updated: ContainerRecord = {
      ...rec,
      Options: { ...rec.Options, networks: conns.filter((c) => c.name !== name) },
    };
    const ns = await liveNamespace(store, rec);
    // the record first: a crash in between leaves an address released at rm, never a
    // container that comes back on the network
    await putContainer(store, updated);
    if (net) await (await bridgeModule()).disconnectEndpoint(store, updated, net, ns);
  });
  if (net) {
    await emitNetworkEvent(store, "disconnect", {
      id: net.Id,
      name: net.Name,
      driver: net.Driver,
    }, found.Id);
  }
}
