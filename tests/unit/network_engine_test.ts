/**
 * The network verbs of the engine, on a temporary store (no root): Docker's objects, `bridge`
 * made on first use and `host` / `none` listed beside it, `network ls` filters, containers
 * shown with their addresses, and every refusal one line with the store unchanged.
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
import { parseFilters } from "../../src/engine/filters.ts";
import {
  createNetworkFromOptions,
  inspectNetworks,
  listNetworkObjects,
  NETWORK_LIST_FILTERS,
  networkExists,
  networkPruneFilters,
  parseDriverOptions,
  pruneNetworks,
  removeNetworks,
} from "../../src/engine/networks.ts";
import { allocateAddresses } from "../../src/network/ipam.ts";
import { findNetwork } from "../../src/network/network_store.ts";
import { openStore } from "../../src/store/store.ts";

type Where = { root: string; runroot: string };

async function withStore(fn: (where: Where) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "skiff-netengine-" });
  try {
    await fn({ root: `${root}/data`, runroot: `${root}/run` });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** A container record named `name` holding an address on network `net` (through ipam.ts). */
async function attach(where: Where, net: string, name: string): Promise<string> {
  const store = await openStore(where);
  const id = crypto.randomUUID().replaceAll("-", "").repeat(2);
  await Deno.mkdir(`${store.containers}/${id}`, { recursive: true });
  await Deno.writeTextFile(
    `${store.containers}/${id}/container.json`,
    JSON.stringify({ Id: id, Name: name, Created: new Date().toISOString(), Options: {} }),
  );
  await allocateAddresses(store, await findNetwork(store, net), id);
  return id;
}

/** Asserts the call is refused with one line of `kind` and the store is unchanged. */
async function refused<E extends SkiffError>(
  where: Where,
  fn: () => Promise<unknown>,
  kind: abstract new (...args: never[]) => E,
  message: string,
): Promise<void> {
  const before = await treeSnapshot(where.root);
  const err = await assertRejects(fn, kind);
  assertEquals(err.message, message);
  assert(!err.message.includes("\n"));
  assertEquals(await treeSnapshot(where.root), before);
}

const names = (nets: { Name: string }[]) => nets.map((n) => n.Name);
const ls = (where: Where, ...filters: string[]) =>
  listNetworkObjects(where, parseFilters(filters, NETWORK_LIST_FILTERS));

Deno.test("network ls: bridge made on first use, host and none beside it, sorted", async () => {
  await withStore(async (where) => {
    const first = await ls(where);
    assertEquals(names(first), ["bridge", "host", "none"]);
    assertEquals(first.map((n) => n.Driver), ["bridge", "host", "null"]);
    assert(first.every((n) => /^[0-9a-f]{64}$/.test(n.Id)), JSON.stringify(first));
    assertEquals(new Set(first.map((n) => n.Id)).size, 3);
    // Ids stay the same from one command to the next.
    assertEquals((await ls(where)).map((n) => n.Id), first.map((n) => n.Id));
    const [bridge] = first;
    assertEquals(bridge.Options["com.docker.network.bridge.default_bridge"], "true");
    assertEquals(bridge.IPAM.Config.length, 1);
    const [host] = (await inspectNetworks(where, ["host"])).map((r) => r.ok && r.value);
    assert(host);
    assertEquals(host.IPAM, { Driver: "default", Options: null, Config: [] });
  });
});

Deno.test("network create: Docker's inspect object with what was asked for", async () => {
  await withStore(async (where) => {
    const net = await createNetworkFromOptions(where, {
      name: "web",
      subnets: ["10.77.0.0/24"],
      gateways: ["10.77.0.254"],
      ipRanges: ["10.77.0.128/25"],
      internal: true,
      labels: ["tier=front", "bare"],
      options: ["com.docker.network.driver.mtu=1400", "com.docker.network.bridge.name=br-web"],
    });
    assert(/^[0-9a-f]{64}$/.test(net.Id));
    assertEquals(Object.keys(net), [
      "Name",
      "Id",
      "Created",
      "Scope",
      "Driver",
      "EnableIPv4",
      "EnableIPv6",
      "IPAM",
      "Internal",
      "Attachable",
      "Ingress",
      "ConfigFrom",
      "ConfigOnly",
      "Containers",
      "Options",
      "Labels",
    ]);
    assertEquals(net.IPAM.Config, [
      { Subnet: "10.77.0.0/24", Gateway: "10.77.0.254", IPRange: "10.77.0.128/25" },
    ]);
    assertEquals(net.Internal, true);
    assertEquals(net.Labels, { tier: "front", bare: "" });
    assertEquals(net.Options, {
      "com.docker.network.driver.mtu": "1400",
      "com.docker.network.bridge.name": "br-web",
    });
    const [report] = await inspectNetworks(where, [net.Id.slice(0, 8)]);
    assert(report.ok);
    assertEquals(report.value, net);
    const v6 = await createNetworkFromOptions(where, {
      name: "six",
      subnets: ["fd12:3456::/64"],
      ipv6: true,
    });
    assertEquals(v6.EnableIPv6, true);
    // The IPv6 subnet asked for, and an IPv4 one chosen from the pools.
    const subnets = v6.IPAM.Config.map((c) => c.Subnet);
    assertEquals(subnets.length, 2);
    assert(subnets.includes("fd12:3456::/64"), subnets.join(" "));
    assert(subnets.some((c) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(c)), subnets.join(" "));
  });
});

