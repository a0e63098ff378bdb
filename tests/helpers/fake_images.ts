/**
 * Image records without layers, for unit tests of the image verbs (no root, no registry): a
 * config blob (with labels and history), a manifest blob, a record and its tags.
 */
import { putBlobContent } from "../../src/store/blobs.ts";
import { type ImageRecord, putImage, updateTags } from "../../src/store/images.ts";
import { openStore, type Store } from "../../src/store/store.ts";

/** What a fake image has. */
export interface FakeImage {
  /** Fully qualified tags (`docker.io/library/busybox:latest`). */
  tags?: string[];
  created?: string;
  labels?: Record<string, string>;
  size?: number;
  repoDigests?: string[];
  history?: { created?: string; created_by?: string; comment?: string; empty_layer?: boolean }[];
}

/** A fresh store under a temporary directory; `cleanup` removes it. */
export async function tempEngineStore(): Promise<{
  where: { root: string; runroot: string };
  store: Store;
  cleanup: () => Promise<void>;
}> {
  const dir = await Deno.makeTempDir();
  const where = { root: `${dir}/data`, runroot: `${dir}/run` };
  return {
    where,
    store: await openStore(where),
    cleanup: () => Deno.remove(dir, { recursive: true }),
  };
}

/**
 * Stores an image record (its config blob with a unique comment, so each call makes a new id)
 * and tags it.
 *
 * @example
 * ```ts ignore
 * const rec = await addImage(store, { tags: ["docker.io/library/app:1"], labels: { a: "b" } });
 * ```
 */
export async function addImage(store: Store, img: FakeImage = {}): Promise<ImageRecord> {
  const config = {
    created: img.created,
    architecture: "amd64",
    os: "linux",
    config: { Labels: img.labels },
    rootfs: { type: "layers", diff_ids: [] },
    history: img.history,
    comment: crypto.randomUUID(),
  };
  const configBytes = new TextEncoder().encode(JSON.stringify(config));
  const id = await putBlobContent(store, configBytes);
  const manifest = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: {
      mediaType: "application/vnd.oci.image.config.v1+json",
      digest: id,
      size: configBytes.length,
    },
    layers: [],
  };
  const manifestDigest = await putBlobContent(
    store,
    new TextEncoder().encode(JSON.stringify(manifest)),
  );
  const record: ImageRecord = {
    id,
    manifestDigest,
    manifestMediaType: "application/vnd.oci.image.manifest.v1+json",
    repoDigests: img.repoDigests ?? [],
    layers: [],
    created: img.created,
    size: img.size ?? 0,
    os: "linux",
    architecture: "amd64",
    addedAt: new Date().toISOString(),
  };
  await putImage(store, record);
  await updateTags(store, (tags) => {
    for (const t of img.tags ?? []) tags[t] = id;
  });
  return record;
}

/** A container record using an image (only what `imagesInUse` and `volumeUsers` read). */
export async function addContainerUsing(store: Store, imageId: string): Promise<string> {
  const id = crypto.randomUUID().replaceAll("-", "").repeat(2);
  await Deno.mkdir(`${store.containers}/${id}`, { recursive: true });
  await Deno.writeTextFile(
    `${store.containers}/${id}/container.json`,
    JSON.stringify({
      Id: id,
      Image: imageId,
      Created: new Date().toISOString(),
      Options: { mounts: [] },
    }),
  );
  return id;
}
