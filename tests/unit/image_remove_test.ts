/** `rmi` and `image prune` in the engine: one report per name, and what prune selects. */
import { assertEquals } from "../helpers/assert.ts";
import { addContainerUsing, addImage, tempEngineStore } from "../helpers/fake_images.ts";
import { pruneImages, removeImages } from "../../src/engine/image_remove.ts";
import { parseFilters } from "../../src/engine/filters.ts";
import { listImages, readTags } from "../../src/store/images.ts";
import type { Store } from "../../src/store/store.ts";

const lib = (name: string) => `docker.io/library/${name}`;
const ids = async (store: Store) => (await listImages(store)).map((r) => r.id).sort();

Deno.test("rmi: one report per name; a bad name does not stop the others", async () => {
  const { where, store, cleanup } = await tempEngineStore();
  try {
    const multi = await addImage(store, { tags: [lib("app:1"), lib("app:2")] });
    const single = await addImage(store, {
      tags: [lib("one:latest")],
      repoDigests: [`${lib("one")}@sha256:${"d".repeat(64)}`],
    });
    const used = await addImage(store, { tags: [lib("used:latest")] });
    const container = await addContainerUsing(store, used.id);
    const reports = await removeImages(where, [
      "app:1",
      "nope",
      multi.id.slice(7, 19),
      "one",
      "used",
    ]);
    assertEquals(
      reports.map((r) => r.ok ? r.value : r.error.message),
      [
        [{ Untagged: "app:1" }],
        "No such image: nope",
        [{ Untagged: "app:2" }, { Deleted: multi.id }],
        [
          { Untagged: "one:latest" },
          { Untagged: `one@sha256:${"d".repeat(64)}` },
          { Deleted: single.id },
        ],
        `conflict: unable to remove repository reference "used" (must force) - container ${
          container.slice(0, 12)
        } is using its referenced image ${used.id.slice(7, 19)}`,
      ],
    );
    assertEquals(reports.map((r) => r.target), [
      "app:1",
      "nope",
      multi.id.slice(7, 19),
      "one",
      "used",
    ]);
    assertEquals(await ids(store), [used.id]);
    // Forced: the tag goes, the image stays for its container.
    const forced = await removeImages(where, ["used"], { force: true });
    assertEquals(forced[0].ok && forced[0].value, [{ Untagged: "used:latest" }]);
    assertEquals(await ids(store), [used.id]);
    assertEquals(await readTags(store), {});
  } finally {
    await cleanup();
  }
});

Deno.test("rmi by id of an image with several tags needs force", async () => {
  const { where, store, cleanup } = await tempEngineStore();
  try {
    const img = await addImage(store, { tags: [lib("a:1"), lib("b:1")] });
    const [refused] = await removeImages(where, [img.id]);
    assertEquals(
      !refused.ok && refused.error.message,
      `conflict: unable to delete ${
        img.id.slice(7, 19)
      } (must be forced) - image is referenced in multiple repositories`,
    );
    const [forced] = await removeImages(where, [img.id], { force: true });
    assertEquals(forced.ok && forced.value, [
      { Untagged: "a:1" },
      { Untagged: "b:1" },
      { Deleted: img.id },
    ]);
  } finally {
    await cleanup();
  }
});

Deno.test("image prune: dangling and unused only; all, until and label narrow or widen it", async () => {
  const { where, store, cleanup } = await tempEngineStore();
  try {
    const dangling = await addImage(store, { created: "2020-01-01T00:00:00Z", size: 100 });
    const danglingNew = await addImage(store, {
      created: "2099-01-01T00:00:00Z",
      size: 10,
      labels: { keep: "yes" },
    });
    const usedDangling = await addImage(store, { created: "2020-01-01T00:00:00Z" });
    await addContainerUsing(store, usedDangling.id);
    const tagged = await addImage(store, {
      tags: [lib("t:1")],
      created: "2020-01-01T00:00:00Z",
      labels: { keep: "no" },
      size: 7,
    });
    const taggedKeep = await addImage(store, {
      tags: [lib("k:1")],
      created: "2020-01-01T00:00:00Z",
      labels: { keep: "yes" },
    });
    const until = await pruneImages(where, {
      filters: parseFilters(["until=2030-01-01T00:00:00Z"], ["until", "label"]),
    });
    assertEquals(until, { deleted: [{ Deleted: dangling.id }], reclaimed: 100 });
    const labelled = await pruneImages(where, {
      all: true,
      filters: parseFilters(["label=keep=no"], ["until", "label"]),
    });
    assertEquals(labelled, {
      deleted: [{ Untagged: lib("t:1") }, { Deleted: tagged.id }],
      reclaimed: 7,
    });
    assertEquals((await pruneImages(where, {})).deleted, [{ Deleted: danglingNew.id }]);
    assertEquals(await ids(store), [usedDangling.id, taggedKeep.id].sort());
    assertEquals((await pruneImages(where, { all: true })).deleted, [
      { Untagged: lib("k:1") },
      { Deleted: taggedKeep.id },
    ]);
    assertEquals(await ids(store), [usedDangling.id]);
  } finally {
    await cleanup();
  }
});
