/**
 * The blob upload endpoints: `POST /v2/<repo>/blobs/uploads/` (also with
 * `?mount=` for a cross-repository mount), then a monolithic `PUT ?digest=`
 * for bytes, or a streamed `PATCH` and a closing `PUT` for a stream.
 *
 * @module
 */

import { InvalidArgumentError, UnavailableError } from "../errors.ts";
import { isDigest } from "./digest.ts";
import type { RegistryApi } from "./registry_api.ts";
import { pullScope, pushScope } from "./registry_auth.ts";
import { responseError } from "./registry_errors.ts";
import type { BlobData } from "./registry_transport.ts";

/**
 * Uploads a blob: `POST /blobs/uploads/`, then a monolithic `PUT ?digest=`
 * for bytes, or a streamed `PATCH` and a closing `PUT` for a stream.
 *
 * @example
 * ```ts ignore
 * await uploadBlob(api, "me/app", digest, bytes.length, bytes);
 * ```
 */
export async function uploadBlob(
  api: RegistryApi,
  repo: string,
  digest: string,
  size: number,
  data: BlobData,
): Promise<void> {
  if (!isDigest(digest)) throw new InvalidArgumentError(`invalid digest format: ${digest}`);
  const what = `${api.registry}/${repo}@${digest}`;
  const res = await api.request("POST", `/v2/${repo}/blobs/uploads/`, {
    headers: { "content-length": "0" },
    scopes: [pushScope(repo)],
    what,
  });
  if (res.status !== 202) throw await responseError(res, what);
  await res.body?.cancel();
  await finishUpload(api, repo, res, digest, size, data, what);
}

/** Sends the content to the session `started` opened, and closes it with the digest. */
async function finishUpload(
  api: RegistryApi,
  repo: string,
  started: Response,
  digest: string,
  size: number,
  data: BlobData,
  what: string,
): Promise<void> {
  const base = await api.baseUrl();
  let location = started.headers.get("location");
  if (!location) throw new UnavailableError(`upload of ${what}: registry sent no Location`);
  const scopes = [pushScope(repo)];
  if (data instanceof ReadableStream) {
    const patch = await api.request("PATCH", new URL(location, base).href, {
      headers: { "content-type": "application/octet-stream" },
      body: data,
      scopes,
      what,
    });
    if (patch.status !== 202 && patch.status !== 204) throw await responseError(patch, what);
    await patch.body?.cancel();
    location = patch.headers.get("location") ?? location;
    data = new Uint8Array();
  } else if (data.byteLength !== size) {
    throw new InvalidArgumentError(
      `upload of ${what}: size is ${data.byteLength} bytes, expected ${size}`,
    );
  }
  const url = new URL(location, base);
  url.searchParams.set("digest", digest);
  const put = await api.request("PUT", url.href, {
    headers: {
      "content-type": "application/octet-stream",
      "content-length": String(data.byteLength),
    },
    body: data,
    scopes,
    what,
  });
  if (put.status !== 201 && put.status !== 204) throw await responseError(put, what);
  await put.body?.cancel();
}

/**
 * Mounts a blob from another repository of the same registry. Returns
 * true if mounted. When the registry answers 202 (no mount) it uploads
 * `fallback` if given (returning false), else cancels the session and
 * returns false.
 *
 * @example
 * ```ts ignore
 * await mountBlob(api, "me/app", digest, "library/busybox", { size, data: bytes });
 * ```
 */
export async function mountBlob(
  api: RegistryApi,
  repo: string,
  digest: string,
  fromRepo: string,
  fallback?: { size: number; data: BlobData },
): Promise<boolean> {
  const what = `${api.registry}/${repo}@${digest}`;
  const q = new URLSearchParams({ mount: digest, from: fromRepo });
  const res = await api.request("POST", `/v2/${repo}/blobs/uploads/?${q}`, {
    headers: { "content-length": "0" },
    scopes: [pushScope(repo), pullScope(fromRepo)],
    what,
  });
  if (res.status === 201) {
    await res.body?.cancel();
    return true;
  }
  if (res.status !== 202) throw await responseError(res, what);
  await res.body?.cancel();
  if (fallback) {
    await finishUpload(api, repo, res, digest, fallback.size, fallback.data, what);
    return false;
  }
  const location = res.headers.get("location");
  if (location) {
    const base = await api.baseUrl();
    const del = await api.request("DELETE", new URL(location, base).href, {
      scopes: [pushScope(repo)],
      what,
    }).catch(() => undefined);
    await del?.body?.cancel();
  }
  return false;
}
