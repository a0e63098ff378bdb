/**
 * `manifest inspect` and `manifest push`, as docker 20.10's CLI does them: inspect shows a
 * local list, else the image or list in its registry; push copies every image the list names
 * into the list's repository when it is not there (blobs mounted within the registry, local
 * images pushed), then puts the list under its tag and prints its digest.
 *
 * @module
 */
import { InvalidArgumentError, NotFoundError } from "../errors.ts";
import { fetchRemoteManifest, listDocument, listMediaType } from "../image/manifest_list.ts";
import {
  fromBase64,
  type ManifestListEntry,
  type ManifestListRecord,
  readManifestList,
  removeManifestList,
  toBase64,
  updateManifestList,
} from "../image/manifest_list_store.ts";
import { type Descriptor, MEDIA_TYPE_OCI_MANIFEST, parseManifest } from "../image/manifest.ts";
import { quietProgress } from "../image/progress.ts";
import { pushImage, type PushTarget } from "../image/push.ts";
import { type ImageReference, parseReference } from "../image/reference.ts";
import type { RegistryClient } from "../image/registry.ts";
import { getImage } from "../store/images.ts";
import { readBlob } from "../store/blobs.ts";
import { openStore } from "../store/store.ts";
import { sha256Digest } from "../image/digest.ts";
import type { StoreOptions } from "./engine_types.ts";
import {
  findEntry,
  listReference,
  manifestRegistry,
  type ManifestRegistryFactory,
} from "./manifest_lists.ts";

/** What `manifest inspect` was asked for. */
export interface ManifestInspectOptions {
  /** With two arguments: the local list the image is looked up in. */
  list?: string;
  /** The list or image to show. */
  image: string;
  /** Docker's `-v`: each image with its reference, descriptor and manifest. */
  verbose?: boolean;
  insecure?: boolean;
}

/** One image as `manifest inspect -v` shows it (docker's field names). */
interface VerboseImage {
  Ref: string;
  Descriptor: Record<string, unknown>;
  Raw: string;
  SchemaV2Manifest?: unknown;
  OCIManifest?: unknown;
}

function verboseImage(
  ref: string,
  desc: Record<string, unknown>,
  bytes: Uint8Array,
  mediaType: string,
): VerboseImage {
  const doc = JSON.parse(new TextDecoder().decode(bytes));
  const out: VerboseImage = { Ref: ref, Descriptor: desc, Raw: toBase64(bytes) };
  if (mediaType === MEDIA_TYPE_OCI_MANIFEST) out.OCIManifest = doc;
  else out.SchemaV2Manifest = doc;
  return out;
}

function entryDescriptor(e: ManifestListEntry): Record<string, unknown> {
  const d: Record<string, unknown> = { mediaType: e.mediaType, digest: e.digest, size: e.size };
  if (e.platform) d.platform = e.platform;
  return d;
}

function refWithDigest(image: string, digest: string): string {
  return parseReference(image).withDigest(digest).toString();
}

/** A manifest's bytes shown as docker shows one: re-indented with tabs. */
function showManifest(bytes: Uint8Array): string {
  return JSON.stringify(JSON.parse(new TextDecoder().decode(bytes)), null, "\t");
}

function showLocalList(rec: ManifestListRecord, verbose: boolean): string {
  if (!verbose) return JSON.stringify(listDocument(rec), null, 3);
  return JSON.stringify(
    rec.entries.map((e) =>
      verboseImage(
        refWithDigest(e.image, e.digest),
        entryDescriptor(e),
        fromBase64(e.raw),
        e.mediaType,
      )
    ),
    null,
    "\t",
  );
}

/**
 * `manifest inspect`: the text to print for a local list (or an image in it), else for the
 * image or list its registry has. Every manifest read is checked against its digest.
 *
 * @example
 * ```ts ignore
 * console.log(await inspectManifest({}, { image: "localhost:5000/app:1" }));
 * ```
 */
