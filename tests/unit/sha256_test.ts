/** The synchronous SHA-256 used to verify the native assets, against FIPS vectors and node:crypto. */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createHash } from "node:crypto";
import { sha256Hex } from "../../src/sys/sha256.ts";

Deno.test("sha256: FIPS 180-4 examples", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  assertEquals(
    sha256Hex(enc("")),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  assertEquals(
    sha256Hex(enc("abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assertEquals(
    sha256Hex(enc("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
});

Deno.test("sha256: every length around the block and padding edges, as node:crypto", () => {
  const data = new Uint8Array(70_000);
  for (let i = 0; i < data.length; i += 65536) {
    crypto.getRandomValues(data.subarray(i, Math.min(i + 65536, data.length)));
  }
  for (const n of [1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 70_000]) {
    const part = data.subarray(0, n);
    assertEquals(sha256Hex(part), createHash("sha256").update(part).digest("hex"), `length ${n}`);
  }
});
