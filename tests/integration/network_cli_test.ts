/**
 * The `network` verbs as a user runs them (`skiff network create|ls|inspect|rm|prune|exists`):
 * Docker's output, `bridge`, `host` and `none` listed, and every bad input (overlapping or
 * invalid subnet, unknown network, duplicate name, a network in use, another driver) a
 * one-line error with a non-zero exit and the store unchanged.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { treeSnapshot } from "../helpers/tree.ts";
import { skiff, type SkiffResult, type TempStore, tempStore } from "../helpers/skiff.ts";
import { allocateAddresses } from "../../src/network/ipam.ts";
import { findNetwork } from "../../src/network/network_store.ts";
import { openStore } from "../../src/store/store.ts";

type Sk = (args: string[], stdin?: string) => Promise<SkiffResult>;

async function withStore(fn: (store: TempStore, sk: Sk) => Promise<void>): Promise<void> {
  const store = await tempStore();
  try {
    await fn(store, (args, stdin) => skiff(args, { ...store, stdin }));
  } finally {
    await store.cleanup();
  }
}

async function ok(sk: Sk, args: string[]): Promise<string> {
  const r = await sk(args);
  assertEquals(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** Runs a command that must fail with `message` on one line, leaving the store unchanged. */
async function refused(store: TempStore, sk: Sk, args: string[], message: string, code = 125) {
  const before = await treeSnapshot(store.root);
  const r = await sk(args);
  assertEquals(r.stderr, `Error: ${message}\n`, args.join(" "));
  assertEquals(r.code, code, args.join(" "));
  assertEquals(await treeSnapshot(store.root), before, args.join(" "));
  return r;
}

/** The rows of a table, split on runs of spaces. */
function rows(out: string): string[][] {
  return out.trimEnd().split("\n").map((l) => l.split(/ {2,}/));
}

Deno.test("network ls: Docker's columns with bridge, host and none", async () => {
  await withStore(async (_store, sk) => {
    const table = rows(await ok(sk, ["network", "ls"]));
    assertEquals(table[0], ["NETWORK ID", "NAME", "DRIVER", "SCOPE"]);
    assertEquals(table.slice(1).map((r) => r.slice(1)), [
      ["bridge", "bridge", "local"],
      ["host", "host", "local"],
      ["none", "null", "local"],
    ]);
    assert(table.slice(1).every((r) => /^[0-9a-f]{12}$/.test(r[0])), JSON.stringify(table));
    const full = (await ok(sk, ["network", "ls", "--no-trunc", "-q"])).trim().split("\n");
    assertEquals(full.map((id) => id.slice(0, 12)), table.slice(1).map((r) => r[0]));
    assert(full.every((id) => /^[0-9a-f]{64}$/.test(id)));
    // The default network is the same one from one command to the next.
    assertEquals(
      await ok(sk, ["network", "inspect", "-f", "{{.Id}}", "bridge"]),
      `${full[0]}\n`,
    );
  });
});

