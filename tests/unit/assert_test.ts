/** The shared assertion helper must tell apart what the tests need told apart. */
import { assert, assertEquals, deepEqual } from "../helpers/assert.ts";

Deno.test("deepEqual: a key holding undefined is not a missing key", () => {
  assert(!deepEqual({ a: undefined }, {}));
  assert(!deepEqual({}, { a: undefined }));
  assert(deepEqual({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }));
});

Deno.test("deepEqual: Maps and Sets compare by content", () => {
  assert(!deepEqual(new Map([["a", 1]]), new Map([["a", 2]])));
  assert(!deepEqual(new Map([["a", 1]]), new Map([["b", 1]])));
  assert(deepEqual(new Map([["a", { x: 1 }]]), new Map([["a", { x: 1 }]])));
  assert(!deepEqual(new Set([1, 2]), new Set([1, 3])));
  assert(deepEqual(new Set([{ x: 1 }]), new Set([{ x: 1 }])));
  assert(!deepEqual(new Map(), new Set()));
});

Deno.test("deepEqual: types, bytes, dates and NaN", () => {
  assert(!deepEqual([1, 2], { 0: 1, 1: 2 }));
  assert(!deepEqual(1, "1"));
  assert(!deepEqual(null, {}));
  assert(deepEqual(NaN, NaN));
  assert(deepEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])));
  assert(!deepEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3])));
  assert(!deepEqual(new Date(1), new Date(2)));
});

Deno.test("assertEquals: throws with both values shown", () => {
  let message = "";
  try {
    assertEquals<unknown>({ a: new Map([["k", 1]]) }, { a: new Map([["k", 2]]) }, "limits");
  } catch (err) {
    message = (err as Error).message;
  }
  assert(message.startsWith("limits: values differ"), message);
  assert(message.includes("1") && message.includes("2"), message);
});
