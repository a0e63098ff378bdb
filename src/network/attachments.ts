/**
 * Which bridge networks a container is on: the list `network connect` and several
 * `--network`s keep in its options (`networks`), or, in records without one (written before
 * it, or with a single `--network`), its `--network` with `--ip`, `--ip6` and
 * `--network-alias`. The first network is the container's `eth0`.
 */
import { InvalidArgumentError } from "../errors.ts";
import type { NetworkConnection, RunOptions } from "../runtime/run_options.ts";

const NOT_BRIDGE = new Set(["none", "host", "private"]);

/**
 * Whether a `--network` value names a bridge network (`bridge` or a user network's name),
 * not `none`, `host`, the private namespace or `container:NAME`.
 *
 * @example
 * ```ts
 * isBridgeMode("web"); // true
 * isBridgeMode("container:db"); // false
 * ```
 */
export function isBridgeMode(network: string): boolean {
  return !NOT_BRIDGE.has(network) && !network.startsWith("container:");
}

/** The options that say which networks a container is on. */
export type NetworkOptions = Pick<
  RunOptions,
  "network" | "networks" | "ip" | "ip6" | "networkAliases"
>;

/**
 * The container's bridge networks in interface order (empty: none).
 *
 * @example
 * ```ts
 * containerNetworks({ network: "web", ip: "10.1.0.5" }); // [{ name: "web", ip: "10.1.0.5" }]
 * containerNetworks({ network: "none" }); // []
 * ```
 */
export function containerNetworks(o: NetworkOptions): NetworkConnection[] {
  if (o.networks) return o.networks.map((c) => ({ ...c }));
  if (!isBridgeMode(o.network)) return [];
  return [{
    name: o.network,
    ...(o.ip ? { ip: o.ip } : {}),
    ...(o.ip6 ? { ip6: o.ip6 } : {}),
    ...(o.networkAliases?.length ? { aliases: [...o.networkAliases] } : {}),
  }];
}

/**
 * The networks of several `--network` values (repeated, as Docker 25 takes them, or
 * comma-separated, as Podman does), eth0's first with `--ip`, `--ip6` and
 * `--network-alias`; undefined for one network (the record keeps it as `network`). Only
 * bridge networks combine; each once.
 *
 * @example
 * ```ts
 * networksFromFlags(["a,b"], { network: "a" }); // [{ name: "a" }, { name: "b" }]
 * ```
 */
export function networksFromFlags(
  values: readonly string[],
  first: NetworkOptions,
): NetworkConnection[] | undefined {
  const names = values.flatMap((v) => v.split(","));
  if (names.length <= 1) return undefined;
  for (const [i, n] of names.entries()) {
    if (n === "") throw new InvalidArgumentError("invalid --network: empty name");
    if (!isBridgeMode(n) || n === "default") {
      throw new InvalidArgumentError(
        "conflicting options: cannot attach both user-defined and non-user-defined network-modes",
      );
    }
    if (names.indexOf(n) !== i) {
      throw new InvalidArgumentError(`network "${n}" is specified multiple times`);
    }
  }
  const [eth0] = containerNetworks({ ...first, network: names[0], networks: undefined });
  return [eth0, ...names.slice(1).map((name) => ({ name }))];
}
