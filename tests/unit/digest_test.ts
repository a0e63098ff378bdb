import assert from "node:assert/strict";
import {
  createHasher,
  digestingStream,
  digestOf,
  isDigest,
  parseDigest,
  sha256Digest,
  sha256Hex,
  verifyDigest,
  verifyingStream,
} from "../../src/image/digest.ts";
import { DigestMismatchError, InvalidArgumentError } from "../../src/errors.ts";

const EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const enc = (s: string) => new TextEncoder().encode(s);

function streamOf(...chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return ReadableStream.from(chunks);
}

Deno.test("sha256 helpers", async () => {
  assert.equal(await sha256Hex(new Uint8Array()), EMPTY);
  assert.equal(await sha256Digest(new Uint8Array()), `sha256:${EMPTY}`);
  assert.match(await digestOf(enc("x"), "sha512:" + "0".repeat(128)), /^sha512:[0-9a-f]{128}$/);
  const h = await createHasher();
  h.update(enc("ab"));
  h.update(enc("c"));
  assert.equal(h.digest(), await sha256Digest(enc("abc")));
});

Deno.test("digest validation", () => {
  assert.deepEqual(parseDigest(`sha256:${EMPTY}`), { algorithm: "sha256", hex: EMPTY });
  assert.equal(isDigest(`sha256:${EMPTY}`), true);
  for (const bad of ["sha256:abc", `sha256:${EMPTY.toUpperCase()}`, `md5:${EMPTY}`, EMPTY, ""]) {
    assert.equal(isDigest(bad), false, bad);
    assert.throws(() => parseDigest(bad), InvalidArgumentError);
  }
});

Deno.test("verifyDigest", async () => {
  await verifyDigest(new Uint8Array(), `sha256:${EMPTY}`);
  await assert.rejects(
    verifyDigest(enc("x"), `sha256:${EMPTY}`),
    (e) => e instanceof DigestMismatchError && e.message.includes(EMPTY),
  );
});

Deno.test("digestingStream reports digest and size", async () => {
  const { stream, result } = digestingStream(streamOf(enc("ab"), enc("c")));
  const out = await new Response(stream).text();
  assert.equal(out, "abc");
  assert.deepEqual(await result, { digest: await sha256Digest(enc("abc")), size: 3 });
});

Deno.test("verifyingStream passes good content and fails bad content naming the digest", async () => {
  const good = await sha256Digest(enc("abc"));
  assert.equal(await new Response(verifyingStream(streamOf(enc("abc")), good, 3)).text(), "abc");
  await assert.rejects(
    new Response(verifyingStream(streamOf(enc("abd")), good)).text(),
    (e) => e instanceof DigestMismatchError && e.message.includes(good),
  );
  await assert.rejects(
    new Response(verifyingStream(streamOf(enc("ab")), good, 3)).text(),
    (e) => e instanceof DigestMismatchError && e.message.includes("size mismatch"),
  );
  await assert.rejects(
    new Response(verifyingStream(streamOf(enc("abcd")), good, 3)).text(),
    DigestMismatchError,
  );
});

Deno.test("streaming sha256 over many chunks equals the digest of the whole", async () => {
  // 64 MiB in 1 MiB chunks, each different, compared with WebCrypto's digest of the whole
  // (its speed is measured by bench/digest_bench.ts, not asserted here)
  const chunk = 1 << 20, n = 64;
  const whole = new Uint8Array(chunk * n);
  for (let i = 0; i < n; i++) whole.fill(i * 7 + 1, i * chunk, (i + 1) * chunk);
  const h = await createHasher();
  for (let i = 0; i < n; i++) h.update(whole.subarray(i * chunk, (i + 1) * chunk));
  const hex = Array.from(
    new Uint8Array(await crypto.subtle.digest("SHA-256", whole)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  assert.equal(h.digest(), `sha256:${hex}`);
});
