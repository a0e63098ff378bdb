/**
 * The record of a container's published ports in the run root (`ports/<id>.json`), present
 * while its forwards are in the firewall: what `inspect`, `ps` and `port` show.
 */
import type { Store } from "../store/store.ts";
import { type Host, readJsonFile } from "../sys/host.ts";
import type { PortForward } from "./firewall.ts";
import type { ActiveBinding } from "./port_format.ts";
import type { ContainerRecord } from "../runtime/container_store.ts";
import { exposedPorts, type PortBinding, publishedBindings } from "./port_spec.ts";

/** What a container published, kept while its forwards are in the firewall. */
export interface PublishedRecord {
  id: string;
  bridge: string;
  tool: "nft" | "iptables";
  forwards: PortForward[];
  /** The skiff process that published them (alive while it sets the container up). */
  owner?: { pid: number; startTime?: string };
}

/** The directory of the records. */
export function portsDir(store: Store): string {
  return `${store.runroot}/ports`;
}

/** The record of container `id`. */
export function recordFile(store: Store, id: string): string {
  return `${portsDir(store)}/${id}.json`;
}

/**
 * The bindings container `id` holds now (none when it publishes nothing or is not running).
 *
 * @example
 * ```ts ignore
 * await activeBindings(store, rec.Id, realHost); // [{ hostIp: "0.0.0.0", hostPort: 8080, ... }]
 * ```
 */
export async function activeBindings(
  store: Store,
  id: string,
  host: Host,
): Promise<ActiveBinding[]> {
  const rec = await readJsonFile<PublishedRecord>(host, recordFile(store, id)).catch(() =>
    undefined
  );
  return (rec?.forwards ?? []).map((f) => ({
    hostIp: f.hostIp,
    hostPort: f.hostPort,
    containerPort: f.containerPort,
    proto: f.proto,
  }));
}

/**
 * The container's exposed ports: the image's `EXPOSE`, `--expose` and its `-p` ports.
 *
 * @example
 * ```ts ignore
 * containerExposedPorts(rec); // ["80/tcp"]
 * ```
 */
export function containerExposedPorts(rec: ContainerRecord): string[] {
  const image = (rec.ImageConfig as { ExposedPorts?: Record<string, unknown> | null })
    .ExposedPorts;
  return exposedPorts(
    Object.keys(image ?? {}),
    rec.Options.expose ?? [],
    rec.Options.publish ?? [],
  );
}

/**
 * What the container asks to publish: its `-p` bindings and, with `-P`, every exposed port.
 *
 * @example
 * ```ts ignore
 * wantedBindings(rec).length; // 1
 * ```
 */
export function wantedBindings(rec: ContainerRecord): PortBinding[] {
  return publishedBindings(
    rec.Options.publish ?? [],
    containerExposedPorts(rec),
    rec.Options.publishAll ?? false,
  );
}
