/**
 * A container's endpoint on a bridge network, kept in its directory (`endpoint.json`, the
 * driver's plan) for `inspect`, which shows it as Docker's `NetworkSettings`.
 */
import { readJson, writeJsonAtomic } from "../store/atomic.ts";
import type { Store } from "../store/store.ts";
import { containerDir } from "../runtime/container_store.ts";
import type { BridgePlan } from "./bridge_plan.ts";

function endpointFile(store: Store, id: string): string {
  return `${containerDir(store, id)}/endpoint.json`;
}

/** Records the endpoint of container `id` (written at each start). */
export function writeEndpoint(store: Store, id: string, plan: BridgePlan): Promise<void> {
  return writeJsonAtomic(endpointFile(store, id), plan);
}

/** The endpoint of container `id`, or undefined when it has none (never on a bridge). */
export async function readEndpoint(store: Store, id: string): Promise<BridgePlan | undefined> {
  return (await readJson<BridgePlan>(endpointFile(store, id)).catch(() => undefined)) ??
    undefined;
}

/**
 * Docker's `NetworkSettings` for an endpoint (addresses shown while the container runs, as
 * Docker does).
 *
 * @example
 * ```ts ignore
 * networkSettings(plan, true).Networks.bridge.IPAddress; // "172.17.0.2"
 * ```
 */
export function networkSettings(plan: BridgePlan, running: boolean): Record<string, unknown> {
  const on = (v: string | number) => running ? v : typeof v === "number" ? 0 : "";
  const endpoint = {
    IPAMConfig: null,
    Links: null,
    Aliases: null,
    MacAddress: on(plan.mac),
    NetworkID: plan.networkId,
    EndpointID: "",
    Gateway: on(plan.gateway),
    IPAddress: on(plan.ipAddress),
    IPPrefixLen: on(plan.prefixLength),
    IPv6Gateway: on(plan.ipv6Gateway),
    GlobalIPv6Address: on(plan.ipv6Address),
    GlobalIPv6PrefixLen: 0,
    DNSNames: null,
  };
  return {
    Bridge: "",
    SandboxID: "",
    Ports: {},
    SandboxKey: "",
    IPAddress: endpoint.IPAddress,
    IPPrefixLen: endpoint.IPPrefixLen,
    Gateway: endpoint.Gateway,
    MacAddress: endpoint.MacAddress,
    GlobalIPv6Address: endpoint.GlobalIPv6Address,
    IPv6Gateway: endpoint.IPv6Gateway,
    Networks: { [plan.network]: endpoint },
  };
}
