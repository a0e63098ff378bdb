/**
 * The manifest endpoints: `GET`, `HEAD` and `PUT /v2/<repo>/manifests/<ref>`.
 * Manifest bytes are returned as they came, for `parseManifest` to validate
 * (this module does not load zod).
 *
 * @module
 */

import { InvalidArgumentError, UnavailableError } from "../errors.ts";
import { isDigest, sha256Digest, verifyDigest } from "./digest.ts";
import type { RegistryApi } from "./registry_api.ts";
import { pullScope, pushScope } from "./registry_auth.ts";
import { responseError } from "./registry_errors.ts";
import { networkErrorText, readLimited } from "./registry_transport.ts";

/** The manifest media types sent in `Accept` (mirrors `manifest.ts`, which loads zod). */
const ACCEPT_MANIFESTS = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
];

/** Largest manifest accepted, as containerd: 4 MiB. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** A fetched manifest: raw bytes, media type and verified digest. */
export interface FetchedManifest {
  /** The document exactly as served (digests are over these bytes). */
  bytes: Uint8Array;
  /** Media type from `Content-Type`, or the document's `mediaType`. */
  mediaType: string;
  /** `sha256:` digest computed over `bytes` (verified when fetched by digest). */
  digest: string;
  /** `Docker-Content-Digest` as sent by the registry, if any. */
  headerDigest?: string;
}

/** What {@linkcode headManifest} learns without a body. */
export interface ManifestHead {
  /** `Docker-Content-Digest`, if sent. */
  digest?: string;
  /** `Content-Type`. */
  mediaType?: string;
  /** `Content-Length`, -1 if unknown. */
  size: number;
}

/** `registry/repo:tag` or `registry/repo@digest`, for messages. */
function refText(registry: string, repo: string, ref: string): string {
  return `${registry}/${repo}${ref.includes(":") ? "@" : ":"}${ref}`;
}

/**
 * Fetches a manifest or index by tag or digest, asking for all four
 * schema 2 / OCI media types. By digest, the bytes must hash to it
 * (DigestMismatchError otherwise); by tag, the digest is computed.
 *
 * @example
 * ```ts ignore
 * const { bytes, mediaType, digest } = await getManifest(api, "library/busybox", "latest");
 * ```
 */
export async function getManifest(
  api: RegistryApi,
  repo: string,
  ref: string,
): Promise<FetchedManifest> {
  const what = refText(api.registry, repo, ref);
  const res = await api.request("GET", `/v2/${repo}/manifests/${ref}`, {
    headers: { accept: ACCEPT_MANIFESTS.join(", ") },
    scopes: [pullScope(repo)],
    what,
  });
  if (!res.ok) throw await responseError(res, what);
  const length = Number(res.headers.get("content-length") ?? -1);
  if (length > MAX_MANIFEST_BYTES) {
    await res.body?.cancel();
    throw new InvalidArgumentError(`manifest too large: ${what} (${length} bytes)`);
  }
  let bytes: Uint8Array;
  try {
    bytes = await readLimited(res, MAX_MANIFEST_BYTES, what);
  } catch (e) {
    if (e instanceof InvalidArgumentError) throw e;
    throw new UnavailableError(`reading manifest ${what}: ${networkErrorText(e)}`, { cause: e });
  }
  let digest: string;
  if (isDigest(ref)) {
    await verifyDigest(bytes, ref);
    digest = ref;
  } else {
    digest = await sha256Digest(bytes);
  }
  let mediaType = res.headers.get("content-type")?.split(";")[0].trim() ?? "";
  if (!ACCEPT_MANIFESTS.includes(mediaType)) {
    try {
      const declared = JSON.parse(new TextDecoder().decode(bytes))?.mediaType;
      if (typeof declared === "string") mediaType = declared;
    } catch { /* parseManifest will report it */ }
  }
  const out: FetchedManifest = { bytes, mediaType, digest };
  const header = res.headers.get("docker-content-digest");
  if (header) out.headerDigest = header;
  return out;
}

/**
 * `HEAD` on a manifest: its digest, media type and size, or undefined
 * when the registry does not have it.
 *
 * @example
 * ```ts ignore
 * const head = await headManifest(api, "library/busybox", "latest");
 * ```
 */
export async function headManifest(
  api: RegistryApi,
  repo: string,
  ref: string,
): Promise<ManifestHead | undefined> {
  const what = refText(api.registry, repo, ref);
  const res = await api.request("HEAD", `/v2/${repo}/manifests/${ref}`, {
    headers: { accept: ACCEPT_MANIFESTS.join(", ") },
    scopes: [pullScope(repo)],
    what,
  });
  await res.body?.cancel();
  if (res.status === 404) return undefined;
  if (!res.ok) throw await responseError(res, what);
  const out: ManifestHead = { size: Number(res.headers.get("content-length") ?? -1) };
  const digest = res.headers.get("docker-content-digest");
  if (digest) out.digest = digest;
  const type = res.headers.get("content-type")?.split(";")[0].trim();
  if (type) out.mediaType = type;
  return out;
}

/**
 * Uploads a manifest under a tag or digest; returns its digest. Pushing
 * by digest checks the bytes hash to it first.
 *
 * @example
 * ```ts ignore
 * await putManifest(api, "me/app", "v1", bytes, MEDIA_TYPE_OCI_MANIFEST);
 * ```
 */
export async function putManifest(
  api: RegistryApi,
  repo: string,
  ref: string,
  bytes: Uint8Array,
  mediaType: string,
): Promise<string> {
  const what = refText(api.registry, repo, ref);
  if (isDigest(ref)) await verifyDigest(bytes, ref);
  const res = await api.request("PUT", `/v2/${repo}/manifests/${ref}`, {
    headers: { "content-type": mediaType },
    body: bytes,
    scopes: [pushScope(repo)],
    what,
  });
  if (res.status !== 201 && res.status !== 200 && res.status !== 204) {
    throw await responseError(res, what);
  }
  await res.body?.cancel();
  return await sha256Digest(bytes);
}
