import { IS_ROOT, skipUnless } from "../helpers/requires.ts";
import { assertEquals } from "../helpers/assert.ts";
import { removeStaleScratch } from "../../src/image/gc.ts";
import { randomSuffix } from "../../src/store/atomic.ts";
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

/** A tag for a process that has exited: a child run to completion (its pid is then free). */
async function deadOwnerTag(): Promise<string> {
  const child = new Deno.Command("true").spawn();
  const pid = child.pid;
  await child.status;
  return `o${pid}.1`;
}

Deno.test("scratch left by a killed command is removed at once; a running maker's is kept", async () => {
  const root = await Deno.makeTempDir();
  try {
    const store = storeLayout({ root, runroot: `${root}/run` });
    await Deno.mkdir(store.ingest, { recursive: true });
    const dead = await deadOwnerTag();
    // the maker exited, or its pid now belongs to a process started later (this one)
    const reused = `o${Deno.pid}.1`;
    await Deno.mkdir(`${store.tmp}/layer-0a1b2c3d4e5f-${dead}-00112233445566aa/diff`, {
      recursive: true,
    });
    await Deno.writeTextFile(`${store.ingest}/0a1b2c3d4e5f-${reused}-00112233445566bb`, "x");
    const mine = `${store.tmp}/layer-0a1b2c3d4e5f-${randomSuffix()}`;
    await Deno.mkdir(`${mine}/diff`, { recursive: true });
    const old = new Date(Date.now() - 2 * 3_600_000);
    await Deno.utime(mine, old, old); // old, but its maker still runs
    const removed = await removeStaleScratch(store);
    assertEquals(removed.map((p) => p.slice(root.length)).sort(), [
      `/ingest/0a1b2c3d4e5f-${reused}-00112233445566bb`,
      `/tmp/layer-0a1b2c3d4e5f-${dead}-00112233445566aa`,
    ]);
    assertEquals((await Array.fromAsync(Deno.readDir(store.tmp))).map((e) => e.name), [
      mine.slice(store.tmp.length + 1),
    ]);
    assertEquals(await Array.fromAsync(Deno.readDir(store.ingest)), []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test({
  name: "a mount inside abandoned scratch is detached, and the files behind it are kept",
  ignore: skipUnless(IS_ROOT),
  async fn() {
    const root = await Deno.makeTempDir();
    try {
      const store = storeLayout({ root, runroot: `${root}/run` });
      const outside = `${root}/container-files`;
      await Deno.mkdir(outside);
      await Deno.writeTextFile(`${outside}/precious`, "keep me");
      const entry = `${store.tmp}/mnt-${await deadOwnerTag()}-00112233445566cc`;
      await Deno.mkdir(entry, { recursive: true });
      const mount = await new Deno.Command("mount", { args: ["--bind", outside, entry] }).output();
      assertEquals(mount.code, 0, new TextDecoder().decode(mount.stderr));
      const removed = await removeStaleScratch(store);
      assertEquals(removed, [entry]);
      assertEquals(await Deno.readTextFile(`${outside}/precious`), "keep me");
      const mountinfo = await Deno.readTextFile("/proc/self/mountinfo");
      assertEquals(mountinfo.includes(entry), false);
    } finally {
      await new Deno.Command("umount", { args: ["-R", "-l", root], stderr: "null" }).output();
      await Deno.remove(root, { recursive: true });
    }
  },
});
