/** Crash-safe file writes: write a temporary file in the same directory, then rename. */

import { writeFileAtomic } from "../sys/atomic.ts";

export { randomSuffix, writeFileAtomic } from "../sys/atomic.ts";

/** Writes JSON atomically (compact, one trailing newline). */
export function writeJsonAtomic(path: string, value: unknown, mode = 0o644): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(value) + "\n", mode);
}

/** Reads a JSON file; undefined when it does not exist. */
export async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as T;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}
