/**
 * The files Docker gives every container: `/etc/hostname`, `/etc/hosts` and
 * `/etc/resolv.conf`, written into the container's directory and bound over
 * the image's. With `--network host` the host's hosts and resolv.conf are
 * used; otherwise loopback name servers (unreachable from a private network
 * namespace) are dropped, falling back to Docker's public defaults.
 */
import { type Host, realHost } from "../sys/host.ts";
import { applyDnsOverrides } from "../network/dns_file.ts";
import { HOST_GATEWAY, parseExtraHost } from "../network/endpoint_options.ts";
import { DEFAULT_HOSTS_LINES, hostsFile } from "../network/hosts_file.ts";
import { InvalidArgumentError } from "../errors.ts";

/** Where the files were written, for `buildContainerConfig`'s `etcFiles`. */
export interface EtcFiles {
  hostname: string;
  hosts: string;
  resolvConf: string;
}

/** The per-container options the files depend on (RunOptions' fields). */
export interface EtcOptions {
  dns?: readonly string[];
  dnsSearch?: readonly string[];
  dnsOptions?: readonly string[];
  extraHosts?: readonly string[];
}

/**
 * The address `--add-host NAME:host-gateway` stands for outside a bridge network, as Podman
 * has it: 127.0.0.1 with the host's network, else the host's first non-loopback IPv4
 * address (the container reaches nothing with `none`; the line is there all the same).
 */
function hostGatewayOutsideBridge(hostNetwork: boolean): string {
  if (hostNetwork) return "127.0.0.1";
  const addr = Deno.networkInterfaces().find((i) =>
    i.family === "IPv4" && !i.address.startsWith("127.")
  );
  if (!addr) {
    throw new InvalidArgumentError(
      "unable to replace host-gateway in --add-host: the host has no non-loopback IPv4 address",
    );
  }
  return addr.address;
}

const DEFAULT_NAMESERVERS = ["nameserver 8.8.8.8", "nameserver 8.8.4.4"];

/**
 * The resolv.conf for a container: the host's, without loopback name servers
 * unless the container shares the host's network.
 *
 * @example
 * ```ts
 * containerResolvConf("nameserver 127.0.0.53\nsearch lan\n", false);
 * // "search lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n"
 * ```
 */
export function containerResolvConf(host: string, hostNetwork: boolean): string {
  if (hostNetwork) return host;
  const lines = host.split("\n").filter((l) => {
    const m = /^\s*nameserver\s+(\S+)/.exec(l);
    return !m || !(/^127\./.test(m[1]) || m[1] === "::1");
  });
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  if (!lines.some((l) => /^\s*nameserver\s/.test(l))) lines.push(...DEFAULT_NAMESERVERS);
  return lines.join("\n") + "\n";
}

/**
 * Writes hostname, hosts and resolv.conf into `dir` and returns their paths.
 *
 * @example
 * ```ts ignore
 * const etcFiles = await writeEtcFiles(containerDir(store, id), "abc123", "none");
 * ```
 */
export async function writeEtcFiles(
  dir: string,
  hostname: string,
  network: string,
  host: Host = realHost,
  opts: EtcOptions = {},
): Promise<EtcFiles> {
  const hostNetwork = network === "host";
  const read = (p: string) => host.readTextFile(p).catch(() => "");
  const files: EtcFiles = {
    hostname: `${dir}/hostname`,
    hosts: `${dir}/hosts`,
    resolvConf: `${dir}/resolv.conf`,
  };
  const hostHosts = hostNetwork ? await read("/etc/hosts") : "";
  const extra = (opts.extraHosts ?? []).map(parseExtraHost).map((h) => ({
    address: h.address === HOST_GATEWAY ? hostGatewayOutsideBridge(hostNetwork) : h.address,
    names: [h.name],
  }));
  const hosts = hostsFile({
    base: hostHosts || DEFAULT_HOSTS_LINES.join("\n") + "\n",
    extra,
  });
  await host.writeFileAtomic(files.hostname, `${hostname}\n`);
  await host.writeFileAtomic(files.hosts, hosts);
  await host.writeFileAtomic(
    files.resolvConf,
    applyDnsOverrides(containerResolvConf(await read("/etc/resolv.conf"), hostNetwork), {
      dns: opts.dns,
      search: opts.dnsSearch,
      options: opts.dnsOptions,
    }),
  );
  return files;
}
