/**
 * Opens the file store: creates its directories on first use and hands out
 * the paths every other store module works in.
 */
import { resolveStorePaths, type StorePaths } from "./paths.ts";

/** An opened store: its roots and the directories inside them. */
export interface Store extends StorePaths {
  blobs: string;
  ingest: string;
  layers: string;
  links: string;
  images: string;
  containers: string;
  volumes: string;
  /** Networks: `networks/<id>/network.json` and the network's address allocations. */
  networks: string;
  tmp: string;
  locks: string;
  runContainers: string;
}

/** Store directories without creating anything (for readers and tests). */
export function storeLayout(paths: StorePaths): Store {
  const { root, runroot } = paths;
  return {
    root,
    runroot,
    blobs: `${root}/blobs/sha256`,
    ingest: `${root}/ingest`,
    layers: `${root}/layers`,
    links: `${root}/layers/l`,
    images: `${root}/images`,
    containers: `${root}/containers`,
    volumes: `${root}/volumes`,
    networks: `${root}/networks`,
    tmp: `${root}/tmp`,
    locks: `${root}/locks`,
    runContainers: `${runroot}/containers`,
  };
}

/**
 * Opens the store selected by the global flags, creating its directories.
 *
 * @example
 * ```ts ignore
 * const store = await openStore({ root: "/tmp/skiff" });
 * ```
 */
export async function openStore(flags: { root?: string; runroot?: string }): Promise<Store> {
  const store = storeLayout(resolveStorePaths(flags));
  // One stat answers the common case: the store already exists.
  try {
    await Deno.stat(store.runContainers);
    await Deno.stat(store.locks);
    return store;
  } catch {
    // first use: create everything below
  }
  for (
    const dir of [
      store.blobs,
      store.ingest,
      store.links,
      store.images,
      store.containers,
      store.volumes,
      store.networks,
      store.tmp,
      store.locks,
    ]
  ) {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  }
  await Deno.mkdir(store.runContainers, { recursive: true, mode: 0o700 });
  return store;
}
