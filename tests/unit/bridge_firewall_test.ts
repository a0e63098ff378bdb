/**
 * The bridge driver's decisions without a kernel: the nft and iptables rules of a network
 * (NAT unless internal, isolation from other skiff bridges, each tagged with the network's
 * name), finding and deleting only skiff's own rules, applying them on the fake host (once,
 * nft first, iptables only where nft is absent), the container's plan (veth name, MAC,
 * addresses, gateway), its hosts and resolv.conf, and the driver refusing to run without root.
 */
import { assert, assertEquals, assertRejects, assertThrows } from "../helpers/assert.ts";
import {
  iptablesDeletes,
  iptablesRules,
  nftAddScript,
  nftDeleteScript,
  parseNftTable,
  taggedRules,
} from "../../src/network/firewall.ts";
import { ensureFirewall, removeFirewall } from "../../src/network/firewall_apply.ts";
import {
  bridgePlan,
  bridgeResolvConf,
  containerHosts,
  hostVethName,
  macForAddress,
} from "../../src/network/bridge_plan.ts";
import { listNetworks, type NetworkRecord } from "../../src/network/network_store.ts";
import { FailedPreconditionError, InvalidArgumentError } from "../../src/errors.ts";
import { bridgeDriver } from "../../src/network/bridge.ts";
import type { ContainerRecord } from "../../src/runtime/container_store.ts";
import { FakeHost } from "../../src/sys/fake_host.ts";
import { openStore } from "../../src/store/store.ts";

const web = { name: "web", bridge: "br-1", subnets: ["172.18.0.0/16"], internal: false };
const utf8 = new TextEncoder();

Deno.test("nft: NAT and isolation for a network, tagged with its name", () => {
  const script = nftAddScript(web);
  assert(script.startsWith("add table ip skiff\n"), script);
  assert(
    script.includes(
      'add rule ip skiff postrouting ip saddr 172.18.0.0/16 oifname != "br-1" masquerade comment "skiff network web"',
    ),
    script,
  );
  assert(
    script.includes(
      'add rule ip skiff forward iifname @bridges oifname "br-1" iifname != "br-1" drop comment "skiff network web"',
    ),
    script,
  );
  assert(script.includes('add element ip skiff bridges { "br-1" }'), script);
  const rules = script.split("\n").filter((l) => l.startsWith("add rule"));
  assert(rules.every((l) => l.endsWith('comment "skiff network web"')), script);
});

Deno.test("nft: an internal network has no NAT rule and forwards nothing outside", () => {
  const script = nftAddScript({ ...web, internal: true });
  assert(!script.includes("masquerade"), script);
  assert(script.includes('forward iifname "br-1" oifname != "br-1" drop'), script);
  assert(script.includes('forward oifname "br-1" iifname != "br-1" drop'), script);
});

Deno.test("nft: a name that could break out of the rule's quotes is refused", () => {
  assertThrows(() => nftAddScript({ ...web, name: 'x" accept; #' }), InvalidArgumentError);
  assertThrows(() => nftAddScript({ ...web, bridge: "br 1" }), InvalidArgumentError);
});

Deno.test("nft: only the network's own rules are deleted", () => {
  const listing = JSON.stringify({
    nftables: [
      { set: { name: "bridges", elem: ["br-1", "br-2"] } },
      { rule: { chain: "forward", handle: 4, comment: "skiff network web" } },
      { rule: { chain: "postrouting", handle: 5, comment: "skiff network web" } },
      { rule: { chain: "forward", handle: 6, comment: "skiff network other" } },
      { rule: { chain: "forward", handle: 7 } },
    ],
  });
  const state = parseNftTable(listing);
  assertEquals(state.bridges, ["br-1", "br-2"]);
  assertEquals(taggedRules(state.rules, "web").map((r) => r.handle), [4, 5]);
  assertEquals(
    nftDeleteScript(state.rules, "web", "br-1", state.bridges),
    "delete rule ip skiff forward handle 4\ndelete rule ip skiff postrouting handle 5\n" +
      'delete element ip skiff bridges { "br-1" }\n',
  );
  assertEquals(nftDeleteScript(state.rules, "gone", "br-9", state.bridges), "");
});

