/**
 * A client for the Docker Registry HTTP API v2 / OCI distribution spec,
 * over `fetch`: manifests, blobs (streamed), uploads, cross-repository
 * mounts, catalog and tags, with Docker's token and basic auth flows,
 * retries with exponential backoff and timeouts.
 *
 * One client talks to one registry. It only wires the pieces together:
 * `registry_transport.ts` (fetch, retries, TLS or plain http),
 * `registry_auth.ts` (challenges, tokens, basic auth), `registry_api.ts`
 * (an authenticated request), and one module per endpoint group
 * (`registry_manifests.ts`, `registry_blobs.ts`, `registry_uploads.ts`,
 * `registry_listing.ts`). It does not import zod: manifest bytes are
 * returned as they came, for `parseManifest` to validate.
 *
 * @module
 */

import { RegistryApi } from "./registry_api.ts";
import { type CredentialSource, RegistryAuthorizer } from "./registry_auth.ts";
import * as blobs from "./registry_blobs.ts";
import type { BlobResponse } from "./registry_blobs.ts";
import { responseError } from "./registry_errors.ts";
import * as listing from "./registry_listing.ts";
import * as manifests from "./registry_manifests.ts";
import type { FetchedManifest, ManifestHead } from "./registry_manifests.ts";
import {
  type BlobData,
  registryHost,
  RegistryTransport,
  type TransportOptions,
} from "./registry_transport.ts";
import * as uploads from "./registry_uploads.ts";

export type { BlobResponse } from "./registry_blobs.ts";
export { parseNextLink } from "./registry_listing.ts";
export {
  type FetchedManifest,
  type ManifestHead,
  MAX_MANIFEST_BYTES,
} from "./registry_manifests.ts";
export { type BlobData, isLoopbackHost, registryHost } from "./registry_transport.ts";

/** Options for {@linkcode RegistryClient}: the transport's, plus credentials. */
export interface RegistryClientOptions extends TransportOptions {
  /**
   * Credentials, or a function to look them up by registry. Default: the
   * stored ones (`getCredentials`). Only sent when challenged.
   */
  credentials?: CredentialSource;
}

/**
 * A Docker Registry v2 / OCI distribution client for one registry.
 *
 * @example
 * ```ts ignore
 * const client = new RegistryClient("localhost:5000");
 * const m = await client.getManifest("library/busybox", "latest");
 * const { stream } = await client.getBlob("library/busybox", layerDigest);
 * await verifyingStream(stream, layerDigest).pipeTo(file.writable);
 * ```
 */
export class RegistryClient {
  /** The registry as named in references (`docker.io`, `localhost:5000`). */
  readonly registry: string;
  /** The host serving its API (`registry-1.docker.io`). */
  readonly host: string;
  #api: RegistryApi;

  /** Creates a client for `registry` (a reference's registry part). */
  constructor(registry: string, opts: RegistryClientOptions = {}) {
    this.registry = registry;
    this.host = registryHost(registry);
    const transport = new RegistryTransport(this.host, opts);
    const authorizer = new RegistryAuthorizer(registry, transport, {
      credentials: opts.credentials,
    });
    this.#api = new RegistryApi(registry, transport, authorizer);
  }

  /** The base URL (`https://host` or `http://host`), chosen once. */
  baseUrl(): Promise<string> {
    return this.#api.baseUrl();
  }

  /**
   * Checks the registry answers `GET /v2/`, authenticating if challenged
   * (used by `login` to verify credentials).
   *
   * @example
   * ```ts ignore
   * await new RegistryClient("localhost:5000").ping();
   * ```
   */
  async ping(): Promise<void> {
    const what = this.registry;
    const res = await this.#api.request("GET", "/v2/", { scopes: [], what });
    if (!res.ok) throw await responseError(res, what);
    await res.body?.cancel();
  }

