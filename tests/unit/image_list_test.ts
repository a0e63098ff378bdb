/** `images` in the engine: the REPOSITORY[:TAG] argument and each filter, on a temporary store. */
import { assertEquals, assertRejects } from "../helpers/assert.ts";
import { addImage, tempEngineStore } from "../helpers/fake_images.ts";
import { IMAGE_LIST_FILTERS, listImageRows, referenceGlob } from "../../src/engine/image_list.ts";
import { parseFilters } from "../../src/engine/filters.ts";
import { InvalidArgumentError, NotFoundError } from "../../src/errors.ts";

const lib = (name: string) => `docker.io/library/${name}`;

async function withImages(
  fn: (
    list: (args: { reference?: string; filters?: string[]; uniqueIds?: boolean }) => Promise<
      string[]
    >,
    ids: Record<string, string>,
  ) => Promise<void>,
): Promise<void> {
  const { where, store, cleanup } = await tempEngineStore();
  try {
    const old = await addImage(store, {
      tags: [lib("busybox:1.36"), lib("busybox:latest")],
      created: "2023-01-01T00:00:00Z",
      labels: { tier: "base" },
    });
    const mid = await addImage(store, {
      tags: ["localhost:5000/team/app:v1"],
      created: "2024-01-01T00:00:00Z",
      labels: { tier: "app", team: "a" },
    });
    const none = await addImage(store, { created: "2025-01-01T00:00:00Z" });
    const list = async (a: { reference?: string; filters?: string[]; uniqueIds?: boolean }) =>
      (await listImageRows(where, {
        reference: a.reference,
        filters: parseFilters(a.filters ?? [], IMAGE_LIST_FILTERS),
        uniqueIds: a.uniqueIds,
      })).map((r) => `${r.Repository}:${r.Tag}`);
    await fn(list, { old: old.id, mid: mid.id, none: none.id });
  } finally {
    await cleanup();
  }
}

Deno.test("images: newest first, one row per tag; the argument names a repository", async () => {
  await withImages(async (list) => {
    assertEquals(await list({}), [
      "<none>:<none>",
      "localhost:5000/team/app:v1",
      "busybox:1.36",
      "busybox:latest",
    ]);
    assertEquals(await list({ reference: "busybox" }), ["busybox:1.36", "busybox:latest"]);
    assertEquals(await list({ reference: "busybox:latest" }), ["busybox:latest"]);
    assertEquals(await list({ reference: "app" }), ["localhost:5000/team/app:v1"]);
    assertEquals(await list({ reference: "localhost:5000/team/app:v1" }), [
      "localhost:5000/team/app:v1",
    ]);
    assertEquals(await list({ reference: "busy" }), []);
    assertEquals(await list({ uniqueIds: true }), [
      "<none>:<none>",
      "localhost:5000/team/app:v1",
      "busybox:1.36",
    ]);
  });
});

Deno.test("images filters: dangling, reference globs, label", async () => {
  await withImages(async (list) => {
    assertEquals(await list({ filters: ["dangling=true"] }), ["<none>:<none>"]);
    assertEquals((await list({ filters: ["dangling=false"] })).length, 3);
    // The last value wins.
    assertEquals(
      await list({ filters: ["dangling=true", "dangling=false"] })
        .then((r) => r.length),
      3,
    );
    assertEquals(await list({ filters: ["reference=busy*"] }), ["busybox:1.36", "busybox:latest"]);
    assertEquals(await list({ filters: ["reference=busybox:1.*"] }), ["busybox:1.36"]);
    assertEquals(await list({ filters: ["reference=*box"] }), ["busybox:1.36", "busybox:latest"]);
    assertEquals(await list({ filters: ["reference=localhost:5000/*/app"] }), [
      "localhost:5000/team/app:v1",
    ]);
    assertEquals(
      await list({ filters: ["reference=nothing", "reference=localhost:5000/team/*:v?"] }),
      [
        "localhost:5000/team/app:v1",
      ],
    );
    assertEquals(await list({ filters: ["label=tier"] }), [
      "localhost:5000/team/app:v1",
      "busybox:1.36",
      "busybox:latest",
    ]);
    assertEquals(await list({ filters: ["label=tier=app", "label=team"] }), [
      "localhost:5000/team/app:v1",
    ]);
    assertEquals(await list({ filters: ["label=tier!=app"] }), [
      "<none>:<none>",
      "busybox:1.36",
      "busybox:latest",
    ]);
  });
});

Deno.test("images filters: before and since an image named by tag or id", async () => {
  await withImages(async (list, ids) => {
    assertEquals(await list({ filters: ["before=localhost:5000/team/app:v1"] }), [
      "busybox:1.36",
      "busybox:latest",
    ]);
    assertEquals(await list({ filters: ["since=busybox:1.36"] }), [
      "<none>:<none>",
      "localhost:5000/team/app:v1",
    ]);
    assertEquals(await list({ filters: [`since=${ids.mid.slice(7, 19)}`] }), ["<none>:<none>"]);
    assertEquals(
      await list({ filters: [`before=${ids.none}`, "since=busybox"] }),
      ["localhost:5000/team/app:v1"],
    );
    await assertRejects(() => list({ filters: ["before=missing:1"] }), NotFoundError);
  });
});

Deno.test("images: unknown filter keys are refused; a fresh store lists nothing and creates nothing", async () => {
  await assertRejects(
    () => Promise.resolve().then(() => parseFilters(["until=1h"], IMAGE_LIST_FILTERS)),
    InvalidArgumentError,
  );
  const dir = await Deno.makeTempDir();
  try {
    const where = { root: `${dir}/data`, runroot: `${dir}/run` };
    assertEquals(await listImageRows(where), []);
    assertEquals(await Deno.stat(where.root).then(() => true, () => false), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("referenceGlob: * stays within a path component, ? is one character", () => {
  assertEquals(referenceGlob("bus*").test("busybox"), true);
  assertEquals(referenceGlob("*").test("library/busybox"), false);
  assertEquals(referenceGlob("a?c").test("abc"), true);
  assertEquals(referenceGlob("a.c").test("abc"), false);
});
