import { assertEquals } from "../helpers/assert.ts";
import { removeStaleScratch } from "../../src/image/gc.ts";
import { storeLayout } from "../../src/store/store.ts";
import { randomSuffix } from "../../src/store/atomic.ts";
import { ownerAlive, ownerTag, processStartTime } from "../../src/sys/owner.ts";

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

Deno.test("scratch of a dead process goes at once; a live one's stays, however old", async () => {
  const root = await Deno.makeTempDir();
  try {
    const store = storeLayout({ root, runroot: `${root}/run` });
    await Deno.mkdir(store.ingest, { recursive: true });
    await Deno.mkdir(store.tmp, { recursive: true });
    // A process that has exited: its pid and start time name nothing alive any more.
    const child = new Deno.Command("sleep", { args: ["30"] }).spawn();
    const start = processStartTime(child.pid)!;
    child.kill("SIGKILL");
    await child.status;
    const dead = `0123456789ab-${child.pid}.${start}-00112233aabbccdd`;
    const mine = `0123456789ab-${randomSuffix()}`;
    const reused = `layer-0123-${Deno.pid}.${processStartTime(Deno.pid)! + 1}-00112233aabbccdd`;
    for (const name of [dead, mine]) await Deno.writeTextFile(`${store.ingest}/${name}`, "x");
    await Deno.mkdir(`${store.tmp}/${reused}`);
    const old = new Date(Date.now() - 2 * 3_600_000);
    await Deno.utime(`${store.ingest}/${mine}`, old, old);
    const removed = await removeStaleScratch(store);
    assertEquals(removed.map((p) => p.slice(root.length)).sort(), [
      `/ingest/${dead}`,
      `/tmp/${reused}`, // the pid lives, but it is another process (another start time)
    ]);
    assertEquals((await Array.fromAsync(Deno.readDir(store.ingest))).map((e) => e.name), [mine]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a scratch entry with a mount inside is never removed through it", {
  ignore: Deno.uid() !== 0,
}, async () => {
  const root = await Deno.makeTempDir();
  const store = storeLayout({ root, runroot: `${root}/run` });
  const entry = `${store.tmp}/mnt-1.2-00112233aabbccdd`; // a dead owner
  await Deno.mkdir(`${entry}/m`, { recursive: true });
  const mount = await new Deno.Command("mount", { args: ["-t", "tmpfs", "t", `${entry}/m`] })
    .output();
  assertEquals(mount.success, true);
  try {
    await Deno.writeTextFile(`${entry}/m/precious`, "x");
    assertEquals(await removeStaleScratch(store), []);
    assertEquals(await Deno.readTextFile(`${entry}/m/precious`), "x");
  } finally {
    await new Deno.Command("umount", { args: [`${entry}/m`] }).output();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("owner tags: this process is alive, a name without a tag is unknown", () => {
  assertEquals(ownerAlive(`x-${ownerTag()}-00112233aabbccdd`), true);
  assertEquals(ownerAlive(`.tmp-config.json-${randomSuffix()}`), true);
  assertEquals(ownerAlive("partial-old"), undefined);
  assertEquals(ownerAlive("x-4194304999.77-00112233aabbccdd"), false);
});