  /**
   * Fetches a manifest or index by tag or digest, asking for all four
   * schema 2 / OCI media types. By digest, the bytes must hash to it
   * (DigestMismatchError otherwise); by tag, the digest is computed.
   *
   * @example
   * ```ts ignore
   * const { bytes, mediaType, digest } = await client.getManifest("library/busybox", "latest");
   * ```
   */
  getManifest(repo: string, ref: string): Promise<FetchedManifest> {
    return manifests.getManifest(this.#api, repo, ref);
  }

  /**
   * `HEAD` on a manifest: its digest, media type and size, or undefined
   * when the registry does not have it.
   *
   * @example
   * ```ts ignore
   * const head = await client.headManifest("library/busybox", "latest");
   * ```
   */
  headManifest(repo: string, ref: string): Promise<ManifestHead | undefined> {
    return manifests.headManifest(this.#api, repo, ref);
  }

  /**
   * Starts downloading a blob. The stream is not verified: pass it through
   * `verifyingStream(stream, digest, size)` (see {@linkcode getVerifiedBlob}).
   * Network failures while reading error the stream with UnavailableError;
   * a stall longer than the timeout aborts it.
   *
   * @example
   * ```ts ignore
   * const { stream, size } = await client.getBlob("library/busybox", digest);
   * ```
   */
  getBlob(repo: string, digest: string): Promise<BlobResponse> {
    return blobs.getBlob(this.#api, repo, digest);
  }

  /**
   * Downloads a blob through `verifyingStream`: the stream errors with
   * DigestMismatchError naming `digest` if the content does not match.
   *
   * @example
   * ```ts ignore
   * const stream = await client.getVerifiedBlob(repo, layer.digest, layer.size);
   * await stream.pipeTo(file.writable);
   * ```
   */
  getVerifiedBlob(
    repo: string,
    digest: string,
    size?: number,
  ): Promise<ReadableStream<Uint8Array>> {
    return blobs.getVerifiedBlob(this.#api, repo, digest, size);
  }

  /**
   * Downloads a small blob (an image config) into memory, verified.
   *
   * @example
   * ```ts ignore
   * const configBytes = await client.getBlobBytes(repo, manifest.config.digest);
   * ```
   */
  getBlobBytes(repo: string, digest: string, maxBytes?: number): Promise<Uint8Array> {
    return blobs.getBlobBytes(this.#api, repo, digest, maxBytes);
  }

  /**
   * True when the repository has the blob (`HEAD`).
   *
   * @example
   * ```ts ignore
   * if (!await client.blobExists(repo, digest)) await client.uploadBlob(repo, digest, size, data);
   * ```
   */
  blobExists(repo: string, digest: string): Promise<boolean> {
    return blobs.blobExists(this.#api, repo, digest);
  }

  /**
   * Uploads a blob: `POST /blobs/uploads/`, then a monolithic `PUT ?digest=`
   * for bytes, or a streamed `PATCH` and a closing `PUT` for a stream.
   *
   * @example
   * ```ts ignore
   * await client.uploadBlob("me/app", digest, bytes.length, bytes);
   * ```
   */
  uploadBlob(repo: string, digest: string, size: number, data: BlobData): Promise<void> {
    return uploads.uploadBlob(this.#api, repo, digest, size, data);
  }

  /**
   * Mounts a blob from another repository of the same registry. Returns
   * true if mounted. When the registry answers 202 (no mount) it uploads
   * `fallback` if given (returning false), else cancels the session and
   * returns false.
   *
   * @example
   * ```ts ignore
   * await client.mountBlob("me/app", digest, "library/busybox", { size, data: bytes });
   * ```
   */
  mountBlob(
    repo: string,
    digest: string,
    fromRepo: string,
    fallback?: { size: number; data: BlobData },
  ): Promise<boolean> {
    return uploads.mountBlob(this.#api, repo, digest, fromRepo, fallback);
  }

  /**
   * Uploads a manifest under a tag or digest; returns its digest. Pushing
   * by digest checks the bytes hash to it first.
   *
   * @example
   * ```ts ignore
   * await client.putManifest("me/app", "v1", bytes, MEDIA_TYPE_OCI_MANIFEST);
   * ```
   */
  putManifest(repo: string, ref: string, bytes: Uint8Array, mediaType: string): Promise<string> {
    return manifests.putManifest(this.#api, repo, ref, bytes, mediaType);
  }

  /**
   * All repository names (`GET /v2/_catalog`, following pagination).
   *
   * @example
   * ```ts ignore
   * await client.catalog(); // ["library/busybox", "me/app"]
   * ```
   */
  catalog(): Promise<string[]> {
    return listing.catalog(this.#api);
  }

  /**
   * All tags of a repository (`GET /v2/<repo>/tags/list`, following pagination).
   *
   * @example
   * ```ts ignore
   * await client.tags("library/busybox"); // ["1.36", "latest"]
   * ```
   */
  tags(repo: string): Promise<string[]> {
    return listing.tags(this.#api, repo);
  }
}