Deno.test("iptables: the same rules, pairwise isolation, and deletes of tagged lines only", () => {
  const add = iptablesRules(web, ["skiff0"]);
  assertEquals(add.map((a) => a.slice(0, 4).join(" ")), [
    "-t filter -A FORWARD",
    "-t filter -A FORWARD",
    "-t nat -A POSTROUTING",
    "-t nat -A POSTROUTING",
  ]);
  // the second masquerades hairpin connections to published ports
  assert(add[3].join(" ").includes("-o br-1 -m conntrack --ctstate DNAT -j MASQUERADE"));
  assert(add.every((a) => a.includes("skiff network web")));
  assert(!iptablesRules({ ...web, internal: true }, []).some((a) => a.includes("MASQUERADE")));
  const listing = [
    "-P FORWARD ACCEPT",
    '-A FORWARD -i skiff0 -o br-1 -m comment --comment "skiff network web" -j DROP',
    '-A FORWARD -i eth9 -o eth8 -m comment --comment "someone else" -j DROP',
  ].join("\n");
  assertEquals(iptablesDeletes(listing, "filter", "web"), [[
    "-t",
    "filter",
    "-D",
    "FORWARD",
    "-i",
    "skiff0",
    "-o",
    "br-1",
    "-m",
    "comment",
    "--comment",
    "skiff network web",
    "-j",
    "DROP",
  ]]);
});