export async function inspectManifest(
  where: StoreOptions,
  opts: ManifestInspectOptions,
  connect: ManifestRegistryFactory = manifestRegistry,
): Promise<string> {
  const store = await openStore(where);
  if (opts.list !== undefined) {
    const name = listReference(opts.list).toString();
    const rec = await readManifestList(store, name);
    if (!rec) throw new NotFoundError(`No such manifest: ${name}`);
    const e = findEntry(rec, opts.image, opts.list);
    const bytes = fromBase64(e.raw);
    if (!opts.verbose) return showManifest(bytes);
    return JSON.stringify(
      verboseImage(refWithDigest(e.image, e.digest), entryDescriptor(e), bytes, e.mediaType),
      null,
      "\t",
    );
  }
  const ref = parseReference(opts.image);
  if (!ref.digest) {
    const rec = await readManifestList(store, ref.toString());
    if (rec) return showLocalList(rec, opts.verbose === true);
  }
  const client = connect(ref.registry, opts.insecure === true);
  const { fetched, parsed } = await fetchRemoteManifest(client, ref);
  if (parsed.kind === "manifest") {
    if (!opts.verbose) return showManifest(fetched.bytes);
    const desc = {
      mediaType: parsed.mediaType,
      digest: fetched.digest,
      size: fetched.bytes.length,
    };
    return JSON.stringify(
      verboseImage(
        ref.withDigest(fetched.digest).toString(),
        desc,
        fetched.bytes,
        parsed.mediaType,
      ),
      null,
      "\t",
    );
  }
  if (!opts.verbose) {
    return JSON.stringify(JSON.parse(new TextDecoder().decode(fetched.bytes)), null, 3);
  }
  const out: VerboseImage[] = [];
  for (const d of parsed.index.manifests) {
    const child = await fetchRemoteManifest(client, ref.withDigest(d.digest));
    if (child.parsed.kind !== "manifest") {
      throw new InvalidArgumentError(`manifest list ${ref} names another list: ${d.digest}`);
    }
    if (child.fetched.bytes.length !== d.size) {
      throw new InvalidArgumentError(
        `size mismatch for ${d.digest} in ${ref}: the list says ${d.size} bytes, the manifest has ${child.fetched.bytes.length}`,
      );
    }
    const desc: Record<string, unknown> = {
      mediaType: d.mediaType,
      digest: d.digest,
      size: d.size,
    };
    if (d.platform) desc.platform = d.platform;
    out.push(
      verboseImage(
        ref.withDigest(d.digest).toString(),
        desc,
        child.fetched.bytes,
        child.parsed.mediaType,
      ),
    );
  }
  return JSON.stringify(out, null, "\t");
}

/** What `manifest push` was asked for. */
export interface ManifestPushOptions {
  list: string;
  /** Remove the local list once pushed. */
  purge?: boolean;
  insecure?: boolean;
  /** Told of each image manifest put into the list's repository (`host/repo@digest`). */
  pushedRef?: (ref: string, digest: string) => void;
}

/** A push target that puts the manifest by its digest instead of under a tag. */
function byDigest(client: RegistryClient): PushTarget {
  return {
    registry: client.registry,
    blobExists: (repo, digest) => client.blobExists(repo, digest),
    mountBlob: (repo, digest, from) => client.mountBlob(repo, digest, from),
    uploadBlob: (repo, digest, size, data) => client.uploadBlob(repo, digest, size, data),
    putManifest: async (repo, _tag, bytes, mediaType) =>
      client.putManifest(repo, await sha256Digest(bytes), bytes, mediaType),
  };
}

/** Copies an image of another repository of the same registry into `target`'s repository. */
async function copyWithinRegistry(
  client: RegistryClient,
  entry: ManifestListEntry,
  source: ImageReference,
  target: ImageReference,
): Promise<boolean> {
  if (await client.headManifest(target.repository, entry.digest)) return false;
  const bytes = fromBase64(entry.raw);
  const parsed = parseManifest(bytes, entry.mediaType);
  if (parsed.kind !== "manifest") {
    throw new InvalidArgumentError(`${entry.image} is a manifest list`);
  }
  const blobs: Descriptor[] = [parsed.manifest.config, ...parsed.manifest.layers];
  for (const b of blobs) {
    if (await client.blobExists(target.repository, b.digest)) continue;
    if (await client.mountBlob(target.repository, b.digest, source.repository)) continue;
    const stream = await client.getVerifiedBlob(source.repository, b.digest, b.size);
    await client.uploadBlob(target.repository, b.digest, b.size, stream);
  }
  await client.putManifest(target.repository, entry.digest, bytes, entry.mediaType);
  return true;
}

