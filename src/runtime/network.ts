/**
 * The network seam: a driver sets a container's network up on a network namespace that
 * exists before the container starts (a namespace file, as Podman does), and tears it
 * down after the container's last exit. The monitor runs the driver's commands, so the
 * tear-down happens even when no skiff process is alive then; a namespace file of the
 * container's own the monitor unmounts itself (`releaseNamespace`). `none` (a private
 * namespace with loopback only, made by the monitor's clone) and `host` (the host's
 * namespace) need neither a file nor commands.
 */
import type { Store } from "../store/store.ts";
import { type ContainerRecord, containerRunDir } from "./container_store.ts";

/**
 * Where a driver keeps a container's network namespace file (a bind mount of the
 * namespace, in its run directory); removal unmounts it before the directory goes.
 */
export function netnsFile(store: Store, id: string): string {
  return `${containerRunDir(store, id)}/netns`;
}

/** What a driver did for one container, for the launch plan. */
export interface NetworkAttachment {
  /**
   * The network namespace: `own` (a new one; joined at `path` when the driver made it
   * beforehand, else created by the monitor's clone) or `host` (the host's).
   */
  namespace: { kind: "own"; path?: string } | { kind: "host" };
  /** Run by the monitor with the container's pid once its namespaces exist (empty: none). */
  hook: string[];
  /** Run by the monitor after the container's last exit (empty: none). */
  teardown: string[];
  /**
   * `namespace.path` is the container's own file (made by the driver): the monitor unmounts
   * and removes it itself after the last exit (after `teardown`), with no process.
   */
  releaseNamespace?: boolean;
}

/** Connects containers to a kind of network. */
export interface NetworkDriver {
  /** The `--network` value it serves ("none", "host", a network's name). */
  readonly name: string;
  /** Prepares the container's network before it starts. */
  setUp(rec: ContainerRecord): Promise<NetworkAttachment>;
  /** Undoes `setUp` (for a start that failed before the monitor took over). */
  tearDown(rec: ContainerRecord): Promise<void>;
  /**
   * Called once the container runs (its state written) after a successful `setUp`: a driver
   * that holds something for the length of the start (a lock) lets go of it here.
   */
  started?(rec: ContainerRecord): Promise<void>;
}

/**
 * `--network none`: a private namespace with only loopback, created by the monitor.
 *
 * @example
 * ```ts ignore
 * const att = await noNetwork.setUp(rec); // { namespace: { kind: "own" }, hook: [], teardown: [] }
 * ```
 */
export const noNetwork: NetworkDriver = {
  name: "none",
  setUp: () => Promise.resolve({ namespace: { kind: "own" }, hook: [], teardown: [] }),
  tearDown: () => Promise.resolve(),
};

/**
 * `--network host`: the host's namespace, nothing to set up.
 *
 * @example
 * ```ts ignore
 * const att = await hostNetwork.setUp(rec); // { namespace: { kind: "host" }, ... }
 * ```
 */
export const hostNetwork: NetworkDriver = {
  name: "host",
  setUp: () => Promise.resolve({ namespace: { kind: "host" }, hook: [], teardown: [] }),
  tearDown: () => Promise.resolve(),
};

/**
 * The driver for a container's `--network` value.
 *
 * @example
 * ```ts
 * networkDriver("host"); // hostNetwork
 * ```
 */
export function networkDriver(network: string): NetworkDriver {
  return network === "host" ? hostNetwork : noNetwork;
}
