/**
 * The content store's blobs: stored under their digest only when the bytes hash to it, partial
 * downloads kept apart until verified, and digests from manifests (hostile input) never used
 * as paths unless they are exactly sha256:<64 hex>.
 */
import { assert, assertEquals, assertRejects, assertThrows } from "../helpers/assert.ts";
import {
  blobPath,
  hasBlob,
  putBlob,
  putBlobContent,
  readBlob,
  removeBlob,
  startIngest,
} from "../../src/store/blobs.ts";
import { openStore, type Store } from "../../src/store/store.ts";
import { DigestMismatchError, InvalidArgumentError, NotFoundError } from "../../src/errors.ts";

const enc = (s: string) => new TextEncoder().encode(s);

/** The digest of `data`, computed with WebCrypto (not skiff's hasher). */
async function digestOf(data: Uint8Array): Promise<string> {
  const h = new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(data)));
  return `sha256:${Array.from(h, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

async function withStore(fn: (store: Store, dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "skiff-blobs-" });
  try {
    await fn(await openStore({ root: `${dir}/root`, runroot: `${dir}/run` }), dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const names = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();

Deno.test("blobs: stored under their own digest, read back, removed", async () => {
  await withStore(async (store) => {
    const data = enc('{"schemaVersion":2}');
    const digest = await digestOf(data);
    assertEquals(await hasBlob(store, digest), false);
    assertEquals(await putBlobContent(store, data), digest);
    assertEquals(await hasBlob(store, digest), true);
    assertEquals(await readBlob(store, digest), data);
    assertEquals(names(store.blobs), [digest.slice(7)]);
    assertEquals(names(store.ingest), []);
    // Storing it again is a no-op; so is removing a missing blob.
    assertEquals(await putBlobContent(store, data), digest);
    await removeBlob(store, digest);
    await removeBlob(store, digest);
    assertEquals(await hasBlob(store, digest), false);
    const e = await assertRejects(() => readBlob(store, digest), NotFoundError);
    assertEquals(e.message, `blob ${digest} not found`);
  });
});

Deno.test("blobs: bytes that do not hash to the digest are refused and leave nothing", async () => {
  await withStore(async (store) => {
    const claimed = await digestOf(enc("the real layer"));
    const actual = await digestOf(enc("something else"));
    const e = await assertRejects(
      () => putBlob(store, enc("something else"), claimed),
      DigestMismatchError,
    );
    assertEquals(e.message, `digest mismatch for ${claimed}: content hashes to ${actual}`);
    assertEquals(names(store.blobs), []);
    assertEquals(names(store.ingest), []);
  });
});

Deno.test("blobs: a digest that is not sha256:<64 hex> is never made into a path", async () => {
  await withStore(async (store, dir) => {
    await Deno.writeTextFile(`${dir}/secret`, "host file");
    const hostile = [
      "sha256:../../../secret",
      `sha256:${"a".repeat(63)}/`,
      `sha256:${"A".repeat(64)}`,
      `sha512:${"a".repeat(64)}`,
      `sha256:${"a".repeat(64)}\n`,
      "",
    ];
    for (const d of hostile) {
      const e = assertThrows(() => blobPath(store, d), InvalidArgumentError);
      assertEquals(e.message, `invalid digest "${d}": expected sha256:<64 hex digits>`);
      await assertRejects(() => readBlob(store, d), InvalidArgumentError);
      await assertRejects(() => removeBlob(store, d), InvalidArgumentError);
      await assertRejects(() => startIngest(store, d), InvalidArgumentError);
      assertEquals(await hasBlob(store, d), false);
    }
    assertEquals(await Deno.readTextFile(`${dir}/secret`), "host file");
  });
});

Deno.test("blobs: a download is written to the ingest area and moved in once verified", async () => {
  await withStore(async (store) => {
    const data = enc("layer bytes ".repeat(1000));
    const digest = await digestOf(data);
    const ing = await startIngest(store, digest, data.length);
    await ing.write(data.subarray(0, 5000));
    assertEquals(ing.bytes, 5000);
    assertEquals(names(store.ingest).length, 1); // the partial file
    assertEquals(await hasBlob(store, digest), false); // not visible before the check
    await ing.write(data.subarray(5000));
    await ing.commit();
    assertEquals(await readBlob(store, digest), data);
    assertEquals(names(store.ingest), []);
  });
});

Deno.test("blobs: a corrupt, short or abandoned download leaves no blob and no partial file", async () => {
  await withStore(async (store) => {
    const data = enc("layer bytes");
    const digest = await digestOf(data);

    const corrupt = await startIngest(store, digest);
    await corrupt.write(enc("layer bytez"));
    const e1 = await assertRejects(() => corrupt.commit(), DigestMismatchError);
    assert(e1.message.startsWith(`digest mismatch for ${digest}: content hashes to sha256:`));

    // Right bytes, but not the size the manifest promised.
    const sized = await startIngest(store, digest, data.length + 1);
    await sized.write(data);
    const e2 = await assertRejects(() => sized.commit(), DigestMismatchError);
    assertEquals(
      e2.message,
      `size mismatch for ${digest}: expected ${data.length + 1} bytes, got ${data.length}`,
    );

    const dropped = await startIngest(store, digest);
    await dropped.write(data.subarray(0, 3));
    await dropped.abort();
    await dropped.abort(); // twice is harmless

    assertEquals(await hasBlob(store, digest), false);
    assertEquals(names(store.ingest), []);
  });
});