/**
 * Pushes a local image named in the list into `target`'s repository; returns its entry, new
 * when the push changed its digest, or undefined when the registry already had it.
 */
async function pushLocal(
  where: StoreOptions,
  client: RegistryClient,
  entry: ManifestListEntry,
  target: ImageReference,
): Promise<ManifestListEntry | undefined> {
  if (await client.headManifest(target.repository, entry.digest)) return undefined;
  const store = await openStore(where);
  const record = await getImage(store, entry.localId!);
  if (!record) throw new NotFoundError(`No such image: ${entry.image} (it was removed)`);
  const result = await pushImage(store, byDigest(client), record, target, {
    progress: quietProgress(),
  });
  if (result.digest === entry.digest) return entry;
  const bytes = await readBlob(store, result.digest);
  return { ...entry, digest: result.digest, size: bytes.length, raw: toBase64(bytes) };
}

/**
 * `manifest push`: puts every image the local list names into the list's repository when it
 * is not there yet, then the list under its tag; returns the list's digest. `purge` removes
 * the local list afterwards.
 *
 * @example
 * ```ts ignore
 * const digest = await pushManifestList({}, { list: "localhost:5000/app:1" });
 * ```
 */
export async function pushManifestList(
  where: StoreOptions,
  opts: ManifestPushOptions,
  connect: ManifestRegistryFactory = manifestRegistry,
): Promise<string> {
  const target = listReference(opts.list);
  const name = target.toString();
  const store = await openStore(where);
  const rec = await readManifestList(store, name);
  if (!rec) throw new NotFoundError(`No such manifest: ${name}`);
  if (rec.entries.length === 0) throw new NotFoundError(`${name} not found`);
  for (const e of rec.entries) {
    if (!e.platform?.os || !e.platform.architecture) {
      throw new InvalidArgumentError(
        `manifest ${e.image} must have an OS and Architecture to be pushed to a registry`,
      );
    }
    const source = parseReference(e.image);
    if (!e.localId && source.registry !== target.registry) {
      throw new InvalidArgumentError(
        `cannot use source images from a different registry than the target image: ${source.registry} != ${target.registry}`,
      );
    }
  }
  const client = connect(target.registry, opts.insecure === true);
  const told = (e: ManifestListEntry) => opts.pushedRef?.(`${target.name}@${e.digest}`, e.digest);
  const entries: ManifestListEntry[] = [];
  for (const e of rec.entries) {
    const source = parseReference(e.image);
    if (e.localId) {
      const now = await pushLocal(where, client, e, target);
      if (now) told(now);
      entries.push(now ?? e);
    } else if (source.repository !== target.repository) {
      if (await copyWithinRegistry(client, e, source, target)) told(e);
      entries.push(e);
    } else if (!(await client.headManifest(target.repository, e.digest))) {
      throw new NotFoundError(`manifest ${e.digest} of ${e.image} is no longer in the registry`);
    } else {
      entries.push(e);
    }
  }
  const pushed: ManifestListRecord = { ...rec, entries };
  const bytes = new TextEncoder().encode(JSON.stringify(listDocument(pushed)));
  const digest = await client.putManifest(
    target.repository,
    target.tag ?? "latest",
    bytes,
    listMediaType(pushed),
  );
  if (opts.purge) {
    await removeManifestList(store, name);
  } else if (entries.some((e, i) => e !== rec.entries[i])) {
    // a local image pushed under another digest: the list now names what was pushed
    await updateManifestList(
      store,
      name,
      (now) => Promise.resolve({ record: now ? { ...now, entries } : pushed, result: undefined }),
    );
  }
  return digest;
}
