/** Leases: what a running build holds is seen by gc; a killed maker's lease is dropped. */
import { assert, assertEquals } from "../helpers/assert.ts";
import { openStore } from "../../src/store/store.ts";
import { liveLeases, openLease, withGcShared } from "../../src/store/leases.ts";

const A = `sha256:${"a".repeat(64)}`;
const B = `sha256:${"b".repeat(64)}`;
const C = `sha256:${"c".repeat(64)}`;

Deno.test("leases: a live lease is read, a dead maker's lease is removed, release ends it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const store = await openStore({ root: `${dir}/root`, runroot: `${dir}/run` });
    const lease = await openLease(store);
    await withGcShared(store, () => lease.hold([{ chainId: A, digest: B }], [C]));
    assert(lease.holdsLayer(A));
    // a lease left by a process that is gone (a pid above any pid_max)
    const dead = `${store.root}/leases/lease-o4194305.1-0123456789abcdef.json`;
    await Deno.writeTextFile(dead, JSON.stringify({ layers: [C], blobs: [C] }));
    const held = await liveLeases(store);
    assertEquals([...held.layers], [A]);
    assertEquals([...held.blobs].sort(), [B, C]);
    assertEquals(await Deno.stat(dead).then(() => true, () => false), false, "dead lease removed");
    await lease.release();
    const after = await liveLeases(store);
    assertEquals(after.layers.size + after.blobs.size, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
