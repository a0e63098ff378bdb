/**
 * The allocations file of a network: which container holds which addresses, as
 * `{ "<container id>": ["10.88.0.2", "fd00::2"] }`. Read without a lock (every write is an
 * atomic rename); changed only under the network's lock (paths.ts).
 */
import { readJson, writeJsonAtomic } from "../store/atomic.ts";
import type { Store } from "../store/store.ts";
import { allocationsFile } from "./paths.ts";

/** Addresses by container id. */
export type Allocations = Record<string, string[]>;

/**
 * Reads the allocations of network `id` (empty when none were ever made).
 *
 * @example
 * ```ts ignore
 * const held = await readAllocations(store, net.Id); // { "4f1c…": ["10.88.0.2"] }
 * ```
 */
export async function readAllocations(store: Store, id: string): Promise<Allocations> {
  return (await readJson<Allocations>(allocationsFile(store, id))) ?? {};
}

/**
 * Replaces the allocations of network `id` atomically; call it holding the network's lock.
 *
 * @example
 * ```ts ignore
 * await writeAllocations(store, net.Id, { ...held, [cid]: ["10.88.0.3"] });
 * ```
 */
export function writeAllocations(store: Store, id: string, a: Allocations): Promise<void> {
  return writeJsonAtomic(allocationsFile(store, id), a);
}
