/**
 * Garbage collection after containerd's: references go from tags to image
 * records to layers and blobs, and from containers to their image; whatever
 * nothing reaches is removed. Leftovers of killed commands in the scratch
 * areas are removed once no lock holds them.
 */
import { readJson } from "../store/atomic.ts";
import { removeBlob } from "../store/blobs.ts";
import { type ImageRecord, listImages } from "../store/images.ts";
import { getLayer, listLayers, removeLayer } from "../store/layers.ts";
import { listCacheRecords } from "../store/build_cache.ts";
import { liveLeases, withGcExclusive } from "../store/leases.ts";
import { parseMountinfo } from "../sys/mountinfo.ts";
import { ownerAlive, scratchOwner } from "../sys/scratch.ts";
import type { Store } from "../store/store.ts";

/** Image ids used by containers (their records name the image they were made from). */
export async function imagesInUse(store: Store): Promise<Map<string, string[]>> {
  const used = new Map<string, string[]>();
  try {
    for await (const entry of Deno.readDir(store.containers)) {
      const rec = await readJson<{ Image?: string; Id?: string }>(
        `${store.containers}/${entry.name}/container.json`,
      ).catch(() => undefined);
      if (rec?.Image) used.set(rec.Image, [...(used.get(rec.Image) ?? []), entry.name]);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return used;
}

/**
 * Removes what killed commands left in the scratch areas (`tmp/`, `ingest/`): an entry whose
 * maker (the tag in its name, sys/scratch.ts) no longer runs, and an untagged one older than
 * `maxAgeMs`; work in progress is never touched. Whatever is still mounted inside an entry
 * (a killed command's temporary root mount) is detached first, and an entry that stays
 * mounted is kept, so that removing it never reaches into a container's files.
 */
export async function removeStaleScratch(store: Store, maxAgeMs = 3_600_000): Promise<string[]> {
  const removed: string[] = [];
  const now = Date.now();
  for (const dir of [store.tmp, store.ingest]) {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch {
      continue;
    }
    for (const e of entries) {
      const path = `${dir}/${e.name}`;
      const owner = scratchOwner(e.name);
      if (owner) {
        if (await ownerAlive(owner)) continue;
      } else {
        const st = await Deno.lstat(path).catch(() => undefined);
        if (!st || now - (st.mtime?.getTime() ?? now) < maxAgeMs) continue;
      }
      if (e.isDirectory && !(await detachMountsUnder(path))) continue;
      await Deno.remove(path, { recursive: true }).catch(() => {});
      removed.push(path);
    }
  }
  return removed;
}

/** Mount points at or under `dir` in this mount namespace, deepest first. */
async function mountsUnder(dir: string): Promise<string[]> {
  const text = await Deno.readTextFile("/proc/self/mountinfo").catch(() => "");
  const real = await Deno.realPath(dir).catch(() => dir);
  const found = parseMountinfo(text).map((m) => m.mountPoint)
    .filter((mp) => [dir, real].some((d) => mp === d || mp.startsWith(`${d}/`)));
  return found.sort((a, b) => b.length - a.length);
}

/** Detaches (umount -l) every mount at or under `dir`; whether none is left. */
async function detachMountsUnder(dir: string): Promise<boolean> {
  for (let round = 0; round < 3; round++) {
    const mounts = await mountsUnder(dir);
    if (mounts.length === 0) return true;
    for (const mp of mounts) {
      await new Deno.Command("umount", { args: ["-l", mp], stdout: "null", stderr: "null" })
        .output().catch(() => {});
    }
  }
  return (await mountsUnder(dir)).length === 0;
}

/**
 * Removes layers and blobs that no image, build cache record or running build's lease
 * references (and stale scratch); returns what was removed. The marking and sweeping hold
 * the gc lock, so that a build's lease is either read here or made after the sweep.
 */
export async function collectGarbage(
  store: Store,
): Promise<{ layers: string[]; blobs: string[] }> {
  await removeStaleScratch(store);
  return await withGcExclusive(store, () => sweep(store));
}

/** The layers (with their parents) and blobs the build cache's records keep. */
async function buildCacheRoots(
  store: Store,
  keepLayers: Set<string>,
  keepBlobs: Set<string>,
): Promise<void> {
  for (const r of await listCacheRecords(store)) {
    if (!r.entry.layer) continue;
    keepBlobs.add(r.entry.layer.digest);
    let chain: string | undefined = r.entry.layer.chainId;
    while (chain && !keepLayers.has(chain)) {
      keepLayers.add(chain);
      chain = (await getLayer(store, chain).catch(() => undefined))?.parent;
    }
  }
}

async function sweep(store: Store): Promise<{ layers: string[]; blobs: string[] }> {
  const images: ImageRecord[] = await listImages(store);
  const leased = await liveLeases(store);
  const keepLayers = new Set<string>(leased.layers);
  const keepBlobs = new Set<string>(leased.blobs);
  await buildCacheRoots(store, keepLayers, keepBlobs);
  for (const img of images) {
    keepBlobs.add(img.id);
    keepBlobs.add(img.manifestDigest);
    for (const l of img.layers) {
      keepLayers.add(l.chainId);
      keepBlobs.add(l.digest);
    }
    for (const d of img.repoDigests) keepBlobs.add(d.slice(d.indexOf("@") + 1));
  }
  const removedLayers: string[] = [];
  for (const chain of await listLayers(store)) {
    if (!keepLayers.has(chain)) {
      await removeLayer(store, chain);
      removedLayers.push(chain);
    }
  }
  const removedBlobs: string[] = [];
  for await (const entry of Deno.readDir(store.blobs)) {
    const digest = `sha256:${entry.name}`;
    if (/^[a-f0-9]{64}$/.test(entry.name) && !keepBlobs.has(digest)) {
      // Index manifests are kept while any image was pulled through them.
      if (await isIndexOfKept(store, digest, keepBlobs)) continue;
      await removeBlob(store, digest);
      removedBlobs.push(digest);
    }
  }
  return { layers: removedLayers, blobs: removedBlobs };
}

async function isIndexOfKept(store: Store, digest: string, keep: Set<string>): Promise<boolean> {
  try {
    const file = await Deno.open(`${store.blobs}/${digest.slice(7)}`);
    const head = new Uint8Array(2);
    await file.read(head);
    file.close();
    if (head[0] !== 0x7b) return false; // not JSON
    const doc = JSON.parse(await Deno.readTextFile(`${store.blobs}/${digest.slice(7)}`));
    return Array.isArray(doc.manifests) &&
      doc.manifests.some((m: { digest?: string }) => m.digest && keep.has(m.digest));
  } catch {
    return false;
  }
}
