/** Finding a local image from what a user typed: short names, ids, tags that look like ids, digests. */
import { assertEquals, assertRejects } from "../helpers/assert.ts";
import { resolveLocalImage } from "../../src/image/resolve.ts";
import { NotFoundError } from "../../src/errors.ts";
import { addImage, tempEngineStore } from "../helpers/fake_images.ts";

const DIGEST = `sha256:${"d".repeat(64)}`;

Deno.test("resolve: Docker's short names, full and short ids", async () => {
  const { store, cleanup } = await tempEngineStore();
  try {
    const busybox = await addImage(store, { tags: ["docker.io/library/busybox:latest"] });
    const app = await addImage(store, { tags: ["registry.example:5000/team/app:1.2"] });
    const found = await resolveLocalImage(store, "busybox");
    assertEquals(found.record.id, busybox.id);
    assertEquals(found.ref?.toString(), "docker.io/library/busybox:latest");
    assertEquals((await resolveLocalImage(store, "library/busybox:latest")).record.id, busybox.id);
    assertEquals(
      (await resolveLocalImage(store, "registry.example:5000/team/app:1.2")).record.id,
      app.id,
    );
    // By id: full with or without the algorithm, or a prefix; no reference then.
    const byId = await resolveLocalImage(store, app.id);
    assertEquals([byId.record.id, byId.ref], [app.id, undefined]);
    assertEquals((await resolveLocalImage(store, app.id.slice(7))).record.id, app.id);
    assertEquals((await resolveLocalImage(store, app.id.slice(7, 19))).record.id, app.id);
    // Not there: Docker's message, with what was typed.
    for (const name of ["nope", "busybox:1.0", "registry.example:5000/team/app"]) {
      const e = await assertRejects(() => resolveLocalImage(store, name), NotFoundError);
      assertEquals(e.message, `No such image: ${name}`);
    }
    const unknownId = `sha256:${"e".repeat(64)}`;
    const e = await assertRejects(() => resolveLocalImage(store, unknownId), NotFoundError);
    assertEquals(e.message, `No such image: ${unknownId}`);
  } finally {
    await cleanup();
  }
});

Deno.test("resolve: a tag spelt like an id prefix names the tagged image", async () => {
  const { store, cleanup } = await tempEngineStore();
  try {
    const a = await addImage(store, {});
    const short = a.id.slice(7, 13); // six hex digits: an id prefix of a, and a valid name
    const b = await addImage(store, { tags: [`docker.io/library/${short}:latest`] });
    assertEquals((await resolveLocalImage(store, short)).record.id, b.id);
    // Twelve or more hex digits are an id, whatever is tagged.
    assertEquals((await resolveLocalImage(store, a.id.slice(7, 19))).record.id, a.id);
    // Hex digits that name a tag: the tag, without looking at ids.
    const c = await addImage(store, { tags: ["docker.io/library/cafe:latest"] });
    assertEquals((await resolveLocalImage(store, "cafe")).record.id, c.id);
    // Fewer than twelve that match no id and no tag: looked up as a name, not found.
    const e = await assertRejects(() => resolveLocalImage(store, "00000000000"), NotFoundError);
    assertEquals(e.message, "No such image: 00000000000");
  } finally {
    await cleanup();
  }
});

Deno.test("resolve: name@digest finds the image pulled by that digest, tagged or not", async () => {
  const { store, cleanup } = await tempEngineStore();
  try {
    const tagged = await addImage(store, {
      tags: ["docker.io/library/app:1"],
      repoDigests: [`docker.io/library/app@${DIGEST}`],
    });
    const found = await resolveLocalImage(store, `app@${DIGEST}`);
    assertEquals([found.record.id, found.ref?.digest], [tagged.id, DIGEST]);
    // An untagged image (its tag moved on) is still found by its digest.
    const other = `sha256:${"f".repeat(64)}`;
    const dangling = await addImage(store, { repoDigests: [`docker.io/library/app@${other}`] });
    assertEquals((await resolveLocalImage(store, `app@${other}`)).record.id, dangling.id);
    // The digest of another repository does not count.
    const e = await assertRejects(() => resolveLocalImage(store, `web@${DIGEST}`), NotFoundError);
    assertEquals(e.message, `No such image: web@${DIGEST}`);
  } finally {
    await cleanup();
  }
});
