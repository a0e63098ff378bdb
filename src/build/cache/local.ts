/**
 * A build cache in a directory (`--cache-to type=local,dest=DIR`, `--cache-from
 * type=local,src=DIR`), so that a store that never ran a build reuses the steps another one
 * ran: `DIR/skiff-cache.json` maps step keys to what the step made (the records of the
 * store's cache), and `DIR/blobs/sha256/<hex>` holds each layer's blob as the store keeps it.
 *
 * An import happens at a step's cache miss: the record for its key, when a source has one,
 * brings its layer into the store (blob copied with its digest checked, unpacked on top of
 * the step's parent layers; the chain id is computed here, never taken from the file) and
 * becomes a record of the store's own cache. Everything read from DIR is checked: keys and
 * digests by their form, blob paths built from a checked digest only.
 */
import { InvalidArgumentError } from "../../errors.ts";
import { readJson, writeJsonAtomic } from "../../store/atomic.ts";
import { blobPath, hasBlob, startIngest } from "../../store/blobs.ts";
import type { CachedStep } from "../../store/build_cache.ts";
import type { ImageLayer } from "../../store/images.ts";
import { chainIds, ensureLayer, getLayer } from "../../store/layers.ts";
import { activeLease, withGcShared } from "../../store/leases.ts";
import type { Store } from "../../store/store.ts";
import { randomSuffix } from "../../store/atomic.ts";
import { decompressStream } from "../../image/decompress.ts";
import { unpackLayer } from "../../image/unpack.ts";
import { saveStep } from "../executor/cache.ts";

const INDEX = "skiff-cache.json";
const DIGEST = /^sha256:[0-9a-f]{64}$/;

interface CacheIndex {
  version: 1;
  steps: Record<string, CachedStep>;
}

/** A record as read from a directory: checked, or dropped. */
function checkedStep(key: string, value: unknown): CachedStep | undefined {
  if (!DIGEST.test(key) || value === null || typeof value !== "object") return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.created !== "string" || isNaN(Date.parse(v.created))) return undefined;
  if (v.layer === null) return { layer: null, created: v.created };
  const l = v.layer as Record<string, unknown> | undefined;
  if (
    !l || typeof l.digest !== "string" || !DIGEST.test(l.digest) ||
    typeof l.diffId !== "string" || !DIGEST.test(l.diffId) ||
    typeof l.chainId !== "string" || !DIGEST.test(l.chainId) ||
    typeof l.mediaType !== "string" || typeof l.size !== "number"
  ) return undefined;
  const layer: ImageLayer = {
    digest: l.digest,
    diffId: l.diffId,
    chainId: l.chainId,
    mediaType: l.mediaType,
    size: l.size,
  };
  return { layer, created: v.created };
}

async function readIndex(dir: string): Promise<Map<string, CachedStep>> {
  let doc: Partial<CacheIndex> | undefined;
  try {
    doc = await readJson<Partial<CacheIndex>>(`${dir}/${INDEX}`);
  } catch (err) {
    throw new InvalidArgumentError(
      `cache ${dir}: ${INDEX} is not readable: ${(err as Error).message}`,
    );
  }
  const out = new Map<string, CachedStep>();
  for (const [key, value] of Object.entries(doc?.steps ?? {})) {
    const step = checkedStep(key, value);
    if (step) out.set(key, step);
  }
  return out;
}

/** The cache directories a build reads (`--cache-from`), opened once. */
export class CacheImport {
  readonly #sources: { dir: string; steps: Map<string, CachedStep> }[];

  private constructor(sources: { dir: string; steps: Map<string, CachedStep> }[]) {
    this.#sources = sources;
  }

  /**
   * Reads the indexes of `dirs`; a directory without one (nothing exported there yet) is
   * empty, as BuildKit treats a missing local cache.
   */
  static async open(dirs: string[]): Promise<CacheImport> {
    const sources = [];
    for (const dir of dirs) sources.push({ dir, steps: await readIndex(dir) });
    return new CacheImport(sources);
  }

  /**
   * The step `key` from a source, brought into the store on top of `parent` and recorded in
   * its cache; undefined when no source has it (or its layer does not fit `parent`).
   */
  async lookup(store: Store, key: string, parent: ImageLayer[]): Promise<CachedStep | undefined> {
    for (const src of this.#sources) {
      const step = src.steps.get(key);
      if (!step) continue;
      const imported = await importStep(store, src.dir, key, step, parent).catch(() => undefined);
      if (imported) return imported;
    }
    return undefined;
  }
}

async function importStep(
  store: Store,
  dir: string,
  key: string,
  step: CachedStep,
  parent: ImageLayer[],
): Promise<CachedStep | undefined> {
  if (!step.layer) {
    await saveStep(store, key, step);
    return step;
  }
  const layer = step.layer;
  const below = parent[parent.length - 1]?.chainId;
  const chain = (await chainIds(below ? [below, layer.diffId] : [layer.diffId])).pop()!;
  if (chain !== layer.chainId) return undefined; // not a layer for this parent
  const source = `${dir}/blobs/sha256/${layer.digest.slice(7)}`;
  // made and leased under the gc lock, as a step's own layer
  return await withGcShared(store, async () => {
    if (!(await hasBlob(store, layer.digest))) {
      const ingest = await startIngest(store, layer.digest);
      try {
        // the blob as a plain file of the directory, never through a symlink
        if (!(await Deno.lstat(source)).isFile) throw new Error(`${source}: not a file`);
        const file = await Deno.open(source);
        for await (const chunk of file.readable) await ingest.write(chunk);
        await ingest.commit();
      } catch (err) {
        await ingest.abort();
        throw err;
      }
    }
    if (!(await getLayer(store, chain))) {
      await ensureLayer(
        store,
        { chainId: chain, diffId: layer.diffId, parent: below },
        async (d) => {
          const file = await Deno.open(blobPath(store, layer.digest));
          return await unpackLayer(await decompressStream(file.readable), d);
        },
      );
    }
    await activeLease(store)?.hold([layer]);
    await saveStep(store, key, step);
    return step;
  });
}

/**
 * Writes the steps a build used (key and record, in build order) to `dir`: their layers'
 * blobs, then the index, merged with what the directory already holds.
 *
 * @example
 * ```ts ignore
 * await exportCache(store, "/tmp/cache", [[key, { layer, created }]]);
 * ```
 */
export async function exportCache(
  store: Store,
  dir: string,
  steps: [string, CachedStep][],
): Promise<void> {
  await Deno.mkdir(`${dir}/blobs/sha256`, { recursive: true });
  for (const [, step] of steps) {
    if (!step.layer) continue;
    const dest = `${dir}/blobs/sha256/${step.layer.digest.slice(7)}`;
    if (await Deno.lstat(dest).then((s) => s.isFile, () => false)) continue;
    const tmp = `${dir}/blobs/sha256/.tmp-${randomSuffix()}`;
    await Deno.copyFile(blobPath(store, step.layer.digest), tmp);
    await Deno.rename(tmp, dest);
  }
  let old = new Map<string, CachedStep>();
  try {
    old = await readIndex(dir);
  } catch {
    // an unreadable index is replaced
  }
  const index: CacheIndex = { version: 1, steps: Object.fromEntries(old) };
  for (const [key, step] of steps) index.steps[key] = { layer: step.layer, created: step.created };
  await writeJsonAtomic(`${dir}/${INDEX}`, index);
}
