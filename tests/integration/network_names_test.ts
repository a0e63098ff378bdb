/**
 * Per-container network options and name resolution as root, on user networks made with
 * `network create` (subnets under 10.234.0.0/16, bridges named sknm*, removed afterwards):
 * containers reach each other by name, alias and short id (ping and an HTTP fetch from busybox
 * httpd), also one started later and one restarted; a renamed one by its new name; a stopped
 * or removed container's name stops resolving; the default network and another network resolve none of them; `--ip`
 * sticks across a restart and is refused outside the subnet or when taken, with the store
 * unchanged; `--dns`, `--dns-search`, `--dns-option`, `--add-host` (with `host-gateway`) and
 * `--domainname` appear in the container's files and in `inspect`. Traffic goes only to the
 * test's containers.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { ok, type Sk, withBusyboxStore } from "../helpers/busybox_store.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";
import type { TempStore } from "../helpers/skiff.ts";
import { openStore } from "../../src/store/store.ts";
import { findNetwork, type NetworkRecord, removeNetwork } from "../../src/network/network_store.ts";
import { readAllocations } from "../../src/network/allocations.ts";
import { tearDownNetwork } from "../../src/network/bridge.ts";

const opts = { ignore: skipUnless(IS_ROOT), sanitizeOps: false, sanitizeResources: false };

function rand(): string {
  return crypto.getRandomValues(new Uint32Array(1))[0].toString(36).padStart(6, "0").slice(-6);
}

/** Makes `count` user networks with `network create`; removes them and their devices after. */
async function withNetworks(
  store: TempStore,
  sk: Sk,
  count: number,
  fn: (nets: NetworkRecord[]) => Promise<void>,
): Promise<void> {
  const s = await openStore(store);
  const nets: NetworkRecord[] = [];
  try {
    const base = crypto.getRandomValues(new Uint8Array(1))[0];
    for (let i = 0; i < count; i++) {
      const name = `nm-${rand()}`;
      await ok(sk, [
        "network",
        "create",
        "--subnet",
        `10.234.${1 + ((base + i) % 250)}.0/24`,
        "-o",
        `com.docker.network.bridge.name=sknm${rand()}`,
        name,
      ]);
      nets.push(await findNetwork(s, name));
    }
    await fn(nets);
  } finally {
    const ids = (await sk(["ps", "-aq", "--no-trunc"])).stdout.trim().split("\n").filter(Boolean);
    if (ids.length > 0) await sk(["rm", "-f", ...ids]);
    for (const net of nets) {
      await removeNetwork(s, net.Name).catch(() => {});
      await tearDownNetwork(s, net);
    }
  }
}

const HTTPD = "mkdir -p /www && echo hello-names > /www/index.html && exec httpd -f -p 80 -h /www";

/** Runs `script` in a throw-away container on `network`; its exit code and output. */
async function inside(sk: Sk, network: string, script: string) {
  return await sk(["run", "--rm", "--network", network, "busybox", "sh", "-c", script]);
}

const pingable = (name: string) => `ping -c 1 -W 2 ${name} >/dev/null`;

