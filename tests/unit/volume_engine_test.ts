/**
 * The volume verbs of the engine, on a temporary store (no root): filters, per-name reports,
 * what prune selects, and that a refused create leaves nothing behind.
 */
import { assertEquals, assertRejects } from "../helpers/assert.ts";
import { createVolume } from "../../src/engine/volume_create.ts";
import { listVolumeEntries } from "../../src/engine/volume_list.ts";
import { inspectVolumes } from "../../src/engine/volume_inspect.ts";
import { removeVolumes } from "../../src/engine/volume_remove.ts";
import { pruneTakesAll, pruneVolumes } from "../../src/engine/volume_prune.ts";
import { parseFilters } from "../../src/engine/filters.ts";
import { ensureVolume } from "../../src/store/volumes.ts";
import { openStore } from "../../src/store/store.ts";
import { InvalidArgumentError, NotFoundError } from "../../src/errors.ts";

type Where = { root: string; runroot: string };

async function withStore(fn: (where: Where) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir();
  try {
    await fn({ root: `${root}/data`, runroot: `${root}/run` });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** A container record that mounts the named volume (only what volumeUsers reads). */
async function containerUsing(where: Where, volume: string): Promise<string> {
  const store = await openStore(where);
  const id = crypto.randomUUID().replaceAll("-", "").repeat(2);
  await Deno.mkdir(`${store.containers}/${id}`, { recursive: true });
  await Deno.writeTextFile(
    `${store.containers}/${id}/container.json`,
    JSON.stringify({
      Id: id,
      Created: new Date().toISOString(),
      Options: { mounts: [{ type: "volume", name: volume, target: "/data" }] },
    }),
  );
  return id;
}

const names = (entries: { volume: { Name: string } }[]) => entries.map((e) => e.volume.Name);

Deno.test("volume ls filters: name substring, dangling, driver, label", async () => {
  await withStore(async (where) => {
    await createVolume(where, { name: "web-data", labels: ["app=web", "tier"] });
    await createVolume(where, { name: "db-data", labels: { app: "db" } });
    await createVolume(where, { name: "cache" });
    const user = await containerUsing(where, "db-data");
    const ls = (...f: string[]) =>
      listVolumeEntries(where, parseFilters(f, ["name", "dangling", "driver", "label"]));
    assertEquals(names(await ls()), ["cache", "db-data", "web-data"]);
    assertEquals(names(await ls("name=data")), ["db-data", "web-data"]);
    assertEquals(names(await ls("dangling=true")), ["cache", "web-data"]);
    assertEquals(names(await ls("dangling=false")), ["db-data"]);
    assertEquals(names(await ls("dangling=false", "dangling=1")), ["cache", "web-data"]);
    assertEquals(names(await ls("driver=local", "name=cache")), ["cache"]);
    assertEquals(names(await ls("driver=nfs")), []);
    assertEquals(names(await ls("label=app")), ["db-data", "web-data"]);
    assertEquals(names(await ls("label=app=web", "label=tier")), ["web-data"]);
    assertEquals(names(await ls("label=app!=web")), ["cache", "db-data"]);
    assertEquals((await ls("name=db")).map((e) => e.users), [[user]]);
  });
});

Deno.test("volume create: bad driver, options and labels are refused before the store is made", async () => {
  await withStore(async (where) => {
    const err = await assertRejects(
      () => createVolume(where, { name: "vx", driver: "nfs" }),
      NotFoundError,
    );
    assertEquals(err.message, 'error looking up volume plugin nfs: plugin "nfs" not found');
    await assertRejects(
      () => createVolume(where, { options: ["type=tmpfs"] }),
      InvalidArgumentError,
    );
    assertEquals(await Deno.stat(where.root).then(() => true, () => false), false);
    const label = await assertRejects(
      () => createVolume(where, { name: "vx", labels: ["=v"] }),
      InvalidArgumentError,
    );
    assertEquals(label.message, "invalid label '=v': empty name");
    const anon = await createVolume(where, {});
    assertEquals(/^[0-9a-f]{64}$/.test(anon.Name), true);
    assertEquals((await createVolume(where, { name: "vx", labels: ["a=1", "b"] })).Labels, {
      a: "1",
      b: "",
    });
  });
});

Deno.test("volume inspect and rm: one report per name, a bad name does not stop the others", async () => {
  await withStore(async (where) => {
    await createVolume(where, { name: "va" });
    await createVolume(where, { name: "vb" });
    await createVolume(where, { name: "busy" });
    const user = await containerUsing(where, "busy");
    const inspected = await inspectVolumes(where, ["va", "nope", "vb"]);
    assertEquals(inspected.map((r) => [r.target, r.ok]), [
      ["va", true],
      ["nope", false],
      ["vb", true],
    ]);
    assertEquals(inspected[0].ok && Object.keys(inspected[0].value), [
      "CreatedAt",
      "Driver",
      "Labels",
      "Mountpoint",
      "Name",
      "Options",
      "Scope",
    ]);
    assertEquals(!inspected[1].ok && inspected[1].error.message, "No such volume: nope");

    const removed = await removeVolumes(where, ["va", "nope", "busy", "vb"]);
    assertEquals(removed.map((r) => r.ok ? "ok" : r.error.message), [
      "ok",
      "No such volume: nope",
      `remove busy: volume is in use - [${user}]`,
      "ok",
    ]);
    assertEquals(names(await listVolumeEntries(where)), ["busy"]);
    const forced = await removeVolumes(where, ["gone"], { force: true });
    assertEquals(forced, [{ target: "gone", ok: true, value: { removed: false } }]);
  });
});

Deno.test("volume prune: anonymous volumes only with all=false; labels narrow it", async () => {
  await withStore(async (where) => {
    const store = await openStore(where);
    await ensureVolume(store, "anon1", {}, true);
    await ensureVolume(store, "anon-used", {}, true);
    await ensureVolume(store, "named", { keep: "no" });
    await ensureVolume(store, "named-keep", { keep: "yes" });
    await containerUsing(where, "anon-used");
    await Deno.writeTextFile(`${store.volumes}/anon1/_data/f`, "12345");
    const anonymousOnly = parseFilters(["all=false"], ["label", "all"]);
    assertEquals(await pruneVolumes(where, { filters: anonymousOnly }), {
      deleted: ["anon1"],
      reclaimed: 5,
    });
    const labelled = await pruneVolumes(where, {
      filters: parseFilters(["all=true", "label=keep=no"], ["label", "all"]),
    });
    assertEquals(labelled.deleted, ["named"]);
    assertEquals((await pruneVolumes(where, { all: true })).deleted, ["named-keep"]);
    assertEquals(names(await listVolumeEntries(where)), ["anon-used"]);
  });
});

Deno.test("pruneTakesAll: yes unless the all filter is false or 0 without --all", () => {
  assertEquals(pruneTakesAll(true, new Map()), true);
  assertEquals(pruneTakesAll(false, new Map()), true);
  assertEquals(pruneTakesAll(false, new Map([["all", ["true"]]])), true);
  assertEquals(pruneTakesAll(false, new Map([["all", ["0"]]])), false);
  assertEquals(pruneTakesAll(false, new Map([["all", ["true", "false"]]])), false);
  assertEquals(pruneTakesAll(true, new Map([["all", ["false"]]])), true);
});
