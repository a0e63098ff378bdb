/**
 * Bridge networking as root (`--network bridge` and user networks): containers on one network
 * reach each other by address (ping, and wget against busybox httpd), containers on another
 * network cannot, a container reaches its gateway on the host, an internal network has no
 * NAT rule, and set-up/tear-down leaves nothing behind (veth links, nft rules, addresses,
 * namespace files), also after the monitor was killed with SIGKILL. Traffic goes only to
 * loopback, the host's own addresses and the test's containers. The networks are made in the
 * test's store with the network layer (the `network` verbs are another module's) on subnets
 * under 10.231.0.0/16 and bridges named skbt*, removed afterwards.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { ok, type Sk, withBusyboxStore } from "../helpers/busybox_store.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";
import type { TempStore } from "../helpers/skiff.ts";
import { until } from "../helpers/wait.ts";
import { rand, run, withTestNetworks } from "../helpers/networks.ts";
import { openStore } from "../../src/store/store.ts";
import type { NetworkRecord } from "../../src/network/network_store.ts";
import { readAllocations } from "../../src/network/allocations.ts";

const opts = { ignore: skipUnless(IS_ROOT), sanitizeOps: false, sanitizeResources: false };
const utf8 = new TextDecoder();

/** Makes user networks in the test's store; removes them (and their bridges, rules) after. */
function withNetworks(
  store: TempStore,
  specs: { internal?: boolean }[],
  fn: (nets: NetworkRecord[]) => Promise<void>,
): Promise<void> {
  return withTestNetworks(store, { tag: "bt", subnet16: "10.231" }, specs, fn);
}

async function ipOf(sk: Sk, name: string): Promise<string> {
  return (await ok(sk, ["inspect", "-f", "{{.NetworkSettings.IPAddress}}", name])).trim();
}

