/** `image inspect`, `history` and `tag` in the engine, on a temporary store. */
import { assertEquals, assertRejects } from "../helpers/assert.ts";
import { addImage, tempEngineStore } from "../helpers/fake_images.ts";
import { imageHistory, inspectImages } from "../../src/engine/image_inspect.ts";
import { tagImage } from "../../src/engine/image_tag.ts";
import { readTags } from "../../src/store/images.ts";
import { InvalidArgumentError, NotFoundError } from "../../src/errors.ts";

Deno.test("image inspect: one report per name, in order", async () => {
  const { where, store, cleanup } = await tempEngineStore();
  try {
    const img = await addImage(store, {
      tags: ["docker.io/library/app:1"],
      labels: { a: "b" },
      created: "2024-02-03T04:05:06Z",
    });
    const reports = await inspectImages(where, ["app:1", "missing", img.id.slice(7, 15)]);
    assertEquals(reports.map((r) => [r.target, r.ok]), [
      ["app:1", true],
      ["missing", false],
      [img.id.slice(7, 15), true],
    ]);
    const first = reports[0].ok ? reports[0].value : {};
    assertEquals(
      [first.Id, first.RepoTags, first.Created, (first.Config as { Labels: unknown }).Labels],
      [img.id, ["app:1"], "2024-02-03T04:05:06Z", { a: "b" }],
    );
    assertEquals(!reports[1].ok && reports[1].error instanceof NotFoundError, true);
    assertEquals(!reports[1].ok && reports[1].error.message, "No such image: missing");
  } finally {
    await cleanup();
  }
});

Deno.test("history: newest first, the image id on the newest step only", async () => {
  const { where, store, cleanup } = await tempEngineStore();
  try {
    const img = await addImage(store, {
      tags: ["docker.io/library/app:1"],
      history: [
        { created: "2024-01-01T00:00:00Z", created_by: "ADD rootfs", comment: "base" },
        { created: "2024-01-02T00:00:00Z", created_by: 'CMD ["sh"]', empty_layer: true },
      ],
    });
    assertEquals(await imageHistory(where, "app:1"), [
      {
        id: img.id,
        created: "2024-01-02T00:00:00Z",
        createdBy: 'CMD ["sh"]',
        comment: "",
        size: 0,
      },
      { created: "2024-01-01T00:00:00Z", createdBy: "ADD rootfs", comment: "base", size: 0 },
    ]);
    await assertRejects(() => imageHistory(where, "nope"), NotFoundError);
  } finally {
    await cleanup();
  }
});

Deno.test("tag: names the source's image; a digest target is refused", async () => {
  const { where, store, cleanup } = await tempEngineStore();
  try {
    const img = await addImage(store, { tags: ["docker.io/library/app:1"] });
    assertEquals(
      await tagImage(where, "app:1", "localhost:5000/x/app"),
      "localhost:5000/x/app:latest",
    );
    assertEquals(await readTags(store), {
      "docker.io/library/app:1": img.id,
      "localhost:5000/x/app:latest": img.id,
    });
    const err = await assertRejects(
      () => tagImage(where, "app:1", `app@sha256:${"a".repeat(64)}`),
      InvalidArgumentError,
    );
    assertEquals(
      err.message,
      `refusing to create a tag with a digest reference: app@sha256:${"a".repeat(64)}`,
    );
    await assertRejects(() => tagImage(where, "other", "x:1"), NotFoundError);
  } finally {
    await cleanup();
  }
});
