/**
 * Leases: what a command that runs for a while (a build) is using, so that a garbage
 * collection run at the same time (rmi, image prune, builder prune) keeps it. A lease is a
 * small JSON file `leases/<name with its maker's tag>.json` listing layer chain ids and blob
 * digests; a lease whose maker is gone (killed) is ignored and removed.
 *
 * The collection holds the store's gc lock exclusively while it marks and sweeps; a lease
 * holder takes it shared while it checks that what it is about to use is still there and
 * records it (`withGcShared`), or while it makes something new and records it. Either the
 * collection ran first (the thing is gone, and the holder sees it) or the lease is on disk
 * before the collection reads the leases.
 */
import { randomSuffix, readJson } from "./atomic.ts";
import type { Store } from "./store.ts";
import { ownerAlive, scratchOwner } from "../sys/scratch.ts";

/** A layer as leases name it: its chain id and the digest of its blob. */
export interface LeasedLayer {
  chainId: string;
  digest: string;
}

interface LeaseDoc {
  layers: string[];
  blobs: string[];
}

function leasesDir(store: Store): string {
  return `${store.root}/leases`;
}

async function withGcLock<T>(store: Store, exclusive: boolean, fn: () => Promise<T>): Promise<T> {
  // synchronous calls: a build takes this lock at every step, and each asynchronous file
  // call is a trip through Deno's thread pool
  const file = Deno.openSync(`${store.locks}/gc.lock`, { create: true, read: true, write: true });
  try {
    file.lockSync(exclusive);
    return await fn();
  } finally {
    try {
      file.unlockSync();
    } finally {
      file.close();
    }
  }
}

/**
 * Runs `fn` holding the gc lock exclusively: no lease changes meanwhile.
 *
 * @example
 * ```ts ignore
 * await withGcExclusive(store, async () => { const held = await liveLeases(store); ... });
 * ```
 */
export function withGcExclusive<T>(store: Store, fn: () => Promise<T>): Promise<T> {
  return withGcLock(store, true, fn);
}

/**
 * Runs `fn` holding the gc lock shared: no collection runs meanwhile (other holders may).
 *
 * @example
 * ```ts ignore
 * await withGcShared(store, async () => { if (await present()) await lease.hold(layers); });
 * ```
 */
export function withGcShared<T>(store: Store, fn: () => Promise<T>): Promise<T> {
  return withGcLock(store, false, fn);
}

/** A lease held by this process. */
export class Lease {
  readonly #store: Store;
  readonly #path: string;
  readonly #layers = new Set<string>();
  readonly #blobs = new Set<string>();

  constructor(store: Store, path: string) {
    this.#store = store;
    this.#path = path;
  }

  /** Whether the lease names this layer. */
  holdsLayer(chainId: string): boolean {
    return this.#layers.has(chainId);
  }

  /** Adds layers (and their blobs) and other blobs; call it inside `withGcShared`. */
  hold(layers: readonly LeasedLayer[], blobs: readonly string[] = []): Promise<void> {
    const before = this.#layers.size + this.#blobs.size;
    for (const l of layers) {
      this.#layers.add(l.chainId);
      this.#blobs.add(l.digest);
    }
    for (const b of blobs) this.#blobs.add(b);
    if (this.#layers.size + this.#blobs.size === before) return Promise.resolve();
    const doc: LeaseDoc = { layers: [...this.#layers], blobs: [...this.#blobs] };
    writeJsonSync(this.#path, doc);
    return Promise.resolve();
  }

  /** Ends the lease. */
  async release(): Promise<void> {
    leases.delete(this.#store.root);
    await Deno.remove(this.#path).catch(() => {});
  }
}

const leases = new Map<string, Lease>();

/** Writes a small JSON file (mode 0600) whole or not at all, synchronously. */
function writeJsonSync(path: string, value: unknown): void {
  const tmp = `${path.slice(0, path.lastIndexOf("/"))}/.tmp-${randomSuffix()}`;
  try {
    Deno.writeTextFileSync(tmp, JSON.stringify(value) + "\n", { mode: 0o600 });
    Deno.renameSync(tmp, path);
  } catch (err) {
    try {
      Deno.removeSync(tmp);
    } catch {
      // not made
    }
    throw err;
  }
}

/**
 * Opens this process's lease on `store` (one per store; `activeLease` finds it from code that
 * makes layers without being handed it).
 *
 * @example
 * ```ts ignore
 * const lease = await openLease(store);
 * try { ... } finally { await lease.release(); }
 * ```
 */
export async function openLease(store: Store): Promise<Lease> {
  const existing = leases.get(store.root);
  if (existing) return existing;
  await Deno.mkdir(leasesDir(store), { recursive: true, mode: 0o700 });
  const lease = new Lease(store, `${leasesDir(store)}/lease-${randomSuffix()}.json`);
  leases.set(store.root, lease);
  return lease;
}

/** This process's open lease on `store`, if any. */
export function activeLease(store: Store): Lease | undefined {
  return leases.get(store.root);
}

/** Everything the leases of running processes hold; leases of dead ones are removed. */
export async function liveLeases(
  store: Store,
): Promise<{ layers: Set<string>; blobs: Set<string> }> {
  const layers = new Set<string>();
  const blobs = new Set<string>();
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(leasesDir(store)));
  } catch {
    return { layers, blobs };
  }
  for (const e of entries) {
    const path = `${leasesDir(store)}/${e.name}`;
    const owner = scratchOwner(e.name.replace(/\.json$/, ""));
    if (!owner || !(await ownerAlive(owner))) {
      await Deno.remove(path).catch(() => {});
      continue;
    }
    if (e.name.startsWith(".")) continue; // a live writer's temporary file
    const doc = await readJson<LeaseDoc>(path).catch(() => undefined);
    for (const l of doc?.layers ?? []) layers.add(l);
    for (const b of doc?.blobs ?? []) blobs.add(b);
  }
  return { layers, blobs };
}