Deno.test(
  "names: by name, alias and short id; later, restarted, stopped and removed containers",
  opts,
  async () => {
    await withBusyboxStore(async (store, sk) => {
      await withNetworks(store, sk, 2, async ([net, other]) => {
        const webId = (await ok(sk, [
          "run",
          "-d",
          "--name",
          "web",
          "--network",
          net.Name,
          "--network-alias",
          "www",
          "busybox",
          "sh",
          "-c",
          HTTPD,
        ])).trim();
        const short = webId.slice(0, 12);
        // a second container reaches the first by name, alias and short id: ping and HTTP
        const page = await inside(
          sk,
          net.Name,
          `${pingable("web")} && ${pingable("www")} && ${pingable(short)} && ` +
            "for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O- http://www/ && exit 0; sleep 0.3; done; exit 1",
        );
        assertEquals(page.code, 0, page.stderr);
        assertEquals(page.stdout.trim(), "hello-names");
        // one started later is reachable from the first
        await ok(sk, [
          "run",
          "-d",
          "--name",
          "later",
          "--network",
          net.Name,
          "busybox",
          "sleep",
          "300",
        ]);
        await ok(sk, ["exec", "web", "sh", "-c", pingable("later")]);
        // neither the default network nor another network resolves the names
        const fromDefault = await inside(sk, "bridge", pingable("web"));
        assert(fromDefault.code !== 0, "web resolved on the default network");
        const fromOther = await inside(sk, other.Name, pingable("web"));
        assert(fromOther.code !== 0, "web resolved from another network");
        const webIp = (await ok(sk, ["inspect", "-f", "{{.NetworkSettings.IPAddress}}", "web"]))
          .trim();
        // (busybox's `wget -T` crashes, exit 139, which would pass for the wrong reason: the
        // time limit is timeout's, 143, and a refused connection is wget's 1)
        const across = await inside(
          sk,
          other.Name,
          `timeout 3 wget -q -O- http://${webIp}/; exit $?`,
        );
        assert([1, 143].includes(across.code), `${across.code}: ${across.stdout}`);
        assert(!across.stdout.includes("hello"), across.stdout);
        // stopped: its name stops resolving; started again: it resolves again
        await ok(sk, ["stop", "-t", "0", "later"]);
        const stopped = await sk(["exec", "web", "sh", "-c", pingable("later")]);
        assert(stopped.code !== 0, "a stopped container's name still resolves");
        await ok(sk, ["start", "later"]);
        await ok(sk, ["exec", "web", "sh", "-c", pingable("later")]);
        await ok(sk, ["restart", "-t", "0", "web"]);
        await ok(sk, ["exec", "later", "sh", "-c", pingable("www")]);
        await ok(sk, ["exec", "web", "sh", "-c", pingable("later")]);
        // renamed: the new name resolves, the old one no longer
        await ok(sk, ["rename", "later", "renamed"]);
        await ok(sk, ["exec", "web", "sh", "-c", pingable("renamed")]);
        const oldName = await sk(["exec", "web", "sh", "-c", pingable("later")]);
        assert(oldName.code !== 0, "a renamed container's old name still resolves");
        await ok(sk, ["rename", "renamed", "later"]);
        // removed: its name no longer resolves
        await ok(sk, ["rm", "-f", "later"]);
        const removed = await sk(["exec", "web", "sh", "-c", pingable("later")]);
        assert(removed.code !== 0, "a removed container's name still resolves");
        const hosts = await ok(sk, ["exec", "web", "cat", "/etc/hosts"]);
        assert(!/\blater\b/.test(hosts), hosts);
        // inspect: Docker's Aliases and DNSNames
        const [w] = JSON.parse(await ok(sk, ["inspect", "web"]));
        const ep = w.NetworkSettings.Networks[net.Name];
        assertEquals(ep.Aliases, ["www"]);
        assertEquals(ep.DNSNames, ["web", "www", short]);
        assertEquals(ep.IPAMConfig, null);
      });
    });
  },
);

Deno.test(
  "names: --ip sticks across restart; outside the subnet or taken it is refused, store unchanged",
  opts,
  async () => {
    await withBusyboxStore(async (store, sk) => {
      await withNetworks(store, sk, 1, async ([net]) => {
        const prefix = net.IPAM.Config[0].Subnet.replace(/0\/24$/, "");
        const ip = `${prefix}77`;
        await ok(sk, [
          "run",
          "-d",
          "--name",
          "fixed",
          "--network",
          net.Name,
          "--ip",
          ip,
          "busybox",
          "sleep",
          "300",
        ]);
        const ipOf = async () =>
          (await ok(sk, ["inspect", "-f", "{{.NetworkSettings.IPAddress}}", "fixed"])).trim();
        assertEquals(await ipOf(), ip);
        // another container takes the lowest free address meanwhile; the restart keeps ours
        await ok(sk, ["run", "-d", "--network", net.Name, "busybox", "sleep", "300"]);
        await ok(sk, ["restart", "-t", "0", "fixed"]);
        assertEquals(await ipOf(), ip);
        const [rec] = JSON.parse(await ok(sk, ["inspect", "fixed"]));
        assertEquals(rec.NetworkSettings.Networks[net.Name].IPAMConfig, { IPv4Address: ip });
        const seen = await ok(sk, ["exec", "fixed", "sh", "-c", "ip -4 -o addr show eth0"]);
        assert(seen.includes(`inet ${ip}/24`), seen);

        const s = await openStore(store);
        const before = JSON.stringify([
          await readAllocations(s, net.Id),
          (await ok(sk, ["ps", "-aq"])).trim(),
        ]);
        for (
          const [addr, message] of [
            [ip, `Error: Address already in use: ${ip} on network ${net.Name}`],
            ["10.99.99.99", "no configured subnet or ip-range contain the IP address 10.99.99.99"],
            ["999.1.1.1", "Error: invalid IPv4 address: 999.1.1.1"],
          ]
        ) {
          for (const verb of ["run", "create"]) {
            const r = await sk([verb, "--network", net.Name, "--ip", addr, "busybox", "true"]);
            // a taken address is the daemon's error in docker: `create` exits 1 for it
            assertEquals(r.code, verb === "create" && addr === ip ? 1 : 125, r.stderr);
            assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
            assert(r.stderr.includes(message), r.stderr);
          }
        }
        const ipOnDefault = await sk(["run", "--rm", "--ip", `${prefix}9`, "busybox", "true"]);
        assertEquals(ipOnDefault.code, 125);
        assertEquals(
          ipOnDefault.stderr.trim(),
          "Error: user specified IP address is supported on user defined networks only",
        );
        const after = JSON.stringify([
          await readAllocations(s, net.Id),
          (await ok(sk, ["ps", "-aq"])).trim(),
        ]);
        assertEquals(after, before);
      });
    });
  },
);