Deno.test("network create, ls with filters and formats, inspect, exists, rm", async () => {
  await withStore(async (_store, sk) => {
    const id = (await ok(sk, [
      "network",
      "create",
      "--subnet",
      "10.231.0.0/24",
      "--gateway",
      "10.231.0.254",
      "--ip-range",
      "10.231.0.128/25",
      "--label",
      "tier=front",
      "--internal",
      "-o",
      "com.docker.network.driver.mtu=1400",
      "-o",
      "com.docker.network.bridge.name=br-front",
      "front",
    ])).trim();
    assert(/^[0-9a-f]{64}$/.test(id), id);
    const backId = (await ok(sk, ["network", "create", "-d", "bridge", "back"])).trim();
    assertEquals(
      await ok(sk, ["network", "ls", "-q", "--filter", "label=tier=front"]),
      `${id.slice(0, 12)}\n`,
    );
    assertEquals(
      await ok(sk, ["network", "ls", "--filter", "type=custom", "--format", "{{.Name}} {{.ID}}"]),
      `back ${backId.slice(0, 12)}\nfront ${id.slice(0, 12)}\n`,
    );
    assertEquals(
      await ok(sk, [
        "network",
        "ls",
        "-f",
        "name=fro",
        "--format",
        "table {{.Name}}\t{{.Internal}}",
      ]),
      "NAME      INTERNAL\nfront     true\n",
    );
    const json = JSON.parse(
      (await ok(sk, ["network", "ls", "-f", "name=front", "--format", "json"])).trim(),
    );
    assertEquals(Object.keys(json), [
      "CreatedAt",
      "Driver",
      "ID",
      "IPv6",
      "Internal",
      "Labels",
      "Name",
      "Scope",
    ]);
    assertEquals(json.Labels, "tier=front");
    assert(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC$/.test(json.CreatedAt),
      json.CreatedAt,
    );
    const [obj] = JSON.parse(await ok(sk, ["network", "inspect", "front"]));
    assertEquals(obj.Name, "front");
    assertEquals(obj.Id, id);
    assertEquals(obj.Scope, "local");
    assertEquals(obj.Driver, "bridge");
    assertEquals(obj.Internal, true);
    assertEquals(obj.EnableIPv6, false);
    assertEquals(obj.IPAM, {
      Driver: "default",
      Options: {},
      Config: [{ Subnet: "10.231.0.0/24", Gateway: "10.231.0.254", IPRange: "10.231.0.128/25" }],
    });
    assertEquals(obj.Containers, {});
    assertEquals(obj.Labels, { "tier": "front" });
    assertEquals(obj.Options, {
      "com.docker.network.driver.mtu": "1400",
      "com.docker.network.bridge.name": "br-front",
    });
    assertEquals(
      await ok(sk, ["network", "inspect", "--format", "{{.Name}} {{.Driver}}", "host", "none"]),
      "host host\nnone null\n",
    );
    for (const ref of ["front", id, id.slice(0, 12), "bridge", "host", "none"]) {
      assertEquals((await sk(["network", "exists", ref])).code, 0, ref);
    }
    const missing = await sk(["network", "exists", "nope"]);
    assertEquals([missing.code, missing.stdout, missing.stderr], [1, "", ""]);
    const rm = await sk(["network", "rm", "front", "nope", backId.slice(0, 12)]);
    assertEquals(rm.stdout, `front\n${backId.slice(0, 12)}\n`);
    assertEquals(rm.stderr, "Error: No such network: nope\n");
    assertEquals(rm.code, 1);
    assertEquals((await sk(["network", "exists", "front"])).code, 1);
    assertEquals(await ok(sk, ["network", "rm", "-f", "nope"]), "");
  });
});

Deno.test("network create: --ipv6 adds an IPv6 subnet", async () => {
  await withStore(async (_store, sk) => {
    await ok(sk, ["network", "create", "--ipv6", "--subnet", "fd42:1:2:3::/64", "six"]);
    const [obj] = JSON.parse(await ok(sk, ["network", "inspect", "six"]));
    assertEquals(obj.EnableIPv6, true);
    const subnets = obj.IPAM.Config.map((c: { Subnet: string }) => c.Subnet);
    assertEquals(subnets.length, 2);
    assert(subnets.includes("fd42:1:2:3::/64"), subnets.join(" "));
    assert(subnets.some((s: string) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(s)), subnets.join(" "));
  });
});

