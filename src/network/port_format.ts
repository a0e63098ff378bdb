/**
 * How published ports look to users, exactly as Docker shows them: `NetworkSettings.Ports`
 * of `inspect`, the PORTS column of `ps` (consecutive ports collapsed into ranges) and the
 * lines of `port`. Pure functions over the bindings a running container holds.
 */
import { comparePortKeys, type PortBinding, portKey, type PortProto } from "./port_spec.ts";

/** A binding as it is in force: a concrete host address ("0.0.0.0" for all) and port. */
export interface ActiveBinding {
  hostIp: string;
  hostPort: number;
  containerPort: number;
  proto: PortProto;
}

/** Docker's `net.JoinHostPort`: IPv6 addresses in brackets. */
function joinHostPort(ip: string, port: number | string): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/**
 * Docker's `NetworkSettings.Ports`: every exposed port, with its host bindings or null.
 *
 * @example
 * ```ts
 * portMap(["80/tcp", "53/udp"], [{ hostIp: "0.0.0.0", hostPort: 8080, containerPort: 80, proto: "tcp" }]);
 * // { "53/udp": null, "80/tcp": [{ HostIp: "0.0.0.0", HostPort: "8080" }] }
 * ```
 */
export function portMap(
  exposed: readonly string[],
  active: readonly ActiveBinding[],
): Record<string, { HostIp: string; HostPort: string }[] | null> {
  const keys = [...new Set([...exposed, ...active.map(portKey)])].sort(comparePortKeys);
  const out: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  for (const key of keys) {
    const mine = active.filter((b) => portKey(b) === key);
    out[key] = mine.length
      ? mine.map((b) => ({ HostIp: b.hostIp, HostPort: String(b.hostPort) }))
      : null;
  }
  return out;
}

/** One entry of Docker's API `Ports` list (what `ps` formats). */
interface ApiPort {
  ip: string;
  privatePort: number;
  publicPort: number;
  type: string;
}

function compareApiPorts(a: ApiPort, b: ApiPort): number {
  if (a.privatePort !== b.privatePort) return a.privatePort - b.privatePort;
  if (a.ip !== b.ip) return a.ip < b.ip ? -1 : 1;
  if (a.publicPort !== b.publicPort) return a.publicPort - b.publicPort;
  return a.type < b.type ? -1 : a.type > b.type ? 1 : 0;
}

function formGroup(key: string, first: number, last: number): string {
  const slash = key.lastIndexOf("/");
  const ip = slash >= 0 ? key.slice(0, slash) : "";
  const type = slash >= 0 ? key.slice(slash + 1) : key;
  let group = first === last ? `${first}` : `${first}-${last}`;
  if (ip !== "") group = `${joinHostPort(ip, group)}->${group}`;
  return `${group}/${type}`;
}

/**
 * The PORTS column of `ps`, as Docker's CLI builds it: unpublished exposed ports as
 * "80/tcp", ports published on the same number grouped into ranges per address and
 * protocol ("0.0.0.0:80-81->80-81/tcp"), others as "0.0.0.0:8080->80/tcp", joined by ", ".
 *
 * @example
 * ```ts
 * psPorts(["80/tcp"], [{ hostIp: "0.0.0.0", hostPort: 8080, containerPort: 80, proto: "tcp" }]);
 * // "0.0.0.0:8080->80/tcp"
 * ```
 */
export function psPorts(exposed: readonly string[], active: readonly ActiveBinding[]): string {
  const ports: ApiPort[] = [];
  for (const [key, bindings] of Object.entries(portMap(exposed, active))) {
    const [port, type] = key.split("/");
    if (bindings === null) {
      ports.push({ ip: "", privatePort: Number(port), publicPort: 0, type });
      continue;
    }
    for (const b of bindings) {
      ports.push({ ip: b.HostIp, privatePort: Number(port), publicPort: Number(b.HostPort), type });
    }
  }
  ports.sort(compareApiPorts);
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  for (const p of ports) {
    let key = p.type;
    if (p.ip !== "") {
      if (p.publicPort !== p.privatePort) {
        hostMappings.push(`${joinHostPort(p.ip, p.publicPort)}->${p.privatePort}/${p.type}`);
        continue;
      }
      key = `${p.ip}/${p.type}`;
    }
    const group = groups.get(key);
    if (!group) {
      groups.set(key, { first: p.privatePort, last: p.privatePort });
      continue;
    }
    if (p.privatePort === group.last + 1) {
      group.last = p.privatePort;
      continue;
    }
    result.push(formGroup(key, group.first, group.last));
    groups.set(key, { first: p.privatePort, last: p.privatePort }); // keeps the key's place
  }
  for (const [key, g] of groups) result.push(formGroup(key, g.first, g.last));
  return [...result, ...hostMappings].join(", ");
}

/** Docker's natural order ("80/tcp -> ..." before "443/tcp -> ..."): digit runs as numbers. */
function naturalLess(a: string, b: string): number {
  const split = (s: string) => s.match(/\d+|\D+/g) ?? [];
  const x = split(a), y = split(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] === y[i]) continue;
    const dx = /^\d/.test(x[i]), dy = /^\d/.test(y[i]);
    if (dx && dy) return Number(x[i]) - Number(y[i]) || x[i].length - y[i].length;
    return x[i] < y[i] ? -1 : 1;
  }
  return x.length - y.length;
}

/**
 * The lines of `port CONTAINER` ("80/tcp -> 0.0.0.0:8080", natural order) or, for
 * `port CONTAINER 80/tcp`, that port's host addresses ("0.0.0.0:8080"); undefined when the
 * asked port is not published.
 *
 * @example
 * ```ts
 * const b = [{ hostIp: "0.0.0.0", hostPort: 8080, containerPort: 80, proto: "tcp" as const }];
 * portLines(b); // ["80/tcp -> 0.0.0.0:8080"]
 * portLines(b, "80/tcp"); // ["0.0.0.0:8080"]
 * ```
 */
export function portLines(
  active: readonly ActiveBinding[],
  wanted?: string,
): string[] | undefined {
  if (wanted !== undefined) {
    const mine = active.filter((b) => portKey(b) === wanted);
    return mine.length ? mine.map((b) => joinHostPort(b.hostIp, b.hostPort)) : undefined;
  }
  return active.map((b) => `${portKey(b)} -> ${joinHostPort(b.hostIp, b.hostPort)}`)
    .sort(naturalLess);
}

/**
 * Docker's `HostConfig.PortBindings` for the `-p` bindings of a container.
 *
 * @example
 * ```ts
 * portBindingsMap([{ hostIp: "", hostPort: "8080", containerPort: 80, proto: "tcp" }]);
 * // { "80/tcp": [{ HostIp: "", HostPort: "8080" }] }
 * ```
 */
export function portBindingsMap(
  publish: readonly PortBinding[],
): Record<string, { HostIp: string; HostPort: string }[]> {
  const out: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const b of publish) {
    const key = portKey(b);
    (out[key] ??= []).push({ HostIp: b.hostIp, HostPort: b.hostPort });
  }
  return out;
}
