/**
 * What the bridge driver does for one container, decided as plain data before any kernel
 * call: the bridge and its gateway address, the host end of the veth pair (named after the
 * container, so a crashed set-up is found again), the container's address, MAC address and
 * default route, and the lines its /etc/hosts and /etc/resolv.conf get.
 */
import { sha256Hex } from "../sys/sha256.ts";
import type { EndpointAddress } from "./ipam.ts";
import type { NetworkRecord } from "./network_store.ts";

/** The set-up of one container on one bridge network. */
export interface BridgePlan {
  network: string;
  networkId: string;
  bridge: string;
  /** Gateway addresses with prefix, put on the bridge ("172.17.0.1/16"). */
  bridgeAddresses: string[];
  /**
   * The host end of the veth pair: "vsk" + 12 hex digits of the container id for eth0, of a
   * hash of the container and network ids for the others (extraVethName).
   */
  hostVeth: string;
  /** The container's end, created in its namespace ("eth0", "eth1", ...). */
  containerVeth: string;
  /** The container's addresses with prefix ("172.17.0.2/16"). */
  addresses: string[];
  /** The container's IPv4 address, gateway and prefix ("" when it has none). */
  ipAddress: string;
  gateway: string;
  prefixLength: number;
  ipv6Address: string;
  ipv6Gateway: string;
  mac: string;
  /** MTU of the veth pair (0: the kernel's). */
  mtu: number;
  internal: boolean;
}

/** The host veth name of container `id` (at most 15 bytes, as the kernel wants). */
export function hostVethName(id: string): string {
  return `vsk${id.slice(0, 12)}`;
}

/**
 * The host veth name of container `id`'s endpoint on network `networkId` when it is not eth0:
 * "vsk" and 12 hex digits of a hash of both ids (the same again after a crash).
 *
 * @example
 * ```ts
 * extraVethName("4f1c".repeat(16), "ab".repeat(32)).length; // 15
 * ```
 */
export function extraVethName(id: string, networkId: string): string {
  return `vsk${sha256Hex(new TextEncoder().encode(`${id}/${networkId}`)).slice(0, 12)}`;
}

/**
 * Docker's MAC address for an IPv4 address: 02:42 and the address's four bytes.
 *
 * @example
 * ```ts
 * macForAddress("172.17.0.2"); // "02:42:ac:11:00:02"
 * ```
 */
export function macForAddress(ipv4: string): string {
  const bytes = [0x02, 0x42, ...ipv4.split(".").map(Number)];
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}

/**
 * The plan for container `id` on `net` with the addresses IPAM gave it, as its interface
 * `eth<index>` (0: the first network, which also gets the default route).
 *
 * @example
 * ```ts ignore
 * const plan = bridgePlan(net, "4f1c…", [{ family: 4, address: "172.17.0.2", prefixLength: 16, gateway: "172.17.0.1", subnet: "172.17.0.0/16" }]);
 * plan.hostVeth; // "vsk4f1c…"
 * ```
 */
export function bridgePlan(
  net: NetworkRecord,
  id: string,
  addresses: readonly EndpointAddress[],
  index = 0,
): BridgePlan {
  const v4 = addresses.find((a) => a.family === 4);
  const v6 = addresses.find((a) => a.family === 6);
  const gateways = new Map<string, string>();
  for (const a of addresses) gateways.set(`${a.gateway}/${a.prefixLength}`, a.gateway);
  const mtu = Number(net.Options["com.docker.network.driver.mtu"] ?? 0) || 0;
  return {
    network: net.Name,
    networkId: net.Id,
    bridge: net.Bridge,
    bridgeAddresses: [...gateways.keys()],
    hostVeth: index === 0 ? hostVethName(id) : extraVethName(id, net.Id),
    containerVeth: `eth${index}`,
    addresses: addresses.map((a) => `${a.address}/${a.prefixLength}`),
    ipAddress: v4?.address ?? "",
    gateway: v4?.gateway ?? "",
    prefixLength: v4?.prefixLength ?? 0,
    ipv6Address: v6?.address ?? "",
    ipv6Gateway: v6?.gateway ?? "",
    mac: v4 ? macForAddress(v4.address) : "",
    mtu,
    internal: net.Internal,
  };
}

/**
 * The container's /etc/hosts: the default lines and its own addresses under its hostname.
 *
 * @example
 * ```ts
 * containerHosts("127.0.0.1\tlocalhost\n", ["172.17.0.2"], "abc");
 * // "127.0.0.1\tlocalhost\n172.17.0.2\tabc\n"
 * ```
 */
export function containerHosts(
  base: string,
  addresses: readonly string[],
  hostname: string,
): string {
  const lines = base.split("\n").filter((l) => l !== "");
  for (const a of addresses) lines.push(`${a}\t${hostname}`);
  return lines.join("\n") + "\n";
}

const LOOPBACK_NS = /^\s*nameserver\s+(127\.\S*|::1)\s*$/;

/**
 * The container's /etc/resolv.conf on a bridge: the host's, except that loopback name
 * servers (a local stub such as systemd-resolved's 127.0.0.53, which the container cannot
 * reach) are replaced by the servers behind it (`upstream`, e.g.
 * /run/systemd/resolve/resolv.conf). `warning` says when neither gives a reachable server.
 *
 * @example
 * ```ts
 * bridgeResolvConf("nameserver 127.0.0.53\nsearch lan\n", "nameserver 192.0.2.53\n").text;
 * // "search lan\nnameserver 192.0.2.53\n"
 * ```
 */
export function bridgeResolvConf(
  host: string,
  upstream: string,
): { text: string; warning?: string } {
  const lines = host.split("\n").filter((l) => l.trim() !== "");
  const kept = lines.filter((l) => !LOOPBACK_NS.test(l));
  const hasServer = (ls: string[]) => ls.some((l) => /^\s*nameserver\s/.test(l));
  if (hasServer(kept) || !hasServer(lines)) return { text: kept.join("\n") + "\n" };
  const behind = upstream.split("\n").filter((l) =>
    /^\s*nameserver\s/.test(l) && !LOOPBACK_NS.test(l)
  );
  if (behind.length > 0) return { text: [...kept, ...behind].join("\n") + "\n" };
  return {
    text: kept.join("\n") + (kept.length ? "\n" : ""),
    warning:
      "the host's only name servers are loopback addresses a container cannot reach: the container has no DNS server (use --dns)",
  };
}