Deno.test("network bad input: one line, non-zero exit, store unchanged", async () => {
  await withStore(async (store, sk) => {
    await ok(sk, ["network", "create", "--subnet", "10.232.0.0/16", "taken"]);
    await ok(sk, ["network", "ls"]); // the default network exists before the refusals
    await refused(
      store,
      sk,
      [
        "network",
        "create",
        "--subnet",
        "10.232.5.0/24",
        "other",
      ],
      "Pool overlaps with other one on this address space: 10.232.5.0/24 overlaps 10.232.0.0/16 of network taken",
    );
    await refused(
      store,
      sk,
      ["network", "create", "--subnet", "10.300.0.0/16", "other"],
      "invalid subnet 10.300.0.0/16: not an address/prefix (CIDR)",
    );
    await refused(
      store,
      sk,
      ["network", "create", "taken"],
      "network with name taken already exists",
    );
    await refused(
      store,
      sk,
      ["network", "create", "bridge"],
      "network with name bridge already exists",
    );
    await refused(
      store,
      sk,
      ["network", "create", "-d", "macvlan", "other"],
      'network driver "macvlan" is not supported',
    );
    await refused(
      store,
      sk,
      ["network", "create", "--gateway", "10.9.0.1", "--subnet", "10.233.0.0/24", "other"],
      "no matching subnet for gateway 10.9.0.1",
    );
    await refused(
      store,
      sk,
      ["network", "create", "bad name"],
      'invalid network name "bad name": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed',
    );
    await refused(
      store,
      sk,
      ["network", "create", "--subnet", "10.5.0.0/24", "--ip-range", "10.6.0.0/24", "other"],
      "no matching subnet for range 10.6.0.0/24",
    );
    await refused(
      store,
      sk,
      ["network", "create", "-o", "com.docker.network.driver.mtu=10", "other"],
      'invalid mtu "10": between 68 and 65535',
    );
    await refused(
      store,
      sk,
      ["network", "create", "-o", "com.docker.network.bridge.name=skiff0", "other"],
      "bridge device skiff0 is reserved for the default network bridge",
    );
    await refused(store, sk, ["network", "inspect", "nope"], "No such network: nope", 1);
    await refused(store, sk, ["network", "rm", "nope"], "No such network: nope", 1);
    await refused(
      store,
      sk,
      ["network", "rm", "bridge"],
      "bridge is a pre-defined network and cannot be removed",
      1,
    );
    await refused(
      store,
      sk,
      ["network", "ls", "--filter", "color=red"],
      "invalid filter 'color'",
    );
    const inspectMissing = await sk(["network", "inspect", "nope"]);
    assertEquals(inspectMissing.stdout, "[]\n");
  });
});

Deno.test("network rm and prune refuse a network a container holds an address on", async () => {
  await withStore(async (store, sk) => {
    const netId = (await ok(sk, ["network", "create", "--subnet", "10.234.0.0/24", "busy"]))
      .trim();
    await ok(sk, ["network", "create", "--subnet", "10.235.0.0/24", "idle"]);
    await ok(sk, ["network", "create", "--label", "keep", "--subnet", "10.236.0.0/24", "kept"]);
    const holder = "ab".repeat(32);
    const s = await openStore(store);
    const [addr] = await allocateAddresses(s, await findNetwork(s, "busy"), holder);
    assertEquals(addr.address, "10.234.0.2");
    await ok(sk, ["network", "ls"]); // the default network exists before the refusal
    await refused(
      store,
      sk,
      ["network", "rm", "busy"],
      `error while removing network: network busy id ${netId.slice(0, 12)} has active endpoints (${
        holder.slice(0, 12)
      })`,
      1,
    );
    const [obj] = JSON.parse(await ok(sk, ["network", "inspect", "busy"]));
    assertEquals(Object.keys(obj.Containers), [holder]);
    assertEquals(obj.Containers[holder].IPv4Address, "10.234.0.2/24");
    assertEquals(
      await ok(sk, ["network", "ls", "--filter", "dangling=true", "--format", "{{.Name}}"]),
      "idle\nkept\n",
    );
    // Prune asks first; "n" keeps everything.
    const asked = await sk(["network", "prune"], "n\n");
    assertEquals(asked.code, 0);
    assertEquals(
      asked.stdout,
      "WARNING! This will remove all custom networks not used by at least one container.\n" +
        "Are you sure you want to continue? [y/N] ",
    );
    assertEquals((await sk(["network", "exists", "idle"])).code, 0);
    assertEquals(
      await ok(sk, ["network", "prune", "-f", "--filter", "label!=keep"]),
      "Deleted Networks:\nidle\n\n",
    );
    assertEquals(
      await ok(sk, ["network", "ls", "--format", "{{.Name}}"]),
      "bridge\nbusy\nhost\nkept\nnone\n",
    );
    assertEquals(await ok(sk, ["network", "prune", "-f", "--filter", "until=2000-01-01"]), "");
  });
});

Deno.test("network ls: six processes racing on a new store see one default network", async () => {
  await withStore(async (_store, sk) => {
    const outs = await Promise.all(
      Array.from({ length: 6 }, () => ok(sk, ["network", "ls", "--no-trunc", "-q"])),
    );
    assertEquals(new Set(outs).size, 1, outs.join("---\n"));
    assertEquals(await ok(sk, ["network", "ls", "--no-trunc", "-q"]), outs[0]);
  });
});