Deno.test(
  "names: --dns, --dns-search, --dns-option, --add-host host-gateway, --domainname in the files",
  opts,
  async () => {
    await withBusyboxStore(async (store, sk) => {
      await withNetworks(store, sk, 1, async ([net]) => {
        const gateway = net.IPAM.Config[0].Gateway;
        const out = await ok(sk, [
          "run",
          "--name",
          "dnsy",
          "--network",
          net.Name,
          "--hostname",
          "box",
          "--domainname",
          "example.test",
          "--dns",
          "192.0.2.53",
          "--dns-search",
          "corp.test",
          "--dns-option",
          "ndots:2",
          "--add-host",
          "hostgw:host-gateway",
          "--add-host",
          "db=192.0.2.10",
          "--mac-address",
          "02:00:00:aa:bb:cc",
          "busybox",
          "sh",
          "-c",
          `cat /etc/resolv.conf; echo ---; cat /etc/hosts; echo ---; cat /sys/class/net/eth0/address; cat /proc/sys/kernel/domainname; ${
            pingable("hostgw")
          } && echo gateway-reached`,
        ]);
        const [resolv, hosts, rest] = out.split("---\n");
        assertEquals(resolv, "nameserver 192.0.2.53\nsearch corp.test\noptions ndots:2\n");
        assert(hosts.includes(`${gateway}\thostgw\n`), hosts);
        assert(hosts.includes("192.0.2.10\tdb\n"), hosts);
        assert(/\tbox\.example\.test box\n/.test(hosts), hosts);
        assert(hosts.startsWith("127.0.0.1\tlocalhost\n"), hosts);
        assertEquals(rest, "02:00:00:aa:bb:cc\nexample.test\ngateway-reached\n");
        const [i] = JSON.parse(await ok(sk, ["inspect", "dnsy"]));
        assertEquals(i.HostConfig.Dns, ["192.0.2.53"]);
        assertEquals(i.HostConfig.DnsSearch, ["corp.test"]);
        assertEquals(i.HostConfig.DnsOptions, ["ndots:2"]);
        assertEquals(i.HostConfig.ExtraHosts, ["hostgw:host-gateway", "db=192.0.2.10"]);
        assertEquals(i.Config.Domainname, "example.test");
        // outside a bridge: --network host maps host-gateway to 127.0.0.1 (as Podman does)
        const hostNet = await ok(sk, [
          "run",
          "--rm",
          "--network",
          "host",
          "--add-host",
          "hostgw:host-gateway",
          "busybox",
          "tail",
          "-n",
          "1",
          "/etc/hosts",
        ]);
        assertEquals(hostNet, "127.0.0.1\thostgw\n");
        const [plain] = JSON.parse(
          await ok(sk, ["inspect", (await ok(sk, ["create", "busybox"])).trim()]),
        );
        assertEquals(
          [plain.HostConfig.Dns, plain.HostConfig.DnsSearch, plain.HostConfig.DnsOptions],
          [[], [], []],
        );
        assertEquals([plain.HostConfig.ExtraHosts, plain.Config.Domainname], [null, ""]);
      });
    });
  },
);

Deno.test(
  "names: 6 containers started at once all list each other; a hostile host name adds no line",
  opts,
  async () => {
    await withBusyboxStore(async (store, sk) => {
      await withNetworks(store, sk, 1, async ([net]) => {
        const names = ["c1", "c2", "c3", "c4", "c5", "c6"];
        const runs = await Promise.all(
          names.map((n) =>
            sk(["run", "-d", "--name", n, "--network", net.Name, "busybox", "sleep", "300"])
          ),
        );
        for (const r of runs) assertEquals(r.code, 0, r.stderr);
        for (const n of names) {
          const hosts = await ok(sk, ["exec", n, "cat", "/etc/hosts"]);
          const listed = names.filter((o) => new RegExp(`\\t${o} `, "m").test(hosts));
          assertEquals(listed, names.filter((o) => o !== n), hosts);
        }
        // an attacker's --hostname with a line break: its names line never carries the payload
        await ok(sk, [
          "run",
          "-d",
          "--name",
          "evil",
          "--network",
          net.Name,
          "--hostname",
          "ev\n6.6.6.6 c1",
          "busybox",
          "sleep",
          "300",
        ]);
        const hosts = await ok(sk, ["exec", "c1", "cat", "/etc/hosts"]);
        assert(/\tevil [0-9a-f]{12}\n/.test(hosts), hosts);
        assert(!hosts.includes("6.6.6.6"), hosts);
      });
    });
  },
);
