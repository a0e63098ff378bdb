/**
 * The blob download endpoints: `GET` and `HEAD /v2/<repo>/blobs/<digest>`,
 * streamed, with helpers that verify the content against its digest.
 *
 * @module
 */

import { NotFoundError, UnavailableError } from "../errors.ts";
import { verifyingStream } from "./digest.ts";
import type { RegistryApi } from "./registry_api.ts";
import { pullScope } from "./registry_auth.ts";
import { responseError } from "./registry_errors.ts";
import { readLimited } from "./registry_transport.ts";

/** A blob download in progress. */
export interface BlobResponse {
  /** The body; errors with UnavailableError if the connection fails. Unverified. */
  stream: ReadableStream<Uint8Array>;
  /** `Content-Length`, or -1 when not sent. */
  size: number;
}

/**
 * Starts downloading a blob. The stream is not verified: pass it through
 * `verifyingStream(stream, digest, size)` (see {@linkcode getVerifiedBlob}).
 * Network failures while reading error the stream with UnavailableError;
 * a stall longer than the timeout aborts it.
 *
 * @example
 * ```ts ignore
 * const { stream, size } = await getBlob(api, "library/busybox", digest);
 * ```
 */
export async function getBlob(
  api: RegistryApi,
  repo: string,
  digest: string,
): Promise<BlobResponse> {
  const what = `${api.registry}/${repo}@${digest}`;
  const res = await api.request("GET", `/v2/${repo}/blobs/${digest}`, {
    scopes: [pullScope(repo)],
    what,
  });
  if (!res.ok) {
    if (res.status === 404) {
      await res.body?.cancel();
      throw new NotFoundError(`blob unknown: ${what}`);
    }
    throw await responseError(res, what);
  }
  if (!res.body) throw new UnavailableError(`empty response for blob ${what}`);
  const size = Number(res.headers.get("content-length") ?? -1);
  return { stream: api.transport.guardBody(res.body, `reading blob ${what}`), size };
}

/**
 * Downloads a blob through {@linkcode verifyingStream}: the stream errors
 * with DigestMismatchError naming `digest` if the content does not match.
 *
 * @example
 * ```ts ignore
 * const stream = await getVerifiedBlob(api, repo, layer.digest, layer.size);
 * await stream.pipeTo(file.writable);
 * ```
 */
export async function getVerifiedBlob(
  api: RegistryApi,
  repo: string,
  digest: string,
  size?: number,
): Promise<ReadableStream<Uint8Array>> {
  const { stream } = await getBlob(api, repo, digest);
  return verifyingStream(stream, digest, size);
}

/**
 * Downloads a small blob (an image config) into memory, verified.
 *
 * @example
 * ```ts ignore
 * const configBytes = await getBlobBytes(api, repo, manifest.config.digest);
 * ```
 */
export async function getBlobBytes(
  api: RegistryApi,
  repo: string,
  digest: string,
  maxBytes = 64 * 1024 * 1024,
): Promise<Uint8Array> {
  const stream = await getVerifiedBlob(api, repo, digest);
  return await readLimited(new Response(stream), maxBytes, `${api.registry}/${repo}@${digest}`);
}

/**
 * True when the repository has the blob (`HEAD`).
 *
 * @example
 * ```ts ignore
 * if (!await blobExists(api, repo, digest)) await uploadBlob(api, repo, digest, size, data);
 * ```
 */
export async function blobExists(api: RegistryApi, repo: string, digest: string): Promise<boolean> {
  const what = `${api.registry}/${repo}@${digest}`;
  const res = await api.request("HEAD", `/v2/${repo}/blobs/${digest}`, {
    scopes: [pullScope(repo)],
    what,
  });
  await res.body?.cancel();
  if (res.status === 404) return false;
  if (!res.ok) throw await responseError(res, what);
  return true;
}
