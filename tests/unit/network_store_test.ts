/**
 * Networks in the store: created with checked names, options and subnets, chosen subnets
 * avoiding other networks and the host's routes, listed, found by name, id and id prefix,
 * removed only when unused. Every refusal is one line and leaves the store unchanged.
 */
import { assert, assertEquals, assertRejects } from "../helpers/assert.ts";
import { treeSnapshot } from "../helpers/tree.ts";
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  type SkiffError,
} from "../../src/errors.ts";
import { parseSubnet } from "../../src/network/subnet.ts";
import type { HostRoute } from "../../src/network/host_routes.ts";
import { allocateAddresses, releaseAddresses } from "../../src/network/ipam.ts";
import {
  createNetwork,
  defaultBridgeName,
  ensureDefaultNetwork,
  findNetwork,
  listNetworks,
  type NetworkContext,
  removeNetwork,
} from "../../src/network/network_store.ts";
import { openStore, type Store } from "../../src/store/store.ts";

const NO_ROUTES: NetworkContext = { routes: [] };

async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "skiff-net-" });
  try {
    await fn(await openStore({ root, runroot: `${root}/run` }));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** Asserts the call is refused with one line of `kind` and the store is unchanged. */
async function refused<E extends SkiffError>(
  store: Store,
  fn: () => Promise<unknown>,
  kind: abstract new (...args: never[]) => E,
  message: string,
): Promise<void> {
  const before = await treeSnapshot(store.root);
  const err = await assertRejects(fn, kind);
  assertEquals(err.message, message);
  assert(!err.message.includes("\n"));
  assertEquals(await treeSnapshot(store.root), before);
}

function route(subnet: string, iface = "eth0"): HostRoute {
  return { subnet: parseSubnet(subnet), iface };
}

Deno.test("network create: Docker's inspect shape, a 64-hex id, a bridge named after it", async () => {
  await withStore(async (store) => {
    const net = await createNetwork(store, {
      name: "web",
      subnets: ["10.1.0.0/16"],
      gateways: ["10.1.0.254"],
      ipRanges: ["10.1.8.0/24"],
      internal: true,
      labels: { team: "a" },
      options: { "com.docker.network.driver.mtu": "1400" },
    }, NO_ROUTES);
    assert(/^[0-9a-f]{64}$/.test(net.Id));
    assert(!Number.isNaN(Date.parse(net.Created)));
    assertEquals(net.Bridge, `br-${net.Id.slice(0, 12)}`);
    assertEquals({ ...net, Id: "", Created: "", Bridge: "" }, {
      Name: "web",
      Id: "",
      Created: "",
      Scope: "local",
      Driver: "bridge",
      EnableIPv4: true,
      EnableIPv6: false,
      IPAM: {
        Driver: "default",
        Options: {},
        Config: [{ Subnet: "10.1.0.0/16", Gateway: "10.1.0.254", IPRange: "10.1.8.0/24" }],
      },
      Internal: true,
      Attachable: false,
      Ingress: false,
      ConfigFrom: { Network: "" },
      ConfigOnly: false,
      Options: { "com.docker.network.driver.mtu": "1400" },
      Labels: { team: "a" },
      Bridge: "",
    });
    const onDisk = JSON.parse(
      await Deno.readTextFile(`${store.root}/networks/${net.Id}/network.json`),
    );
    assertEquals(onDisk, net);
  });
});

Deno.test("network create: a subnet is chosen from Docker's pools, avoiding networks and routes", async () => {
  await withStore(async (store) => {
    const ctx = { routes: [route("172.18.0.0/16", "docker-thing"), route("10.0.0.0/8")] };
    // The first free subnet is left to the default network while it does not exist.
    const a = await createNetwork(store, { name: "a" }, ctx);
    assertEquals(a.IPAM.Config, [{ Subnet: "172.19.0.0/16", Gateway: "172.19.0.1" }]);
    const def = await ensureDefaultNetwork(store, ctx);
    assertEquals(def.IPAM.Config, [{ Subnet: "172.17.0.0/16", Gateway: "172.17.0.1" }]);
    // a store of its own (not /var/lib/skiff) has a default device of its own
    assertEquals(def.Bridge, defaultBridgeName(store.root));
    assert(/^sk0-[0-9a-f]{8}$/.test(def.Bridge), def.Bridge);
    assertEquals(defaultBridgeName("/var/lib/skiff"), "skiff0");
    assertEquals(def.Options["com.docker.network.bridge.name"], def.Bridge);
    assertEquals((await ensureDefaultNetwork(store, ctx)).Id, def.Id);
    const b = await createNetwork(store, { name: "b" }, ctx);
    assertEquals(b.IPAM.Config[0].Subnet, "172.20.0.0/16");
    // A route covering the 172.16.0.0/12 block sends the next one to 192.168.0.0/20.
    const c = await createNetwork(store, { name: "c" }, { routes: [route("172.16.0.0/12")] });
    assertEquals(c.IPAM.Config[0].Subnet, "192.168.0.0/20");
  });
});

Deno.test("the default network: as its configuration says, made once", async () => {
  await withStore(async (store) => {
    const config = {
      subnets: ["10.99.0.0/24"],
      options: {
        "com.docker.network.bridge.name": "skiffbr",
        "com.docker.network.driver.mtu": "1400",
      },
    };
    const [a, b] = await Promise.all([
      ensureDefaultNetwork(store, NO_ROUTES, config),
      ensureDefaultNetwork(store, NO_ROUTES, config),
    ]);
    assertEquals(a.Id, b.Id);
    assertEquals(a.Name, "bridge");
    assertEquals(a.Bridge, "skiffbr");
    assertEquals(a.IPAM.Config, [{ Subnet: "10.99.0.0/24", Gateway: "10.99.0.1" }]);
    assertEquals(a.Options, {
      "com.docker.network.bridge.name": "skiffbr",
      "com.docker.network.driver.mtu": "1400",
      "com.docker.network.bridge.default_bridge": "true",
    });
    assertEquals((await listNetworks(store)).length, 1);
  });
});

Deno.test("network create: --ipv6 gets a unique local /64 unless one is given", async () => {
  await withStore(async (store) => {
    const a = await createNetwork(store, { name: "a", ipv6: true }, NO_ROUTES);
    assertEquals(a.EnableIPv6, true);
    assertEquals(a.IPAM.Config.length, 2);
    const v6 = a.IPAM.Config[1];
    assert(v6.Subnet.startsWith("fd") && v6.Subnet.endsWith("::/64"), v6.Subnet);
    assertEquals(v6.Gateway, v6.Subnet.replace("::/64", "::1"));
    const b = await createNetwork(store, {
      name: "b",
      subnets: ["fd00:b::/64", "10.2.0.0/24"],
    }, NO_ROUTES);
    assertEquals(b.EnableIPv6, true);
    assertEquals(b.IPAM.Config.map((c) => c.Subnet), ["fd00:b::/64", "10.2.0.0/24"]);
  });
});

Deno.test("network ls and lookup: by full id, name, unique id prefix", async () => {
  await withStore(async (store) => {
    assertEquals(await listNetworks(store), []);
    const b = await createNetwork(store, { name: "b" }, NO_ROUTES);
    const a = await createNetwork(store, { name: "a" }, NO_ROUTES);
    assertEquals((await listNetworks(store)).map((n) => n.Name), ["a", "b"]);
    assertEquals((await findNetwork(store, "a")).Id, a.Id);
    assertEquals((await findNetwork(store, b.Id)).Name, "b");
    assertEquals((await findNetwork(store, b.Id.slice(0, 12))).Name, "b");
    const missing = await assertRejects(() => findNetwork(store, "nope"), NotFoundError);
    assertEquals(missing.message, "network nope not found");
    // Every id shares the empty prefix; a one-digit prefix is ambiguous only if shared.
    const shared = [a.Id, b.Id].filter((id) => id[0] === a.Id[0]).length;
    if (shared === 2) {
      const amb = await assertRejects(() => findNetwork(store, a.Id[0]), NotFoundError);
      assertEquals(
        amb.message,
        `network ${a.Id[0]} is ambiguous (2 matches found based on ID prefix)`,
      );
    }
  });
});

Deno.test("network create: bad input is one line and the store is unchanged", async () => {
  await withStore(async (store) => {
    await createNetwork(store, { name: "taken", subnets: ["10.1.0.0/16"] }, NO_ROUTES);
    const create = (spec: Parameters<typeof createNetwork>[1]) => () =>
      createNetwork(store, spec, NO_ROUTES);
    await refused(
      store,
      create({ name: "taken" }),
      AlreadyExistsError,
      "network with name taken already exists",
    );
    await refused(
      store,
      create({ name: "host" }),
      InvalidArgumentError,
      "network with name host already exists",
    );
    await refused(
      store,
      create({ name: "-bad" }),
      InvalidArgumentError,
      'invalid network name "-bad": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed',
    );
    await refused(
      store,
      create({ name: "x/y" }),
      InvalidArgumentError,
      'invalid network name "x/y": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed',
    );
    await refused(
      store,
      create({ name: "n", subnets: ["10.1.2.0/24"] }),
      InvalidArgumentError,
      "Pool overlaps with other one on this address space: 10.1.2.0/24 overlaps 10.1.0.0/16 of network taken",
    );
    await refused(
      store,
      create({ name: "n", subnets: ["10.0.0.0/33"] }),
      InvalidArgumentError,
      "invalid subnet 10.0.0.0/33: not an address/prefix (CIDR)",
    );
    await refused(
      store,
      create({ name: "n", subnets: ["10.2.0.1/24"] }),
      InvalidArgumentError,
      "invalid subnet 10.2.0.1/24: it should be 10.2.0.0/24",
    );
    await refused(
      store,
      create({ name: "n", subnets: ["10.2.0.0/24"], gateways: ["10.3.0.1"] }),
      InvalidArgumentError,
      "no matching subnet for gateway 10.3.0.1",
    );
    await refused(
      store,
      create({ name: "n", subnets: ["10.2.0.0/24"], ipRanges: ["10.2.0.0/16"] }),
      InvalidArgumentError,
      "no matching subnet for range 10.2.0.0/16",
    );
    await refused(
      store,
      create({ name: "n", driver: "macvlan" }),
      InvalidArgumentError,
      'network driver "macvlan" is not supported',
    );
    await refused(
      store,
      create({ name: "n", options: { "com.docker.network.bridge.name": "a/b" } }),
      InvalidArgumentError,
      'invalid bridge name "a/b": 1 to 15 characters without / : or spaces',
    );
    const taken = await findNetwork(store, "taken");
    await refused(
      store,
      create({ name: "n", options: { "com.docker.network.bridge.name": taken.Bridge } }),
      AlreadyExistsError,
      `bridge device ${taken.Bridge} is already used by network taken`,
    );
    await refused(
      store,
      create({ name: "n", options: { "com.docker.network.bridge.name": "skiff0" } }),
      AlreadyExistsError,
      "bridge device skiff0 is reserved for the default network bridge",
    );
    await refused(
      store,
      create({ name: "n", options: { "com.docker.network.driver.mtu": "9" } }),
      InvalidArgumentError,
      'invalid mtu "9": between 68 and 65535',
    );
    assertEquals((await listNetworks(store)).map((n) => n.Name), ["taken"]);
  });
});

Deno.test("network create: an exhausted default pool is one line", async () => {
  await withStore(async (store) => {
    const pools = [{ base: "10.9.0.0/23", size: 24 }];
    await ensureDefaultNetwork(store, { routes: [], pools });
    await createNetwork(store, { name: "b" }, { routes: [], pools });
    await refused(
      store,
      () => createNetwork(store, { name: "c" }, { routes: [], pools }),
      FailedPreconditionError,
      "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network",
    );
  });
});

Deno.test("network create: concurrent creates with one name make one network", async () => {
  await withStore(async (store) => {
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => createNetwork(store, { name: "same" }, NO_ROUTES)),
    );
    assertEquals(results.filter((r) => r.status === "fulfilled").length, 1);
    assertEquals((await listNetworks(store)).length, 1);
    // Concurrent creates without a subnet get distinct subnets.
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => createNetwork(store, { name: `n${i}` }, NO_ROUTES)),
    );
    const subnets = (await listNetworks(store)).map((n) => n.IPAM.Config[0].Subnet);
    assertEquals(new Set(subnets).size, 7);
  });
});

