/**
 * Readers never wait behind writers: `images`, `ps` and `inspect` answer
 * while another process holds the store's write locks (as a pull or a
 * create does).
 */
import { assertEquals } from "../helpers/assert.ts";
import { skiff, tempStore } from "../helpers/skiff.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

Deno.test("images, ps and inspect answer while the write locks are held", opts, async () => {
  const store = await tempStore();
  const held: Deno.FsFile[] = [];
  try {
    // A first command creates the store's directories.
    assertEquals((await skiff(["images", "-q"], store)).code, 0);
    await Deno.mkdir(`${store.root}/locks`, { recursive: true });
    for (const name of ["repositories.lock", "names.lock"]) {
      const f = await Deno.open(`${store.root}/locks/${name}`, { create: true, write: true });
      await f.lock(true);
      held.push(f);
    }
    for (const args of [["images"], ["ps", "-a"], ["image", "ls", "-q"]]) {
      const r = await skiff(args, { ...store, timeoutMs: 10_000 });
      assertEquals(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
    }
    const missing = await skiff(["inspect", "nothing"], { ...store, timeoutMs: 10_000 });
    assertEquals(missing.code, 1);
  } finally {
    for (const f of held) f.close();
    await store.cleanup();
  }
});