Deno.test("network create: bad input is one line and the store is unchanged", async () => {
  await withStore(async (where) => {
    await createNetworkFromOptions(where, { name: "web", subnets: ["10.77.0.0/24"] });
    await ls(where); // the default network exists before the refusals
    await refused(
      where,
      () => createNetworkFromOptions(where, { name: "web" }),
      AlreadyExistsError,
      "network with name web already exists",
    );
    await refused(
      where,
      () => createNetworkFromOptions(where, { name: "other", subnets: ["10.77.0.128/25"] }),
      InvalidArgumentError,
      "Pool overlaps with other one on this address space: 10.77.0.128/25 overlaps 10.77.0.0/24 of network web",
    );
    await refused(
      where,
      () => createNetworkFromOptions(where, { name: "other", subnets: ["10.1.2.3"] }),
      InvalidArgumentError,
      "invalid subnet 10.1.2.3: not an address/prefix (CIDR)",
    );
    await refused(
      where,
      () => createNetworkFromOptions(where, { name: "other", driver: "overlay" }),
      InvalidArgumentError,
      'network driver "overlay" is not supported',
    );
    await refused(
      where,
      () => createNetworkFromOptions(where, { name: "other", options: ["mtu"] }),
      InvalidArgumentError,
      "invalid key/value pair format in driver options",
    );
    await refused(
      where,
      () => createNetworkFromOptions(where, { name: "host" }),
      InvalidArgumentError,
      "network with name host already exists",
    );
  });
});

Deno.test("network ls filters: name, id, driver, label, type, dangling", async () => {
  await withStore(async (where) => {
    const web = await createNetworkFromOptions(where, {
      name: "web",
      subnets: ["10.77.0.0/24"],
      labels: ["tier=front"],
    });
    await createNetworkFromOptions(where, { name: "db", subnets: ["10.78.0.0/24"] });
    await attach(where, "db", "postgres");
    assertEquals(names(await ls(where, "name=e")), ["bridge", "none", "web"]);
    assertEquals(names(await ls(where, "id=" + web.Id.slice(0, 6))), ["web"]);
    assertEquals(names(await ls(where, "driver=null", "driver=host")), ["host", "none"]);
    assertEquals(names(await ls(where, "label=tier=front")), ["web"]);
    assertEquals(names(await ls(where, "label=tier=back")), []);
    assertEquals(names(await ls(where, "type=custom")), ["db", "web"]);
    assertEquals(names(await ls(where, "type=builtin")), ["bridge", "host", "none"]);
    assertEquals(names(await ls(where, "dangling=true")), ["web"]);
    assertEquals(names(await ls(where, "dangling=false")), ["bridge", "db", "host", "none"]);
    assertEquals(names(await ls(where, "driver=bridge", "name=d")), ["bridge", "db"]);
    await assertRejects(() => ls(where, "dangling=maybe"), InvalidArgumentError);
    await assertRejects(() => ls(where, "type=other"), InvalidArgumentError);
    const bad = await assertRejects(() => ls(where, "color=red"), InvalidArgumentError);
    assertEquals(bad.message, "invalid filter 'color'");
  });
});

Deno.test("network inspect: containers with their addresses; one report per name", async () => {
  await withStore(async (where) => {
    await createNetworkFromOptions(where, { name: "web", subnets: ["10.77.0.0/24"] });
    const a = await attach(where, "web", "alpha");
    const b = await attach(where, "web", "beta");
    const reports = await inspectNetworks(where, ["web", "nope", "bridge"]);
    assertEquals(reports.map((r) => r.ok), [true, false, true]);
    assert(!reports[1].ok);
    assert(reports[1].error instanceof NotFoundError);
    assertEquals(reports[1].error.message, "No such network: nope");
    assert(reports[0].ok);
    const containers = reports[0].value.Containers;
    assertEquals(Object.keys(containers).sort(), [a, b].sort());
    assertEquals(containers[a].Name, "alpha");
    assertEquals(containers[a].IPv4Address, "10.77.0.2/24");
    assertEquals(containers[b].IPv4Address, "10.77.0.3/24");
    assertEquals(containers[b].IPv6Address, "");
  });
});

