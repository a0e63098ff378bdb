/**
 * The content store: blobs known by digest (`blobs/sha256/<hex>`), with an
 * ingest area where partial writes live until their digest is verified.
 */
import { createHasher, sha256Bytes } from "./hash.ts";
import { DigestMismatchError, InvalidArgumentError, NotFoundError } from "../errors.ts";
import { randomSuffix } from "./atomic.ts";
import type { Store } from "./store.ts";

const digestPattern = /^sha256:[a-f0-9]{64}$/;

/** Checks a digest string is `sha256:<64 hex>`. */
export function assertDigest(digest: string): void {
  if (!digestPattern.test(digest)) {
    throw new InvalidArgumentError(`invalid digest "${digest}": expected sha256:<64 hex digits>`);
  }
}

/** Path of a blob in the store. */
export function blobPath(store: Store, digest: string): string {
  assertDigest(digest);
  return `${store.blobs}/${digest.slice(7)}`;
}

/** Whether the store holds a blob. */
export async function hasBlob(store: Store, digest: string): Promise<boolean> {
  try {
    await Deno.stat(blobPath(store, digest));
    return true;
  } catch {
    return false;
  }
}

/** Reads a whole blob (manifests, configs). */
export async function readBlob(store: Store, digest: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(blobPath(store, digest));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new NotFoundError(`blob ${digest} not found`);
    throw err;
  }
}

/**
 * Writes bytes as a blob, verifying them against `digest` first.
 *
 * @example
 * ```ts ignore
 * await putBlob(store, manifestBytes, "sha256:...");
 * ```
 */
export async function putBlob(store: Store, data: Uint8Array, digest: string): Promise<void> {
  const actual = await sha256Bytes(data);
  if (actual !== digest) {
    throw new DigestMismatchError(`digest mismatch for ${digest}: content hashes to ${actual}`);
  }
  const tmp = `${store.ingest}/${randomSuffix()}`;
  await Deno.writeFile(tmp, data);
  await Deno.rename(tmp, blobPath(store, digest));
}

/** Stores bytes as a blob under their own digest and returns it. */
export async function putBlobContent(store: Store, data: Uint8Array): Promise<string> {
  const digest = await sha256Bytes(data);
  if (!(await hasBlob(store, digest))) await putBlob(store, data, digest);
  return digest;
}

/** A blob being written: chunks go to the ingest area; commit verifies and renames. */
export interface Ingest {
  write(chunk: Uint8Array): Promise<void>;
  /** Verifies the digest (and size when given) and moves the blob into place. */
  commit(): Promise<void>;
  /** Drops the partial write. */
  abort(): Promise<void>;
  readonly bytes: number;
}

/**
 * Starts writing a blob whose digest is known in advance (a registry layer).
 * A mismatch at commit is a DigestMismatchError naming the digest, and the
 * partial file is removed.
 */
export async function startIngest(
  store: Store,
  digest: string,
  expectedSize?: number,
): Promise<Ingest> {
  assertDigest(digest);
  const tmp = `${store.ingest}/${digest.slice(7, 19)}-${randomSuffix()}`;
  const file = await Deno.open(tmp, { write: true, createNew: true });
  const hasher = await createHasher();
  let bytes = 0;
  let closed = false;
  const close = () => {
    if (!closed) {
      closed = true;
      file.close();
    }
  };
  return {
    get bytes() {
      return bytes;
    },
    async write(chunk) {
      hasher.update(chunk);
      bytes += chunk.length;
      let off = 0;
      while (off < chunk.length) off += await file.write(chunk.subarray(off));
    },
    async commit() {
      close();
      const actual = hasher.digest();
      if (actual !== digest || (expectedSize !== undefined && bytes !== expectedSize)) {
        await Deno.remove(tmp).catch(() => {});
        throw new DigestMismatchError(
          actual !== digest
            ? `digest mismatch for ${digest}: content hashes to ${actual}`
            : `size mismatch for ${digest}: expected ${expectedSize} bytes, got ${bytes}`,
        );
      }
      await Deno.rename(tmp, blobPath(store, digest));
    },
    async abort() {
      close();
      await Deno.remove(tmp).catch(() => {});
    },
  };
}

/** Removes a blob; missing blobs are ignored. */
export async function removeBlob(store: Store, digest: string): Promise<void> {
  await Deno.remove(blobPath(store, digest)).catch((err) => {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  });
}
