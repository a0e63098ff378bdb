/**
 * Minimal assertions (JSR's @std/assert is not reachable from these machines).
 */

/** Deep equality through JSON-like structure. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  const a = stable(actual), e = stable(expected);
  if (a !== e) {
    throw new Error(
      `${message ? message + ": " : ""}values differ\nactual:   ${a}\nexpected: ${e}`,
    );
  }
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

function stable(v: unknown): string {
  return JSON.stringify(v, (_k, val) => {
    if (val instanceof Uint8Array) return Array.from(val);
    if (val && typeof val === "object" && !Array.isArray(val)) {
      return Object.fromEntries(Object.entries(val).sort(([a], [b]) => a.localeCompare(b)));
    }
    return val;
  });
}