async function withStore(fn: (store: Awaited<ReturnType<typeof openStore>>) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await fn(await openStore({ root: `${dir}/root`, runroot: `${dir}/run` }));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("firewall on the fake host: nft adds a network's rules once", async () => {
  await withStore(async (store) => {
    const host = new FakeHost();
    host.addFile("/usr/sbin/nft", "");
    let listed = "";
    host.onRun = (_p, c) => {
      if (c.args.includes("list")) {
        return listed ? { stdout: utf8.encode(listed) } : { code: 1 };
      }
      return {};
    };
    await ensureFirewall(store, host, web, []);
    assertEquals(host.runs.map((r) => r.program), ["/usr/sbin/nft", "/usr/sbin/nft"]);
    assertEquals(host.runs[1].command.args, [nftAddScript(web)]);
    // present: nothing added again
    listed = JSON.stringify({
      nftables: [
        { set: { name: "bridges", elem: ["br-1"] } },
        { rule: { chain: "forward", handle: 4, comment: "skiff network web" } },
        { rule: { chain: "postrouting", handle: 5, comment: "skiff network web" } },
        { rule: { chain: "postrouting", handle: 6, comment: "skiff network web" } },
      ],
    });
    host.runs = [];
    await ensureFirewall(store, host, web, []);
    assertEquals(host.runs.length, 1);
    // removal deletes by handle
    host.runs = [];
    await removeFirewall(store, host, "web", "br-1");
    assertEquals(host.runs[1].command.args, [
      "delete rule ip skiff forward handle 4\ndelete rule ip skiff postrouting handle 5\n" +
      'delete rule ip skiff postrouting handle 6\ndelete element ip skiff bridges { "br-1" }\n',
    ]);
  });
});

Deno.test("firewall on the fake host: iptables only where nft is absent", async () => {
  await withStore(async (store) => {
    const host = new FakeHost();
    host.addFile("/usr/sbin/iptables", "");
    await ensureFirewall(store, host, web, ["skiff0"]);
    const programs = new Set(host.runs.map((r) => r.program));
    assertEquals([...programs], ["/usr/sbin/iptables"]);
    assert(host.runs.some((r) => r.command.args.includes("MASQUERADE")));
  });
});

const net = {
  Name: "web",
  Id: "a".repeat(64),
  Bridge: "br-aaaaaaaaaaaa",
  Internal: false,
  Options: {},
} as unknown as NetworkRecord;

Deno.test("plan: veth name, Docker's MAC, addresses, gateway on the bridge", () => {
  const id = "0123456789abcdef".repeat(4);
  const plan = bridgePlan(net, id, [
    {
      family: 4,
      address: "172.18.0.2",
      prefixLength: 16,
      gateway: "172.18.0.1",
      subnet: "172.18.0.0/16",
    },
  ]);
  assertEquals(plan.hostVeth, "vsk0123456789ab");
  assert(hostVethName(id).length <= 15);
  assertEquals(plan.bridgeAddresses, ["172.18.0.1/16"]);
  assertEquals(plan.addresses, ["172.18.0.2/16"]);
  assertEquals([plan.ipAddress, plan.gateway, plan.prefixLength], ["172.18.0.2", "172.18.0.1", 16]);
  assertEquals(plan.mac, "02:42:ac:12:00:02");
  assertEquals(macForAddress("10.0.0.255"), "02:42:0a:00:00:ff");
});

Deno.test("etc files: the container's address under its name; resolvers it can reach", () => {
  assertEquals(
    containerHosts("127.0.0.1\tlocalhost\n", ["172.18.0.2"], "abc"),
    "127.0.0.1\tlocalhost\n172.18.0.2\tabc\n",
  );
  assertEquals(bridgeResolvConf("nameserver 192.0.2.53\n", "").text, "nameserver 192.0.2.53\n");
  const stub = bridgeResolvConf("nameserver 127.0.0.53\nsearch lan\n", "nameserver 10.0.0.1\n");
  assertEquals(stub.text, "search lan\nnameserver 10.0.0.1\n");
  assertEquals(stub.warning, undefined);
  const none = bridgeResolvConf("nameserver 127.0.0.1\n", "");
  assert(!none.text.includes("127.0.0.1"), none.text);
  assert(none.warning?.includes("--dns"));
});

Deno.test("firewall on the fake host: once installed this boot, a start runs no nft", async () => {
  await withStore(async (store) => {
    const host = new FakeHost();
    host.addFile("/usr/sbin/nft", "");
    host.addFile("/proc/sys/kernel/random/boot_id", "boot-1\n");
    host.onRun = (_p, c) => c.args.includes("list") ? { code: 1 } : {};
    await ensureFirewall(store, host, web, []);
    assertEquals(host.runs.length, 2);
    await ensureFirewall(store, host, web, []);
    assertEquals(host.runs.length, 2);
    // other rules for the same name (a network made again), or another boot: listed again
    await ensureFirewall(store, host, { ...web, subnets: ["172.19.0.0/16"] }, []);
    assertEquals(host.runs.length, 4);
    host.addFile("/proc/sys/kernel/random/boot_id", "boot-2\n");
    await ensureFirewall(store, host, { ...web, subnets: ["172.19.0.0/16"] }, []);
    assertEquals(host.runs.length, 6);
    // removal forgets the marker
    await removeFirewall(store, host, "web", "br-1");
    const before = host.runs.length;
    await ensureFirewall(store, host, { ...web, subnets: ["172.19.0.0/16"] }, []);
    assert(host.runs.length > before);
  });
});

Deno.test("bridge driver: without root, a one-line error before any address is taken", async () => {
  await withStore(async (store) => {
    const host = new FakeHost();
    host.userId = 1000;
    const driver = bridgeDriver(store, "bridge", host);
    const rec = { Id: "b".repeat(64), Name: "x" } as unknown as ContainerRecord;
    const err = await assertRejects(() => driver.setUp(rec), FailedPreconditionError);
    assert(err.message.startsWith("network bridge needs root"), err.message);
    assertEquals(host.runs, []);
    assertEquals(await listNetworks(store), []);
  });
});
