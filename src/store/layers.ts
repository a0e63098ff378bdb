/**
 * Unpacked layers keyed by chain ID (`layers/<hex>/diff`), each with a short
 * link name (`layers/l/<LINK>`) so that many lower directories fit in the
 * overlay mount options. A layer is unpacked in the scratch area and renamed
 * into place only when complete, under a per-layer lock.
 */
import { DigestMismatchError } from "../errors.ts";
import { randomSuffix, readJson, writeJsonAtomic } from "./atomic.ts";
import { sha256Bytes } from "./hash.ts";
import { withLock } from "./lock.ts";
import type { Store } from "./store.ts";

/** What the store records about an unpacked layer. */
export interface LayerMeta {
  chainId: string;
  diffId: string;
  parent?: string;
  /** Unpacked (uncompressed tar) size in bytes: the length `save` writes. */
  size: number;
  /**
   * The size Docker reports for the layer: its files' and symlinks' sizes added up. Absent in
   * records written before it was kept (see {@linkcode layerContentSize}).
   */
  contentSize?: number;
  /** Short name under `layers/l/`. */
  link: string;
}

/** The size Docker reports for a layer (the tar's length for records that lack it). */
export function layerContentSize(meta: LayerMeta): number {
  return meta.contentSize ?? meta.size;
}

/**
 * Chain IDs for a list of diff IDs, as the OCI image spec defines them:
 * chain(0) = diff(0), chain(n) = sha256(chain(n-1) + " " + diff(n)).
 */
export async function chainIds(diffIds: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const diffId of diffIds) {
    if (out.length === 0) {
      out.push(diffId);
      continue;
    }
    out.push(await sha256Bytes(new TextEncoder().encode(`${out[out.length - 1]} ${diffId}`)));
  }
  return out;
}

/** Directory of a layer's content. */
export function layerDir(store: Store, chainId: string): string {
  return `${store.layers}/${chainId.replace("sha256:", "")}`;
}

/** Reads a layer's record; undefined if it is not (completely) unpacked. */
export function getLayer(store: Store, chainId: string): Promise<LayerMeta | undefined> {
  return readJson<LayerMeta>(`${layerDir(store, chainId)}/meta.json`);
}

/** The overlay lower directory path of a layer, through its short link. */
export function lowerDir(store: Store, meta: LayerMeta): string {
  return `${store.links}/${meta.link}`;
}

function linkName(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  const bytes = crypto.getRandomValues(new Uint8Array(26));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}

/**
 * Returns the layer with `chainId`, unpacking it with `unpack` if the store
 * does not have it yet. `unpack` writes into the directory it is given and
 * returns the diff ID and size it computed; a diff ID other than the expected
 * one is a DigestMismatchError and nothing is kept.
 *
 * @example
 * ```ts ignore
 * await ensureLayer(store, { chainId, diffId, parent }, (dir) => unpackFromBlob(dir));
 * ```
 */
export async function ensureLayer(
  store: Store,
  want: { chainId: string; diffId: string; parent?: string },
  unpack: (diffDir: string) => Promise<{ diffId: string; size: number; contentSize?: number }>,
): Promise<LayerMeta> {
  const existing = await getLayer(store, want.chainId);
  if (existing) return existing;
  const hex = want.chainId.replace("sha256:", "");
  return await withLock(`${store.locks}/layer-${hex}.lock`, async () => {
    const again = await getLayer(store, want.chainId);
    if (again) return again;
    const scratch = `${store.tmp}/layer-${hex.slice(0, 12)}-${randomSuffix()}`;
    await Deno.mkdir(`${scratch}/diff`, { recursive: true });
    try {
      const result = await unpack(`${scratch}/diff`);
      if (result.diffId !== want.diffId) {
        throw new DigestMismatchError(
          `layer diff ID mismatch: expected ${want.diffId}, content hashes to ${result.diffId}`,
        );
      }
      const meta: LayerMeta = {
        chainId: want.chainId,
        diffId: want.diffId,
        parent: want.parent,
        size: result.size,
        contentSize: result.contentSize,
        link: linkName(),
      };
      await writeJsonAtomic(`${scratch}/meta.json`, meta);
      const final = layerDir(store, want.chainId);
      await Deno.remove(final, { recursive: true }).catch(() => {});
      // The link first (dangling until the rename): the layer appears whole, in one rename.
      await Deno.symlink(`../${hex}/diff`, `${store.links}/${meta.link}`);
      await Deno.rename(scratch, final);
      return meta;
    } catch (err) {
      await Deno.remove(scratch, { recursive: true }).catch(() => {});
      throw err;
    }
  });
}

/** Removes an unpacked layer and its link. */
export async function removeLayer(store: Store, chainId: string): Promise<void> {
  const meta = await getLayer(store, chainId);
  const hex = chainId.replace("sha256:", "");
  await withLock(`${store.locks}/layer-${hex}.lock`, async () => {
    // Rename first so that a half-deleted layer (or one without its link) is never taken
    // for a whole one; the link goes after.
    const doomed = `${store.tmp}/rm-${hex.slice(0, 12)}-${randomSuffix()}`;
    try {
      await Deno.rename(layerDir(store, chainId), doomed);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return;
      throw err;
    } finally {
      if (meta) await Deno.remove(`${store.links}/${meta.link}`).catch(() => {});
    }
    await Deno.remove(doomed, { recursive: true });
  });
  await Deno.remove(`${store.locks}/layer-${hex}.lock`).catch(() => {});
}

/** Chain IDs of every layer present in the store. */
export async function listLayers(store: Store): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(store.layers)) {
    if (/^[a-f0-9]{64}$/.test(entry.name)) out.push(`sha256:${entry.name}`);
  }
  return out;
}
