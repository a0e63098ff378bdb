/**
 * The files Docker gives every container: `/etc/hostname`, `/etc/hosts` and
 * `/etc/resolv.conf`, written into the container's directory and bound over
 * the image's. With `--network host` the host's hosts and resolv.conf are
 * used; otherwise loopback name servers (unreachable from a private network
 * namespace) are dropped, falling back to Docker's public defaults.
 */
import { type Host, realHost } from "../sys/host.ts";

/** Where the files were written, for `buildContainerConfig`'s `etcFiles`. */
export interface EtcFiles {
  hostname: string;
  hosts: string;
  resolvConf: string;
}

const DEFAULT_HOSTS = [
  "127.0.0.1\tlocalhost",
  "::1\tlocalhost ip6-localhost ip6-loopback",
  "fe00::0\tip6-localnet",
  "ff00::0\tip6-mcastprefix",
  "ff02::1\tip6-allnodes",
  "ff02::2\tip6-allrouters",
];

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
): Promise<EtcFiles> {
  const hostNetwork = network === "host";
  const read = (p: string) => host.readTextFile(p).catch(() => "");
  const files: EtcFiles = {
    hostname: `${dir}/hostname`,
    hosts: `${dir}/hosts`,
    resolvConf: `${dir}/resolv.conf`,
  };
  const hostHosts = hostNetwork ? await read("/etc/hosts") : "";
  const hosts = hostHosts || DEFAULT_HOSTS.join("\n") + "\n";
  await host.writeFileAtomic(files.hostname, `${hostname}\n`);
  await host.writeFileAtomic(files.hosts, hosts);
  await host.writeFileAtomic(
    files.resolvConf,
    containerResolvConf(await read("/etc/resolv.conf"), hostNetwork),
  );
  return files;
}
