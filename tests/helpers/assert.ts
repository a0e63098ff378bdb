/**
 * Minimal assertions (JSR's @std/assert is not reachable from these machines).
 */

/**
 * Deep equality: same type, same own keys (a key holding `undefined` differs from a missing
 * key), Maps and Sets by content, Dates by time, byte arrays element by element, NaN equal
 * to NaN.
 */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  if (!deepEqual(actual, expected)) {
    const show = (v: unknown) => Deno.inspect(v, { depth: 10, sorted: true, compact: false });
    throw new Error(
      `${message ? message + ": " : ""}values differ\nactual:   ${show(actual)}\nexpected: ${
        show(expected)
      }`,
    );
  }
}

/** Whether `a` and `b` are structurally equal (see assertEquals). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (a instanceof Date) return a.getTime() === (b as Date).getTime();
  if (a instanceof RegExp) return String(a) === String(b);
  if (a instanceof Map) {
    const m = b as Map<unknown, unknown>;
    if (a.size !== m.size) return false;
    for (const [k, v] of a) if (!m.has(k) || !deepEqual(v, m.get(k))) return false;
    return true;
  }
  if (a instanceof Set) {
    const s = b as Set<unknown>;
    if (a.size !== s.size) return false;
    for (const v of a) {
      if (!s.has(v) && ![...s].some((w) => deepEqual(v, w))) return false;
    }
    return true;
  }
  if (ArrayBuffer.isView(a)) {
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(
      (b as ArrayBufferView).buffer,
      (b as ArrayBufferView).byteOffset,
      (b as ArrayBufferView).byteLength,
    );
    return x.length === y.length && x.every((v, i) => v === y[i]);
  }
  const ka = Reflect.ownKeys(a), kb = Reflect.ownKeys(b);
  if (ka.length !== kb.length) return false;
  const rb = b as Record<PropertyKey, unknown>, ra = a as Record<PropertyKey, unknown>;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(ra[k], rb[k]));
}

/** Fails unless `cond` is truthy. */
export function assert(cond: unknown, message = "assertion failed"): asserts cond {
  if (!cond) throw new Error(message);
}

/** Asserts `text` contains `part`. */
export function assertStringIncludes(text: string, part: string, message?: string): void {
  if (!text.includes(part)) {
    throw new Error(
      `${message ? message + ": " : ""}expected ${JSON.stringify(text)} to include ${
        JSON.stringify(part)
      }`,
    );
  }
}

/** Asserts `fn` throws an instance of `kind`; returns the error. */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  kind: abstract new (...args: never[]) => E,
): E {
  try {
    fn();
  } catch (err) {
    if (err instanceof kind) return err;
    throw new Error(`expected ${kind.name}, got ${err}`);
  }
  throw new Error(`expected ${kind.name} to be thrown`);
}

/** Asserts the promise rejects with an instance of `kind`; returns the error. */
export async function assertRejects<E extends Error>(
  fn: () => Promise<unknown>,
  kind: abstract new (...args: never[]) => E,
): Promise<E> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof kind) return err;
    throw new Error(`expected ${kind.name}, got ${err}`);
  }
  throw new Error(`expected ${kind.name} to be rejected`);
}