Deno.test("network rm: in use, predefined and unknown refused one by one; the rest removed", async () => {
  await withStore(async (where) => {
    await createNetworkFromOptions(where, { name: "web", subnets: ["10.77.0.0/24"] });
    const db = await createNetworkFromOptions(where, { name: "db", subnets: ["10.78.0.0/24"] });
    const holder = await attach(where, "db", "postgres");
    await ls(where);
    const before = await treeSnapshot(where.root);
    const refusedOnly = await removeNetworks(where, ["db", "bridge", "host", "none", "nope"]);
    assertEquals(refusedOnly.map((r) => r.ok ? "" : r.error.message), [
      `error while removing network: network db id ${db.Id.slice(0, 12)} has active endpoints (${
        holder.slice(0, 12)
      })`,
      "bridge is a pre-defined network and cannot be removed",
      "host is a pre-defined network and cannot be removed",
      "none is a pre-defined network and cannot be removed",
      "No such network: nope",
    ]);
    assert(!refusedOnly[0].ok && refusedOnly[0].error instanceof FailedPreconditionError);
    assertEquals(await treeSnapshot(where.root), before);
    const reports = await removeNetworks(where, ["web", "nope"], { force: true });
    assertEquals(reports.map((r) => r.ok && r.value.removed), [true, false]);
    assertEquals(names(await ls(where)), ["bridge", "db", "host", "none"]);
  });
});

Deno.test("network exists: true for bridge, host, none, names and ids; false otherwise", async () => {
  await withStore(async (where) => {
    const web = await createNetworkFromOptions(where, { name: "web", subnets: ["10.77.0.0/24"] });
    for (const ref of ["bridge", "host", "none", "web", web.Id, web.Id.slice(0, 12)]) {
      assertEquals(await networkExists(where, ref), true, ref);
    }
    assertEquals(await networkExists(where, "nope"), false);
    assertEquals(await networkExists(where, "webx"), false);
  });
});

Deno.test("network prune: unused custom networks only, narrowed by label and until", async () => {
  await withStore(async (where) => {
    await createNetworkFromOptions(where, {
      name: "keep",
      subnets: ["10.70.0.0/24"],
      labels: ["keep=yes"],
    });
    await createNetworkFromOptions(where, { name: "used", subnets: ["10.71.0.0/24"] });
    await createNetworkFromOptions(where, { name: "tmp1", subnets: ["10.72.0.0/24"] });
    await createNetworkFromOptions(where, { name: "tmp2", subnets: ["10.73.0.0/24"] });
    await attach(where, "used", "app");
    assertEquals(await pruneNetworks(where, networkPruneFilters(["until=2000-01-01"])), []);
    assertEquals(await pruneNetworks(where, networkPruneFilters(["label=nothing"])), []);
    assertEquals(
      await pruneNetworks(where, networkPruneFilters(["label!=keep"])),
      ["tmp1", "tmp2"],
    );
    assertEquals(names(await ls(where)), ["bridge", "host", "keep", "none", "used"]);
    assertEquals(await pruneNetworks(where, networkPruneFilters([])), ["keep"]);
    assertEquals(names(await ls(where)), ["bridge", "host", "none", "used"]);
    await assertRejects(
      () => Promise.resolve().then(() => networkPruneFilters(["until=1h", "until=2h"])),
      InvalidArgumentError,
    );
    await assertRejects(
      () => Promise.resolve().then(() => networkPruneFilters(["name=x"])),
      InvalidArgumentError,
    );
  });
});

Deno.test("parseDriverOptions: key=value pairs, a bare key refused", () => {
  assertEquals(parseDriverOptions(["a=1", "b=x=y", "c="]), { a: "1", b: "x=y", c: "" });
  let caught: unknown;
  try {
    parseDriverOptions(["=1"]);
  } catch (err) {
    caught = err;
  }
  assert(caught instanceof InvalidArgumentError);
});

Deno.test("network ls: commands racing on a new store make one default network", async () => {
  await withStore(async (where) => {
    const lists = await Promise.all(Array.from({ length: 8 }, () => ls(where)));
    const ids = new Set(lists.map((l) => l.find((n) => n.Name === "bridge")!.Id));
    assertEquals(ids.size, 1);
    const store = await openStore(where);
    assertEquals([...Deno.readDirSync(store.networks)].map((e) => e.name), [...ids]);
  });
});
