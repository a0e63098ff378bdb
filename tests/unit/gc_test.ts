import { assertEquals } from "../helpers/assert.ts";
import { removeStaleScratch } from "../../src/image/gc.ts";
import { storeLayout } from "../../src/store/store.ts";

Deno.test("stale scratch left by killed commands is removed; fresh work is kept", async () => {
  const root = await Deno.makeTempDir();
  try {
    const store = storeLayout({ root, runroot: `${root}/run` });
    await Deno.mkdir(`${store.tmp}/layer-old/diff`, { recursive: true });
    await Deno.mkdir(`${store.tmp}/layer-new/diff`, { recursive: true });
    await Deno.mkdir(store.ingest, { recursive: true });
    await Deno.writeTextFile(`${store.ingest}/partial-old`, "x");
    await Deno.writeTextFile(`${store.ingest}/partial-new`, "x");
    const old = new Date(Date.now() - 2 * 3_600_000);
    await Deno.utime(`${store.tmp}/layer-old`, old, old);
    await Deno.utime(`${store.ingest}/partial-old`, old, old);
    const removed = await removeStaleScratch(store);
    assertEquals(removed.map((p) => p.slice(root.length)).sort(), [
      "/ingest/partial-old",
      "/tmp/layer-old",
    ]);
    const left = [
      ...(await Array.fromAsync(Deno.readDir(store.tmp))).map((e) => e.name),
      ...(await Array.fromAsync(Deno.readDir(store.ingest))).map((e) => e.name),
    ].sort();
    assertEquals(left, ["layer-new", "partial-new"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
