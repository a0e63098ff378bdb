/**
 * Local manifest lists (`manifest create`, `annotate`, `push`, `rm`): one JSON record per list
 * in `R/manifests/<sha256 of the list's name>.json`, written atomically under
 * `R/locks/manifests.lock`. Each entry keeps the exact bytes of the manifest it names (base64),
 * so a list is whole on its own and every read checks them against the entry's digest.
 *
 * @module
 */
import { DigestMismatchError, NotFoundError } from "../errors.ts";
import { readJson, writeJsonAtomic } from "../store/atomic.ts";
import { withLock } from "../store/lock.ts";
import type { Store } from "../store/store.ts";
import { sha256Digest, sha256Hex } from "./digest.ts";

/** An entry's platform, as an OCI index descriptor has it. */
export interface ListPlatform {
  architecture: string;
  os: string;
  "os.version"?: string;
  "os.features"?: string[];
  variant?: string;
}

/** One image of a local manifest list. */
export interface ManifestListEntry {
  /** The image as named when added, normalized (`host/repo:tag` or `host/repo@sha256:…`). */
  image: string;
  /** Digest, media type and size of its manifest. */
  digest: string;
  mediaType: string;
  size: number;
  platform?: ListPlatform;
  /** The manifest's bytes, base64. */
  raw: string;
  /** Set when the image was taken from the local store (it is pushed with the list). */
  localId?: string;
}

/** A local manifest list. */
export interface ManifestListRecord {
  /** Its normalized name (`localhost:5000/app:latest`). */
  name: string;
  entries: ManifestListEntry[];
  /** When it was created, RFC 3339. */
  created: string;
}

/** The directory holding the list records. */
export function manifestListDir(store: Store): string {
  return `${store.root}/manifests`;
}

async function recordPath(store: Store, name: string): Promise<string> {
  return `${manifestListDir(store)}/${await sha256Hex(new TextEncoder().encode(name))}.json`;
}

/** base64 of bytes (manifests are small: at most 4 MiB). */
export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/** Bytes of a base64 string. */
export function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads the local list `name` (normalized), checking every entry's bytes against its digest;
 * undefined when there is none.
 *
 * @example
 * ```ts ignore
 * const list = await readManifestList(store, "localhost:5000/app:latest");
 * ```
 */
export async function readManifestList(
  store: Store,
  name: string,
): Promise<ManifestListRecord | undefined> {
  let rec: ManifestListRecord | undefined;
  try {
    rec = await readJson<ManifestListRecord>(await recordPath(store, name));
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
  }
  if (rec === undefined) {
    if (!(await exists(await recordPath(store, name)))) return undefined;
  }
  if (!rec || rec.name !== name || !Array.isArray(rec.entries)) {
    throw new DigestMismatchError(
      `manifest list ${name} is damaged: its record does not parse (remove it with: skiff manifest rm ${name})`,
    );
  }
  for (const e of rec.entries) {
    let actual: string;
    try {
      actual = await sha256Digest(fromBase64(e.raw));
    } catch {
      actual = "(not base64)";
    }
    if (actual !== e.digest) {
      throw new DigestMismatchError(
        `manifest list ${name} is damaged: the manifest of ${e.image} hashes to ${actual}, not ${e.digest} (remove it with: skiff manifest rm ${name})`,
      );
    }
  }
  return rec;
}

/**
 * Reads, changes and writes the list `name` under the lists' lock: `change` gets the current
 * record (undefined when there is none) and returns the one to write.
 *
 * @example
 * ```ts ignore
 * await updateManifestList(store, name, (rec) => ({ ...rec!, entries: [] }));
 * ```
 */
export async function updateManifestList<T>(
  store: Store,
  name: string,
  change: (
    rec: ManifestListRecord | undefined,
  ) => Promise<{ record: ManifestListRecord; result: T }>,
): Promise<T> {
  await Deno.mkdir(manifestListDir(store), { recursive: true, mode: 0o700 });
  return await withLock(`${store.locks}/manifests.lock`, async () => {
    const { record, result } = await change(await readManifestList(store, name));
    await writeJsonAtomic(await recordPath(store, name), record, 0o600);
    return result;
  });
}

/**
 * Removes the local list `name`; a NotFoundError as Docker words it when there is none.
 *
 * @example
 * ```ts ignore
 * await removeManifestList(store, "localhost:5000/app:latest");
 * ```
 */
export async function removeManifestList(store: Store, name: string): Promise<void> {
  const path = await recordPath(store, name);
  await Deno.mkdir(manifestListDir(store), { recursive: true, mode: 0o700 });
  await withLock(`${store.locks}/manifests.lock`, async () => {
    try {
      await Deno.remove(path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) throw new NotFoundError(`No such manifest: ${name}`);
      throw err;
    }
  });
}
