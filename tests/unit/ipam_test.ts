/**
 * Container addresses: the lowest free one (never the network, gateway or broadcast
 * address; inside --ip-range), a requested --ip/--ip6, the same address again on restart,
 * release, an exhausted pool, and 32 allocations racing from separate processes.
 */
import { assert, assertEquals, assertRejects } from "../helpers/assert.ts";
import { treeSnapshot } from "../helpers/tree.ts";
import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  type SkiffError,
} from "../../src/errors.ts";
import { readAllocations } from "../../src/network/allocations.ts";
import {
  allocateAddresses,
  containerAddresses,
  releaseAddresses,
  releaseContainer,
  releaseStale,
} from "../../src/network/ipam.ts";
import {
  createNetwork,
  ensureDefaultNetwork,
  type NetworkSpec,
  removeNetwork,
} from "../../src/network/network_store.ts";
import { openStore, type Store } from "../../src/store/store.ts";

const cid = (n: number) => n.toString(16).padStart(64, "0");

async function withStore(fn: (store: Store, root: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "skiff-ipam-" });
  try {
    await fn(await openStore({ root, runroot: `${root}/run` }), root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

function net(store: Store, spec: NetworkSpec) {
  return createNetwork(store, spec, { routes: [] });
}

async function addresses(store: Store, n: Awaited<ReturnType<typeof net>>, id: string) {
  return (await allocateAddresses(store, n, id)).map((a) => a.address);
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

Deno.test("ipam: the lowest free address, skipping the network and gateway addresses", async () => {
  await withStore(async (store) => {
    const n = await net(store, { name: "a", subnets: ["10.5.0.0/24"], gateways: ["10.5.0.2"] });
    assertEquals(await addresses(store, n, cid(1)), ["10.5.0.1"]);
    assertEquals(await addresses(store, n, cid(2)), ["10.5.0.3"]);
    const [full] = await allocateAddresses(store, n, cid(3));
    assertEquals(full, {
      family: 4,
      address: "10.5.0.4",
      prefixLength: 24,
      gateway: "10.5.0.2",
      subnet: "10.5.0.0/24",
    });
    // A released address is handed out again, lowest first.
    assertEquals(await releaseAddresses(store, n, cid(2)), true);
    assertEquals(await releaseAddresses(store, n, cid(2)), false);
    assertEquals(await addresses(store, n, cid(4)), ["10.5.0.3"]);
    assertEquals(await readAllocations(store, n.Id), {
      [cid(1)]: ["10.5.0.1"],
      [cid(3)]: ["10.5.0.4"],
      [cid(4)]: ["10.5.0.3"],
    });
  });
});

Deno.test("ipam: inside --ip-range when the network has one", async () => {
  await withStore(async (store) => {
    const n = await net(store, {
      name: "a",
      subnets: ["10.6.0.0/16"],
      ipRanges: ["10.6.4.0/30"],
    });
    assertEquals(await addresses(store, n, cid(1)), ["10.6.4.0"]);
    assertEquals(await addresses(store, n, cid(2)), ["10.6.4.1"]);
    assertEquals(await addresses(store, n, cid(3)), ["10.6.4.2"]);
    assertEquals(await addresses(store, n, cid(4)), ["10.6.4.3"]);
    await refused(
      store,
      () => allocateAddresses(store, n, cid(5)),
      FailedPreconditionError,
      "no available IPv4 addresses on network a (10.6.4.0/30)",
    );
    // An --ip outside the range but inside the subnet is allowed, as in Docker.
    const [fixed] = await allocateAddresses(store, n, cid(5), { ipv4: "10.6.200.7" });
    assertEquals(fixed.address, "10.6.200.7");
  });
});

Deno.test("ipam: an exhausted /30 is one line and the store is unchanged", async () => {
  await withStore(async (store) => {
    const n = await net(store, { name: "tiny", subnets: ["10.7.0.0/30"] });
    assertEquals(await addresses(store, n, cid(1)), ["10.7.0.2"]);
    await refused(
      store,
      () => allocateAddresses(store, n, cid(2)),
      FailedPreconditionError,
      "no available IPv4 addresses on network tiny (10.7.0.0/30)",
    );
  });
});

Deno.test("ipam: a requested --ip, refused outside the subnet, reserved or taken", async () => {
  await withStore(async (store) => {
    const n = await net(store, { name: "a", subnets: ["10.8.0.0/24"] });
    const [got] = await allocateAddresses(store, n, cid(1), { ipv4: "10.8.0.50" });
    assertEquals(got.address, "10.8.0.50");
    const ask = (ipv4?: string, ipv6?: string) => () =>
      allocateAddresses(store, n, cid(2), { ipv4, ipv6 });
    await refused(
      store,
      ask("10.8.0.50"),
      FailedPreconditionError,
      "Address already in use: 10.8.0.50 on network a",
    );
    await refused(
      store,
      ask("10.8.0.1"),
      FailedPreconditionError,
      "Address already in use: 10.8.0.1 on network a",
    );
    await refused(
      store,
      ask("10.9.0.5"),
      InvalidArgumentError,
      "invalid address 10.9.0.5: no configured subnet or ip-range contain the IP address 10.9.0.5 on network a",
    );
    await refused(
      store,
      ask("10.8.0.0"),
      InvalidArgumentError,
      "invalid address 10.8.0.0: it is the network address of network a",
    );
    await refused(
      store,
      ask("10.8.0.255"),
      InvalidArgumentError,
      "invalid address 10.8.0.255: it is the broadcast address of network a",
    );
    await refused(
      store,
      ask("10.8.0.300"),
      InvalidArgumentError,
      'invalid IP address: "10.8.0.300"',
    );
    await refused(
      store,
      ask("fd00::5"),
      InvalidArgumentError,
      "invalid --ip fd00::5: not an IPv4 address",
    );
    await refused(
      store,
      ask(undefined, "fd00::5"),
      InvalidArgumentError,
      "invalid address fd00::5: no configured subnet or ip-range contain the IP address fd00::5 on network a",
    );
    // The lowest free address passes over the requested one.
    assertEquals(await addresses(store, n, cid(3)), ["10.8.0.2"]);
  });
});

Deno.test("ipam: an --ip on the default network is refused, as Docker refuses it", async () => {
  await withStore(async (store) => {
    const def = await ensureDefaultNetwork(store, { routes: [] });
    await refused(
      store,
      () => allocateAddresses(store, def, cid(1), { ipv4: "172.17.0.9" }),
      InvalidArgumentError,
      "user specified IP address is supported on user defined networks only",
    );
    assertEquals(await addresses(store, def, cid(1)), ["172.17.0.2"]);
  });
});

Deno.test("ipam: a restart gets the same addresses; a container holds one per family", async () => {
  await withStore(async (store) => {
    const n = await net(store, { name: "a", subnets: ["10.9.0.0/24", "fd00:9::/64"] });
    const first = await allocateAddresses(store, n, cid(1), { ipv4: "10.9.0.9" });
    assertEquals(first.map((a) => [a.address, a.prefixLength, a.gateway]), [
      ["10.9.0.9", 24, "10.9.0.1"],
      ["fd00:9::2", 64, "fd00:9::1"],
    ]);
    assertEquals(await allocateAddresses(store, n, cid(1), { ipv4: "10.9.0.9" }), first);
    assertEquals(await allocateAddresses(store, n, cid(1)), first);
    assertEquals(await containerAddresses(store, n, cid(1)), first);
    assertEquals(await addresses(store, n, cid(2)), ["10.9.0.2", "fd00:9::3"]);
    const [, v6] = await allocateAddresses(store, n, cid(3), { ipv6: "FD00:9::abc" });
    assertEquals(v6.address, "fd00:9::abc");
    // Asking for another address moves the container to it.
    assertEquals(
      (await allocateAddresses(store, n, cid(1), { ipv4: "10.9.0.10" })).map((a) => a.address),
      ["10.9.0.10", "fd00:9::2"],
    );
    assertEquals(await containerAddresses(store, n, cid(9)), []);
  });
});

Deno.test("ipam: container removal releases everywhere; stale holders are released", async () => {
  await withStore(async (store) => {
    const a = await net(store, { name: "a", subnets: ["10.10.0.0/24"] });
    const b = await net(store, { name: "b", subnets: ["10.11.0.0/24"] });
    await allocateAddresses(store, a, cid(1));
    await allocateAddresses(store, b, cid(1));
    await allocateAddresses(store, b, cid(2));
    assertEquals(await releaseContainer(store, cid(1)), ["a", "b"]);
    assertEquals(await releaseContainer(store, cid(1)), []);
    assertEquals(Object.keys(await readAllocations(store, b.Id)), [cid(2)]);
    await allocateAddresses(store, b, cid(3));
    assertEquals(await releaseStale(store, b, (id) => id === cid(3)), [cid(2)]);
    assertEquals(Object.keys(await readAllocations(store, b.Id)), [cid(3)]);
  });
});

Deno.test("ipam: a network removed meanwhile is not found, and nothing is written", async () => {
  await withStore(async (store) => {
    const n = await net(store, { name: "gone", subnets: ["10.12.0.0/24"] });
    await removeNetwork(store, "gone");
    const err = await assertRejects(() => allocateAddresses(store, n, cid(1)), NotFoundError);
    assertEquals(err.message, "network gone not found");
    assertEquals(await Array.fromAsync(Deno.readDir(store.networks)), []);
    assertEquals(await releaseAddresses(store, n, cid(1)), false);
  });
});

Deno.test("ipam: 32 allocations at once in one process get 32 distinct addresses", async () => {
  await withStore(async (store) => {
    const n = await net(store, { name: "a", subnets: ["10.13.0.0/24"] });
    const got = await Promise.all(
      Array.from({ length: 32 }, (_, i) => addresses(store, n, cid(i))),
    );
    assertEquals(new Set(got.flat()).size, 32);
    assertEquals(Object.keys(await readAllocations(store, n.Id)).length, 32);
  });
});

const CHILD = new URL("../helpers/ipam_child.ts", import.meta.url).pathname;

/** Runs one child per [op, container] at once, released together by a barrier file. */
async function race(
  root: string,
  networkId: string,
  jobs: [string, string][],
): Promise<unknown[]> {
  const barrier = await Deno.makeTempDir({ dir: root, prefix: "barrier-" });
  const children = jobs.map(([op, id]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check", CHILD, root, networkId, op, id, barrier],
      stdout: "piped",
      stderr: "piped",
    }).output()
  );
  const ready = async () => (await Array.fromAsync(Deno.readDir(barrier))).length;
  const deadline = Date.now() + 120_000;
  while (await ready() < jobs.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  await Deno.writeTextFile(`${barrier}/go`, "");
  const results = await Promise.all(children);
  return results.map((r, i) => {
    const err = new TextDecoder().decode(r.stderr);
    assert(r.success, `child ${jobs[i].join(" ")} failed: ${err}`);
    return JSON.parse(new TextDecoder().decode(r.stdout));
  });
}

Deno.test("ipam: 32 processes racing get 32 distinct addresses, and no release is lost", async () => {
  await withStore(async (store, root) => {
    const n = await net(store, { name: "race", subnets: ["10.14.0.0/24"] });
    const first = await race(root, n.Id, Array.from({ length: 32 }, (_, i) => ["alloc", cid(i)]));
    const addrs = (first as string[][]).map((a) => a[0]);
    assertEquals(new Set(addrs).size, 32);
    assert(addrs.every((a) => /^10\.14\.0\.([2-9]|[1-3][0-9])$/.test(a)), addrs.join(" "));
    const held = await readAllocations(store, n.Id);
    assertEquals(Object.keys(held).length, 32);
    assertEquals(new Set(Object.values(held).flat()), new Set(addrs));
    // Half release while as many new containers allocate.
    const jobs: [string, string][] = [];
    for (let i = 0; i < 16; i++) jobs.push(["release", cid(i)], ["alloc", cid(100 + i)]);
    const second = await race(root, n.Id, jobs);
    assertEquals(second.filter((r) => r === true).length, 16);
    const after = await readAllocations(store, n.Id);
    const expected = [...Array.from({ length: 16 }, (_, i) => cid(16 + i))].concat(
      Array.from({ length: 16 }, (_, i) => cid(100 + i)),
    );
    assertEquals(new Set(Object.keys(after)), new Set(expected));
    assertEquals(new Set(Object.values(after).flat()).size, 32);
  });
});

Deno.test("ipam: an allocation racing network rm: one of them wins, never both", async () => {
  await withStore(async (store) => {
    for (let i = 0; i < 10; i++) {
      const n = await net(store, { name: `n${i}`, subnets: [`10.20.${i}.0/24`] });
      const [alloc, rm] = await Promise.allSettled([
        allocateAddresses(store, n, cid(i)),
        removeNetwork(store, n.Name),
      ]);
      assert((alloc.status === "fulfilled") !== (rm.status === "fulfilled"), `round ${i}`);
      if (alloc.status === "rejected") assert(alloc.reason instanceof NotFoundError);
      if (rm.status === "rejected") assert(rm.reason instanceof FailedPreconditionError);
    }
  });
});