Deno.test("network rm: only when no container holds an address; not the default network", async () => {
  await withStore(async (store) => {
    const def = await ensureDefaultNetwork(store, NO_ROUTES);
    await refused(
      store,
      () => removeNetwork(store, "bridge"),
      FailedPreconditionError,
      "bridge is a pre-defined network and cannot be removed",
    );
    const net = await createNetwork(store, { name: "web" }, NO_ROUTES);
    const cid = "c".repeat(64);
    await allocateAddresses(store, net, cid);
    await refused(
      store,
      () => removeNetwork(store, "web"),
      FailedPreconditionError,
      `error while removing network: network web id ${
        net.Id.slice(0, 12)
      } has active endpoints (cccccccccccc)`,
    );
    await refused(
      store,
      () => removeNetwork(store, "nope"),
      NotFoundError,
      "network nope not found",
    );
    await releaseAddresses(store, net, cid);
    assertEquals((await removeNetwork(store, net.Id.slice(0, 10))).Name, "web");
    assertEquals((await listNetworks(store)).map((n) => n.Id), [def.Id]);
    assertEquals(
      (await Array.fromAsync(Deno.readDir(store.networks))).map((e) => e.name),
      [def.Id],
    );
    assertEquals(await Array.fromAsync(Deno.readDir(store.tmp)), []);
    // Its subnet is free again.
    const again = await createNetwork(store, { name: "web2" }, NO_ROUTES);
    assertEquals(again.IPAM.Config[0].Subnet, net.IPAM.Config[0].Subnet);
  });
});

Deno.test("network ls: what a killed create or rm left behind is not a network", async () => {
  await withStore(async (store) => {
    const net = await createNetwork(store, { name: "real" }, NO_ROUTES);
    // A directory named like a network but without its record, and a stray temporary file.
    await Deno.mkdir(`${store.networks}/${"e".repeat(64)}`);
    await Deno.writeTextFile(`${store.networks}/.tmp-network.json-o1.2-ab`, "{");
    assertEquals((await listNetworks(store)).map((n) => n.Id), [net.Id]);
    const again = await createNetwork(store, { name: "other" }, NO_ROUTES);
    assert(again.IPAM.Config[0].Subnet !== net.IPAM.Config[0].Subnet);
  });
});
