/**
 * Where a network lives in the store: `networks/<id>/network.json` (the record),
 * `networks/<id>/allocations.json` (its addresses, by container) and `networks/<id>/lock`
 * (held by whoever changes the allocations). Creating and removing networks holds
 * `locks/networks.lock`.
 */
import type { Store } from "../store/store.ts";

/** The directory of network `id`. */
export function networkDir(store: Store, id: string): string {
  return `${store.networks}/${id}`;
}

/** The record of network `id`. */
export function networkFile(store: Store, id: string): string {
  return `${networkDir(store, id)}/network.json`;
}

/** The address allocations of network `id`. */
export function allocationsFile(store: Store, id: string): string {
  return `${networkDir(store, id)}/allocations.json`;
}

/** The lock held while the allocations of network `id` change. */
export function allocationsLock(store: Store, id: string): string {
  return `${networkDir(store, id)}/lock`;
}

/** The lock held while networks are created or removed. */
export function networksLock(store: Store): string {
  return `${store.locks}/networks.lock`;
}
