/**
 * Docker's legacy links (`run --link NAME[:ALIAS]`): while both containers run, the linking
 * container's /etc/hosts has a line for the target's address on their shared network, under
 * the alias, the target's hostname and its name (Docker's order). The target must be running
 * and on the network the linking container is on, as Docker requires.
 */
import { FailedPreconditionError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import { type Host, realHost } from "../sys/host.ts";
import { type ContainerRecord, getContainer } from "../runtime/container_store.ts";
import { type EndpointRecord, readEndpoints } from "./endpoint.ts";
import type { HostsEntry } from "./hosts_file.ts";
import { DEFAULT_NETWORK, type NetworkRecord } from "./network_store.ts";

/**
 * The hosts entries of `rec`'s links, for its networks `nets` (eth0's first): one per link,
 * at the target's address on the first network they share.
 *
 * @example
 * ```ts ignore
 * await linkHosts(store, rec, nets); // [{ address: "172.17.0.2", names: ["db", "a1b2c3d4e5f6"] }]
 * ```
 */
export async function linkHosts(
  store: Store,
  rec: ContainerRecord,
  nets: readonly NetworkRecord[],
  host: Host = realHost,
): Promise<HostsEntry[]> {
  const out: HostsEntry[] = [];
  for (const link of rec.Options.links ?? []) {
    const target = await getContainer(store, link.container, host);
    const name = target?.Name ?? link.container;
    const eps = target ? await readEndpoints(store, target.Id) : [];
    const running: EndpointRecord[] = [];
    for (const ep of eps) {
      if (await host.exists(`/sys/class/net/${ep.hostVeth}`)) running.push(ep);
    }
    if (!target || running.length === 0) {
      throw new FailedPreconditionError(
        `Cannot link to a non running container: /${name} AS /${rec.Name}/${link.alias}`,
      );
    }
    const ep = nets.map((n) => running.find((e) => e.networkId === n.Id)).find((e) => e);
    if (!ep) {
      const which = nets[0]?.Name === DEFAULT_NETWORK
        ? "the default network"
        : `network ${nets[0]?.Name ?? ""}`;
      throw new FailedPreconditionError(
        `Cannot link to /${name}, as it does not belong to ${which}`,
      );
    }
    const names = [link.alias, target.Hostname];
    if (link.alias !== name) names.push(name);
    // Docker writes the IPv4 address only (the IPv6 one where there is no other)
    const address = ep.ipAddress || ep.ipv6Address;
    if (address) out.push({ address, names: [...new Set(names)] });
  }
  return out;
}
