/**
 * Docker's port flags as plain data, with Docker's one-line errors: `-p/--publish`
 * (`[ip:][hostPort:]containerPort[/proto]`, ranges, IPv6 host addresses in brackets, and the
 * long `target=80,published=8080,protocol=udp` form), `--expose` (`port[-end][/proto]`) and
 * the exposed-port set `-P` publishes. Pure functions: nothing here touches the host.
 */
import { InvalidArgumentError } from "../errors.ts";
import type { PortBinding } from "../runtime/run_options.ts";

/** A transport protocol a port can be published for. */
export type PortProto = PortBinding["proto"];

export type { PortBinding };

const PROTOS = new Set(["tcp", "udp", "sctp"]);

/** Docker's `SplitProtoPort`: "80/udp" is ["udp", "80"]; a missing protocol is tcp. */
function splitProtoPort(raw: string): [string, string] {
  const parts = raw.split("/");
  if (raw === "" || parts[0] === "") return ["", ""];
  if (parts.length === 1 || parts[1] === "") return ["tcp", parts[0]];
  return [parts[1], parts[0]];
}

/** A port number 0-65535 written in decimal, else undefined. */
function portNumber(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

/**
 * Docker's `ParsePortRange`: "80" is [80, 80], "80-90" is [80, 90]; the reason when invalid.
 *
 * @example
 * ```ts
 * parsePortRange("8000-8010"); // [8000, 8010]
 * ```
 */
export function parsePortRange(text: string): [number, number] | string {
  if (text === "") return "empty string specified for ports";
  const dash = text.indexOf("-");
  if (dash < 0) {
    const n = portNumber(text);
    return n === undefined ? `invalid port ${JSON.stringify(text)}` : [n, n];
  }
  const start = portNumber(text.slice(0, dash));
  const end = portNumber(text.slice(dash + 1));
  if (start === undefined || end === undefined) return `invalid port range ${text}`;
  if (end < start) return `invalid range specified for the port range ${text}`;
  return [start, end];
}

/** Whether `text` is an IPv4 address in dotted decimal. */
export function isIPv4(text: string): boolean {
  const parts = text.split(".");
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/** Whether `text` is an IPv6 address (without brackets or zone). */
export function isIPv6(text: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(":")) return false;
  let groups = text;
  let want = 8;
  const lastColon = text.lastIndexOf(":");
  if (text.slice(lastColon + 1).includes(".")) {
    if (!isIPv4(text.slice(lastColon + 1))) return false;
    groups = text.slice(0, lastColon + 1) + "0:0"; // the IPv4 tail counts as two groups
  }
  const halves = groups.split("::");
  if (halves.length > 2) return false;
  const count = (s: string) => s === "" ? [] : s.split(":");
  const head = count(halves[0]), tail = halves.length === 2 ? count(halves[1]) : [];
  if ([...head, ...tail].some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  const n = head.length + tail.length;
  if (halves.length === 2) want = 7;
  return halves.length === 2 ? n <= want : n === want;
}

/** Docker's `splitParts`: [ip, hostPort, containerPort] of a `-p` value. */
function splitParts(raw: string): [string, string, string] {
  const parts = raw.split(":");
  const n = parts.length;
  if (n === 1) return ["", "", parts[0]];
  if (n === 2) return ["", parts[0], parts[1]];
  return [parts.slice(0, n - 2).join(":"), parts[n - 2], parts[n - 1]];
}

/** The long syntax (`target=80,published=8080,protocol=udp,host_ip=...`) in short form. */
function standardNotation(raw: string): string {
  const fields = new Map<string, string>();
  for (const item of raw.split(",")) {
    const eq = item.indexOf("=");
    if (eq < 0) throw new InvalidArgumentError(`invalid field '${item}' must be a key=value pair`);
    const key = item.slice(0, eq).trim().toLowerCase(), value = item.slice(eq + 1).trim();
    if (
      !["target", "published", "protocol", "mode", "host_ip", "name", "app_protocol"].includes(key)
    ) {
      throw new InvalidArgumentError(`invalid field key ${key}`);
    }
    fields.set(key, value);
  }
  const target = fields.get("target");
  if (!target) throw new InvalidArgumentError('missing mandatory field "target"');
  const ip = fields.get("host_ip") ?? "";
  const hostIp = ip.includes(":") ? `[${ip}]` : ip;
  const published = fields.get("published") ?? "";
  const proto = fields.get("protocol") ?? "tcp";
  return `${hostIp}:${published}:${target}/${proto}`;
}

/**
 * Parses one `-p` value into its bindings, as Docker does: a container port range gives one
 * binding per port (with the host range matched port by port); a host range for a single
 * container port stays a range to choose a free port from. Errors are Docker's messages.
 *
 * @example
 * ```ts
 * parsePublish("127.0.0.1:8080:80/udp");
 * // [{ hostIp: "127.0.0.1", hostPort: "8080", containerPort: 80, proto: "udp" }]
 * parsePublish("8000-8001:80-81").map((b) => b.hostPort); // ["8000", "8001"]
 * ```
 */
export function parsePublish(spec: string): PortBinding[] {
  const raw = spec.includes("=") ? standardNotation(spec) : spec;
  let [ip, hostPort, containerPart] = splitParts(raw);
  const [proto, containerPort] = splitProtoPort(containerPart);
  if (ip.startsWith("[")) {
    if (!ip.endsWith("]") || !isIPv6(ip.slice(1, -1))) {
      throw new InvalidArgumentError(`invalid IP address ${ip}: missing ']' in address`);
    }
    ip = ip.slice(1, -1);
  }
  if (ip !== "" && !isIPv4(ip) && !isIPv6(ip)) {
    throw new InvalidArgumentError(`invalid IP address: ${ip}`);
  }
  if (containerPort === "") throw new InvalidArgumentError(`no port specified: ${spec}<empty>`);
  const range = parsePortRange(containerPort);
  if (typeof range === "string" || range[0] === 0) {
    throw new InvalidArgumentError(`invalid containerPort: ${containerPort}`);
  }
  let hostRange: [number, number] = [0, 0];
  if (hostPort !== "") {
    const parsed = parsePortRange(hostPort);
    if (typeof parsed === "string") throw new InvalidArgumentError(`invalid hostPort: ${hostPort}`);
    hostRange = parsed;
    if (range[1] - range[0] !== hostRange[1] - hostRange[0] && range[0] !== range[1]) {
      throw new InvalidArgumentError(
        `invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`,
      );
    }
  }
  const lower = proto.toLowerCase();
  if (!PROTOS.has(lower)) throw new InvalidArgumentError(`invalid proto: ${proto}`);
  const out: PortBinding[] = [];
  for (let i = 0; i <= range[1] - range[0]; i++) {
    let host = hostPort === "" ? "" : String(hostRange[0] + i);
    if (range[0] === range[1] && hostRange[0] !== hostRange[1]) {
      host = `${hostRange[0]}-${hostRange[1]}`;
    }
    out.push({
      hostIp: ip,
      hostPort: host,
      containerPort: range[0] + i,
      proto: lower as PortProto,
    });
  }
  return out;
}

/**
 * Parses one `--expose` value (`port[-end][/proto]`) into "port/proto" keys.
 *
 * @example
 * ```ts
 * parseExpose("53/udp"); // ["53/udp"]
 * parseExpose("80-81"); // ["80/tcp", "81/tcp"]
 * ```
 */
export function parseExpose(spec: string): string[] {
  if (spec.includes(":")) {
    throw new InvalidArgumentError(`invalid port format for --expose: ${spec}`);
  }
  const [proto, port] = splitProtoPort(spec);
  const range = parsePortRange(port);
  if (typeof range === "string") {
    throw new InvalidArgumentError(`invalid range format for --expose: ${spec}, error: ${range}`);
  }
  const lower = proto.toLowerCase();
  if (!PROTOS.has(lower)) throw new InvalidArgumentError(`invalid proto: ${proto}`);
  const out: string[] = [];
  for (let p = range[0]; p <= range[1]; p++) out.push(`${p}/${lower}`);
  return out;
}

/** The "port/proto" key of a binding ("80/tcp"), as Docker's maps use it. */
export function portKey(b: { containerPort: number; proto: string }): string {
  return `${b.containerPort}/${b.proto}`;
}

/** Splits a "port/proto" key; a key without protocol is tcp. */
export function splitPortKey(key: string): { containerPort: number; proto: PortProto } | undefined {
  const [port, proto = "tcp"] = key.split("/");
  const n = portNumber(port);
  const lower = proto.toLowerCase();
  if (n === undefined || n === 0 || !PROTOS.has(lower)) return undefined;
  return { containerPort: n, proto: lower as PortProto };
}

/**
 * The container's exposed ports (Docker's `Config.ExposedPorts` keys, sorted): the image's
 * `EXPOSE`, `--expose` and every published port.
 *
 * @example
 * ```ts
 * exposedPorts(["80/tcp"], ["53/udp"], []); // ["53/udp", "80/tcp"]
 * ```
 */
export function exposedPorts(
  image: readonly string[],
  expose: readonly string[],
  publish: readonly PortBinding[],
): string[] {
  const keys = new Set<string>();
  for (const k of image) {
    const p = splitPortKey(k);
    if (p) keys.add(portKey(p));
  }
  for (const k of expose) keys.add(k);
  for (const b of publish) keys.add(portKey(b));
  return [...keys].sort(comparePortKeys);
}

/** Orders "port/proto" keys by port, then protocol. */
export function comparePortKeys(a: string, b: string): number {
  const [pa, qa] = a.split("/"), [pb, qb] = b.split("/");
  return Number(pa) - Number(pb) || (qa < qb ? -1 : qa > qb ? 1 : 0);
}

/**
 * The bindings a container publishes: `-p` ones, and with `-P` every exposed port without
 * one (on a free host port), as Docker does.
 *
 * @example
 * ```ts
 * publishedBindings([], ["80/tcp"], true);
 * // [{ hostIp: "", hostPort: "", containerPort: 80, proto: "tcp" }]
 * ```
 */
export function publishedBindings(
  publish: readonly PortBinding[],
  exposed: readonly string[],
  publishAll: boolean,
): PortBinding[] {
  const out = [...publish];
  if (!publishAll) return out;
  const bound = new Set(publish.map(portKey));
  for (const key of exposed) {
    const p = splitPortKey(key);
    if (p && !bound.has(key)) out.push({ hostIp: "", hostPort: "", ...p });
  }
  return out;
}