/** The rules of the skiff nft table with their comments. */
async function nftRules(): Promise<{ comment?: string; expr: unknown[] }[]> {
  const out = await new Deno.Command("nft", {
    args: ["-j", "list", "table", "ip", "skiff"],
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!out.success) return [];
  const doc = JSON.parse(utf8.decode(out.stdout));
  // deno-lint-ignore no-explicit-any
  return doc.nftables.filter((i: any) => i.rule).map((i: any) => i.rule);
}

/** What a container's network leaves on the host, to compare before and after. */
async function footprint(store: TempStore, net: NetworkRecord): Promise<string> {
  const links = (JSON.parse(await run("ip", "-j", "link", "show")) as { ifname: string }[])
    .map((l) => l.ifname).filter((n) => n.startsWith("vsk")).length;
  const rules = (await nftRules()).length;
  const s = await openStore(store);
  const held = Object.keys(await readAllocations(s, net.Id)).length;
  const mounts = (await Deno.readTextFile("/proc/self/mountinfo")).split("\n")
    .filter((l) => l.includes(store.runroot)).length;
  let files = 0;
  const dir = `${store.runroot}/containers`;
  const entries = await Array.fromAsync(Deno.readDir(dir)).catch(() => []);
  for (const c of entries) {
    if (await Deno.lstat(`${dir}/${c.name}/netns`).then(() => true, () => false)) files++;
  }
  return JSON.stringify({ links, rules, held, mounts, files });
}

const HTTPD = "mkdir -p /www && echo hello-bridge > /www/index.html && exec httpd -f -p 80 -h /www";
const fetchLoop = (ip: string) =>
  `for i in 1 2 3 4 5 6 7 8 9 10; do timeout 3 wget -q -O- http://${ip}/ && exit 0; sleep 0.3; done; exit 1`;

Deno.test(
  "bridge: containers on one network reach each other, not across networks",
  opts,
  async () => {
    await withBusyboxStore(async (store, sk) => {
      await withNetworks(store, [{}, {}], async ([a, b]) => {
        await ok(sk, [
          "run",
          "-d",
          "--name",
          "web",
          "--network",
          a.Name,
          "busybox",
          "sh",
          "-c",
          HTTPD,
        ]);
        const ip = await ipOf(sk, "web");
        assert(ip.startsWith(a.IPAM.Config[0].Subnet.replace(/0\/24$/, "")), ip);
        const [inspected] = JSON.parse(await ok(sk, ["inspect", "web"]));
        assertEquals(inspected.NetworkSettings.Networks[a.Name].IPAddress, ip);
        assertEquals(inspected.NetworkSettings.Networks[a.Name].Gateway, a.IPAM.Config[0].Gateway);
        const mac = (await ok(sk, ["inspect", "-f", "{{.NetworkSettings.MacAddress}}", "web"]))
          .trim();
        assert(/^02:42(:[0-9a-f]{2}){4}$/.test(mac), mac);
        // same network: ping and an HTTP fetch
        await ok(sk, [
          "run",
          "--rm",
          "--network",
          a.Name,
          "busybox",
          "busybox",
          "ping",
          "-c",
          "1",
          "-W",
          "2",
          ip,
        ]);
        const page = await ok(sk, [
          "run",
          "--rm",
          "--network",
          a.Name,
          "busybox",
          "sh",
          "-c",
          fetchLoop(ip),
        ]);
        assertEquals(page.trim(), "hello-bridge");
        // the host's end of the network: the gateway on the bridge
        const gw = a.IPAM.Config[0].Gateway;
        await ok(sk, [
          "run",
          "--rm",
          "--network",
          a.Name,
          "busybox",
          "busybox",
          "ping",
          "-c",
          "1",
          "-W",
          "2",
          gw,
        ]);
        // another network: neither ping nor HTTP gets through
        const ping = await sk([
          "run",
          "--rm",
          "--network",
          b.Name,
          "busybox",
          "busybox",
          "ping",
          "-c",
          "1",
          "-W",
          "2",
          ip,
        ]);
        assert(ping.code !== 0, `ping across networks succeeded: ${ping.stdout}`);
        const get = await sk([
          "run",
          "--rm",
          "--network",
          b.Name,
          "busybox",
          "sh",
          "-c",
          `timeout 3 wget -q -O- http://${ip}/; exit $?`, // not as pid 1, which ignores TERM
        ]);
        // timeout's 143 or wget's 1 (a refused connection), not a crash
        assert([1, 143].includes(get.code), `${get.code}: ${get.stdout}`);
        assert(!get.stdout.includes("hello-bridge"), get.stdout);
        await ok(sk, ["rm", "-f", "web"]);
      });
    });
  },
);

Deno.test("bridge: the default network and an internal one", opts, async () => {
  await withBusyboxStore(async (store, sk) => {
    const out = await ok(sk, [
      "run",
      "--rm",
      "--network",
      "bridge",
      "busybox",
      "sh",
      "-c",
      "ip -4 -o addr show eth0; ip route; cat /etc/hosts",
    ]);
    const ip = /inet (\d+\.\d+\.\d+\.\d+)\/\d+/.exec(out)?.[1];
    assert(ip !== undefined, out);
    assert(/^default via /m.test(out), out);
    // /etc/hosts names the container's own address
    assert(new RegExp(`^${ip.replaceAll(".", "\\.")}\t\\S+$`, "m").test(out), out);
    // an unknown network: a one-line error, no container made
    const unknown = await sk(["run", "--rm", "--network", "no-such-net", "busybox", "true"]);
    assertEquals(unknown.code, 125);
    assertEquals(unknown.stderr.trim(), "Error: network no-such-net not found");
    assertEquals((await ok(sk, ["ps", "-aq"])).trim(), "");
    await withNetworks(store, [{ internal: true }], async ([internal]) => {
      const rules = (await nftRules()).filter((r) =>
        r.comment === `skiff network ${internal.Name}`
      );
      // set up on first use
      await ok(sk, ["run", "--rm", "--network", internal.Name, "busybox", "true"]);
      const after = (await nftRules()).filter((r) =>
        r.comment === `skiff network ${internal.Name}`
      );
      assertEquals(rules.length, 0);
      assert(after.length > 0, "no rules for the internal network");
      assert(!JSON.stringify(after).includes("masquerade"), JSON.stringify(after));
    });
  });
});

Deno.test(
  "bridge: 20 run --rm cycles and a killed monitor leave nothing behind",
  opts,
  async () => {
    await withBusyboxStore(async (store, sk) => {
      await withNetworks(store, [{}], async ([net]) => {
        await ok(sk, ["run", "--rm", "--network", net.Name, "busybox", "true"]); // bridge and rules
        const before = await footprint(store, net);
        for (let i = 0; i < 20; i++) {
          await ok(sk, ["run", "--rm", "--network", net.Name, "busybox", "true"]);
        }
        await until("the footprint to return", async () => await footprint(store, net) === before)
          .catch(() => {});
        assertEquals(await footprint(store, net), before);
        // the same address again on restart, released on rm
        const id = (await ok(sk, ["run", "-d", "--network", net.Name, "busybox", "sleep", "100"]))
          .trim();
        const ip = await ipOf(sk, id);
        await ok(sk, ["restart", "-t", "0", id]);
        assertEquals(await ipOf(sk, id), ip);
        // SIGKILL of the monitor: the next rm cleans up
        const monitor = Number(
          (await Deno.readTextFile(`${store.runroot}/containers/${id}/monitor.pid`)).trim(),
        );
        Deno.kill(monitor, "SIGKILL");
        await ok(sk, ["rm", "-f", id]);
        await until("the footprint to return", async () => await footprint(store, net) === before)
          .catch(() => {});
        assertEquals(await footprint(store, net), before);
      });
    });
  },
);

Deno.test(
  "bridge: network rm takes the network's bridge device and rules off the host",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      const name = `bt-${rand()}`, device = `skbt${rand()}`;
      const third = 1 + (crypto.getRandomValues(new Uint8Array(1))[0] % 250);
      await ok(sk, [
        "network",
        "create",
        "--subnet",
        `10.232.${third}.0/24`,
        "-o",
        `com.docker.network.bridge.name=${device}`,
        name,
      ]);
      const mine = async () =>
        (await nftRules()).filter((r) => r.comment === `skiff network ${name}`).length;
      const hasLink = async () =>
        (JSON.parse(await run("ip", "-j", "link", "show")) as { ifname: string }[])
          .some((l) => l.ifname === device);
      await ok(sk, ["run", "--rm", "--network", name, "busybox", "true"]);
      assertEquals([await hasLink(), (await mine()) > 0], [true, true]);
      await ok(sk, ["network", "rm", name]);
      assertEquals([await hasLink(), await mine()], [false, 0]);
    });
  },
);
