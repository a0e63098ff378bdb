/**
 * EXPOSE arguments (`80`, `443/udp`, `8000-8002/tcp`, even `[ip:]host:container/proto`, which
 * Docker accepts and reduces to the container port) into the image config's exposed ports,
 * `port/proto`, checked as BuildKit checks them.
 */

/**
 * The `port/proto` entries one EXPOSE word stands for. Throws with BuildKit's wording.
 *
 * @example
 * ```ts
 * import { exposedPorts } from "./expose.ts";
 * exposedPorts("8000-8001/UDP"); // ["8000/udp", "8001/udp"]
 * ```
 */
export function exposedPorts(raw: string): string[] {
  const parts = raw.split(":");
  const containerPart = parts[parts.length - 1];
  const hostPort = parts.length >= 2 ? parts[parts.length - 2] : "";
  let ip = parts.length >= 3 ? parts.slice(0, -2).join(":") : "";
  const slash = containerPart.indexOf("/");
  const port = slash < 0 ? containerPart : containerPart.slice(0, slash);
  const proto = slash < 0 ? "" : containerPart.slice(slash + 1);
  if (port === "") throw new Error(`invalid port: ${JSON.stringify(raw)}: no port specified`);
  if (!["", "tcp", "udp", "sctp"].includes(proto.toLowerCase())) {
    throw new Error(`invalid port: ${JSON.stringify(raw)}: invalid proto: ${proto}`);
  }
  if (ip.startsWith("[")) {
    if (!ip.endsWith("]")) throw new Error(`invalid IP address ${ip}`);
    ip = ip.slice(1, -1);
  }
  if (ip !== "" && !isIP(ip)) throw new Error(`invalid IP address: ${ip}`);
  const range = portRange(port);
  if (!range) throw new Error(`invalid containerPort: ${port}`);
  if (hostPort !== "") {
    const host = portRange(hostPort);
    if (!host) throw new Error(`invalid hostPort: ${hostPort}`);
    if (range[1] - range[0] !== host[1] - host[0] && range[1] !== range[0]) {
      throw new Error(
        `invalid ranges specified for container and host Ports: ${port} and ${hostPort}`,
      );
    }
  }
  const out: string[] = [];
  for (let p = range[0]; p <= range[1]; p++) out.push(`${p}/${(proto || "tcp").toLowerCase()}`);
  return out;
}

/** `80` or `8000-8010` as [start, end], null when not a valid range of 0-65535. */
function portRange(text: string): [number, number] | null {
  const dash = text.indexOf("-");
  const start = portNumber(dash < 0 ? text : text.slice(0, dash));
  if (start === null) return null;
  if (dash < 0) return [start, start];
  const endText = text.slice(dash + 1);
  if (endText === text.slice(0, dash)) return [start, start];
  const end = portNumber(endText);
  if (end === null || end < start) return null;
  return [start, end];
}

function portNumber(text: string): number | null {
  if (!/^[+-]?\d+$/.test(text)) return null;
  const n = Number(text);
  return n >= 0 && n <= 65535 ? n : null;
}

function isIP(s: string): boolean {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) return v4.slice(1).every((o) => Number(o) <= 255);
  if (!s.includes(":") || !/^[0-9a-fA-F:.]+$/.test(s)) return false;
  try {
    new URL(`http://[${s}]/`);
    return true;
  } catch {
    return false;
  }
}
