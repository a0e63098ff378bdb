/**
 * Several networks per container without root: records written before them still load (an
 * endpoint.json holding one endpoint, options with one `--network`), the list of a
 * container's networks, several `--network` values, a hosts file with a section per user
 * network, and `inspect`'s `Networks` with one entry per network.
 */
import { assertEquals, assertThrows } from "../helpers/assert.ts";
import { openStore, type Store } from "../../src/store/store.ts";
import { containerDir } from "../../src/runtime/container_store.ts";
import {
  containerNetworkSettings,
  type EndpointRecord,
  readEndpoints,
  writeEndpoints,
} from "../../src/network/endpoint.ts";
import { containerNetworks, networksFromFlags } from "../../src/network/attachments.ts";
import { endpointsHostsText } from "../../src/network/hosts_sync.ts";
import { bridgePlan, extraVethName, hostVethName } from "../../src/network/bridge_plan.ts";
import type { NetworkRecord } from "../../src/network/network_store.ts";
import { InvalidArgumentError } from "../../src/errors.ts";

const ID = "0123456789abcdef".repeat(4);

async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "skiff-connect-" });
  try {
    await fn(await openStore({ root, runroot: `${root}/run` }));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

function endpoint(over: Partial<EndpointRecord>): EndpointRecord {
  return {
    network: "web",
    networkId: "n".repeat(64),
    bridge: "br-x",
    bridgeAddresses: ["10.9.0.1/24"],
    hostVeth: "vskx",
    containerVeth: "eth0",
    addresses: ["10.9.0.2/24"],
    ipAddress: "10.9.0.2",
    gateway: "10.9.0.1",
    prefixLength: 24,
    ipv6Address: "",
    ipv6Gateway: "",
    mac: "02:42:0a:09:00:02",
    mtu: 0,
    internal: false,
    ...over,
  };
}

Deno.test("endpoint.json written before several networks (one endpoint) loads as a list of one", async () => {
  await withStore(async (store) => {
    const dir = containerDir(store, ID);
    await Deno.mkdir(dir, { recursive: true });
    // exactly what the single-network code wrote: the endpoint itself, at the top level
    const old = {
      network: "web",
      networkId: "n".repeat(64),
      bridge: "skweb",
      bridgeAddresses: ["10.9.0.1/24"],
      hostVeth: hostVethName(ID),
      containerVeth: "eth0",
      addresses: ["10.9.0.2/24"],
      ipAddress: "10.9.0.2",
      gateway: "10.9.0.1",
      prefixLength: 24,
      ipv6Address: "",
      ipv6Gateway: "",
      mac: "02:42:0a:09:00:02",
      mtu: 0,
      internal: false,
      containerName: "app",
      hostname: "0123456789ab",
      domainname: "",
      aliases: ["api"],
      dnsNames: ["app", "api", "0123456789ab"],
      extraHosts: [],
      requested: { ipv4: "10.9.0.2" },
    };
    await Deno.writeTextFile(`${dir}/endpoint.json`, JSON.stringify(old));
    const eps = await readEndpoints(store, ID);
    assertEquals(eps.length, 1);
    assertEquals([eps[0].network, eps[0].ipAddress, eps[0].aliases], ["web", "10.9.0.2", ["api"]]);
    // and the new file, with a second endpoint, round-trips in order
    const second = endpoint({ network: "db", networkId: "d".repeat(64), containerVeth: "eth1" });
    await writeEndpoints(store, ID, [...eps, second]);
    assertEquals((await readEndpoints(store, ID)).map((e) => e.containerVeth), ["eth0", "eth1"]);
    // none at all, or something else: no endpoints
    await Deno.writeTextFile(`${dir}/endpoint.json`, "null");
    assertEquals(await readEndpoints(store, ID), []);
    assertEquals(await readEndpoints(store, "f".repeat(64)), []);
  });
});

Deno.test("a container's networks: the list when there is one, else its --network", () => {
  // options of a record written before the list: one network with --ip and aliases
  assertEquals(
    containerNetworks({ network: "web", ip: "10.9.0.5", networkAliases: ["api"] }),
    [{ name: "web", ip: "10.9.0.5", aliases: ["api"] }],
  );
  assertEquals(containerNetworks({ network: "bridge" }), [{ name: "bridge" }]);
  for (const mode of ["none", "host", "private", "container:db"]) {
    assertEquals(containerNetworks({ network: mode }), []);
  }
  assertEquals(
    containerNetworks({ network: "web", ip: "10.9.0.5", networks: [{ name: "db" }] }),
    [{ name: "db" }],
  );
  assertEquals(containerNetworks({ network: "private", networks: [] }), []);
});

Deno.test("several --network: repeated or comma-separated; only bridge networks, each once", () => {
  assertEquals(networksFromFlags(["web"], { network: "web" }), undefined);
  assertEquals(networksFromFlags([], { network: "private" }), undefined);
  assertEquals(
    networksFromFlags(["web", "db"], { network: "web", ip: "10.9.0.5", networkAliases: ["a"] }),
    [{ name: "web", ip: "10.9.0.5", aliases: ["a"] }, { name: "db" }],
  );
  assertEquals(networksFromFlags(["web,db", "bridge"], { network: "web" }), [
    { name: "web" },
    { name: "db" },
    { name: "bridge" },
  ]);
  for (const bad of [["web", "host"], ["none,web"], ["web", "container:x"], ["web", "default"]]) {
    const err = assertThrows(
      () => networksFromFlags(bad, { network: bad[0].split(",")[0] }),
      InvalidArgumentError,
    );
    assertEquals(
      err.message,
      "conflicting options: cannot attach both user-defined and non-user-defined network-modes",
    );
  }
  const twice = assertThrows(
    () => networksFromFlags(["web", "web"], { network: "web" }),
    InvalidArgumentError,
  );
  assertEquals(twice.message, `network "web" is specified multiple times`);
  assertThrows(() => networksFromFlags(["web,"], { network: "web" }), InvalidArgumentError);
});

Deno.test("hosts of a container on two user networks: its addresses, one section per network", () => {
  const web = endpoint({ hostname: "aaaaaaaaaaaa" });
  const db = endpoint({
    network: "db",
    ipAddress: "10.8.0.2",
    hostname: "aaaaaaaaaaaa",
    containerVeth: "eth1",
  });
  const peerWeb = endpoint({ ipAddress: "10.9.0.3", dnsNames: ["front"] });
  const peerDb = endpoint({ network: "db", ipAddress: "10.8.0.3", dnsNames: ["store"] });
  const text = endpointsHostsText([web, db], [
    { network: "web", peers: [peerWeb] },
    { network: "db", peers: [peerDb] },
  ]);
  assertEquals(
    text.split("\n").slice(6).join("\n"),
    "10.9.0.2\taaaaaaaaaaaa\n10.8.0.2\taaaaaaaaaaaa\n" +
      "# skiff: other running containers on network web\n10.9.0.3\tfront\n" +
      "# skiff: other running containers on network db\n10.8.0.3\tstore\n",
  );
});

Deno.test("inspect: one Networks entry per network, not-yet-started ones without addresses", () => {
  const web = endpoint({});
  const s = containerNetworkSettings(
    [{ name: "web" }, { name: "db", ip: "10.8.0.9", aliases: ["store"] }],
    [web],
    true,
  ) as { IPAddress: string; Networks: Record<string, Record<string, unknown>> };
  assertEquals(Object.keys(s.Networks), ["web", "db"]);
  assertEquals(s.IPAddress, "10.9.0.2");
  assertEquals(s.Networks.web.IPAddress, "10.9.0.2");
  assertEquals(
    [s.Networks.db.IPAddress, s.Networks.db.IPAMConfig, s.Networks.db.Aliases],
    ["", { IPv4Address: "10.8.0.9" }, ["store"]],
  );
});

Deno.test("the plan of a second interface: eth1, its own host veth, found again by its ids", () => {
  const net = {
    Name: "db",
    Id: "d".repeat(64),
    Bridge: "skdb",
    Options: {},
    Internal: false,
  } as unknown as NetworkRecord;
  const addr = {
    family: 4 as const,
    address: "10.8.0.2",
    prefixLength: 24,
    gateway: "10.8.0.1",
    subnet: "10.8.0.0/24",
  };
  const first = bridgePlan(net, ID, [addr]);
  const second = bridgePlan(net, ID, [addr], 1);
  assertEquals([first.containerVeth, first.hostVeth], ["eth0", hostVethName(ID)]);
  assertEquals([second.containerVeth, second.hostVeth], ["eth1", extraVethName(ID, net.Id)]);
  assertEquals(second.hostVeth.length, 15);
  assertEquals(second.hostVeth.startsWith("vsk"), true);
  assertEquals(extraVethName(ID, net.Id) === extraVethName(ID, "e".repeat(64)), false);
});
