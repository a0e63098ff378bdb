/**
 * A client for the Docker Registry HTTP API v2 / OCI distribution spec,
 * over `fetch`: manifests, blobs (streamed), uploads, cross-repository
 * mounts, catalog and tags, with Docker's token and basic auth flows,
 * retries with exponential backoff and timeouts.
 *
 * One client talks to one registry. It does not import zod: manifest bytes
 * are returned as they came, for `parseManifest` to validate.
 *
 * @module
 */

import { InvalidArgumentError, NotFoundError, UnavailableError } from "../errors.ts";
import {
  type AuthChallenge,
  basicAuthHeader,
  type Credentials,
  getCredentials,
  parseWwwAuthenticate,
} from "./auth.ts";
import { isDigest, sha256Digest, verifyDigest, verifyingStream } from "./digest.ts";

/** The manifest media types sent in `Accept` (mirrors `manifest.ts`, which loads zod). */
const ACCEPT_MANIFESTS = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
];

/** Largest manifest accepted, as containerd: 4 MiB. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** Options for {@linkcode RegistryClient}. */
export interface RegistryClientOptions {
  /**
   * Credentials, or a function to look them up by registry. Default: the
   * stored ones ({@linkcode getCredentials}). Only sent when challenged.
   */
  credentials?:
    | Credentials
    | ((registry: string) => Credentials | undefined | Promise<Credentials | undefined>);
  /**
   * Verify TLS (default true). When false, https is tried and plain http is
   * used if https cannot connect (Deno's fetch cannot skip verification).
   */
  tlsVerify?: boolean;
  /** Force a scheme instead of choosing one. */
  scheme?: "http" | "https";
  /** Attempts for network errors, 429 and 5xx (default 3). */
  attempts?: number;
  /** First retry delay in ms, doubled each time (default 250). */
  retryDelayMs?: number;
  /** Time allowed for response headers, and between body chunks, in ms (default 30000). */
  timeoutMs?: number;
  /** `User-Agent` header (default `skiff`). */
  userAgent?: string;
  /** A Deno HTTP client (custom CA certificates, proxy). */
  httpClient?: Deno.HttpClient;
}

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

/** What {@linkcode RegistryClient.headManifest} learns without a body. */
export interface ManifestHead {
  /** `Docker-Content-Digest`, if sent. */
  digest?: string;
  /** `Content-Type`. */
  mediaType?: string;
  /** `Content-Length`, -1 if unknown. */
  size: number;
}

/** A blob download in progress. */
export interface BlobResponse {
  /** The body; errors with UnavailableError if the connection fails. Unverified. */
  stream: ReadableStream<Uint8Array>;
  /** `Content-Length`, or -1 when not sent. */
  size: number;
}

/** Content for an upload: bytes (retryable) or a stream (sent once). */
export type BlobData = Uint8Array | ReadableStream<Uint8Array>;

interface RequestInit2 {
  headers?: Record<string, string>;
  body?: BlobData | null;
  scopes: string[];
  /** What the request is about, for error messages: `host/repo:tag`. */
  what: string;
}

/** `repository:<repo>:pull` */
function pullScope(repo: string): string {
  return `repository:${repo}:pull`;
}
/** `repository:<repo>:pull,push` */
function pushScope(repo: string): string {
  return `repository:${repo}:pull,push`;
}

/**
 * True for hosts reached over plain http by default: `localhost`,
 * `127.0.0.0/8`, `::1` (with or without a port).
 *
 * @example
 * ```ts
 * isLoopbackHost("127.0.0.1:5000"); // true
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  let h = host.toLowerCase();
  if (h.startsWith("[")) h = h.slice(1, h.indexOf("]"));
  else if (h.split(":").length === 2) h = h.split(":")[0];
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * The host that serves a registry's API: `docker.io` → `registry-1.docker.io`.
 *
 * @example
 * ```ts
 * registryHost("docker.io"); // "registry-1.docker.io"
 * ```
 */
export function registryHost(registry: string): string {
  return registry === "docker.io" || registry === "index.docker.io"
    ? "registry-1.docker.io"
    : registry;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function errorText(e: unknown): string {
  if (e instanceof DOMException && e.name === "TimeoutError") return "timed out";
  let m = e instanceof Error ? e.message : String(e);
  // Deno's fetch says only "fetch failed"; the reason (DNS, refused, TLS) is in its cause.
  const cause = e instanceof Error ? e.cause : undefined;
  if (m === "fetch failed" && cause instanceof Error) {
    m = cause.message.replace(/^error sending request for url \([^)]*\): /, "");
  }
  return m.split("\n")[0];
}

function refText(registry: string, repo: string, ref: string): string {
  return `${registry}/${repo}${ref.includes(":") ? "@" : ":"}${ref}`;
}

const STATUS_CODES: Record<number, string> = {
  400: "bad request",
  401: "unauthorized",
  403: "denied",
  404: "not found",
  405: "unsupported",
  429: "toomanyrequests",
};

interface CachedToken {
  token: string;
  expires: number;
}

/**
 * A Docker Registry v2 / OCI distribution client for one registry.
 *
 * @example
 * ```ts
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
  #opts: RegistryClientOptions;
  #base?: Promise<string>;
  #tokens = new Map<string, CachedToken>();
  #bearer?: AuthChallenge;
  #basic?: Credentials;
  #creds?: Promise<Credentials | undefined>;

  /** Creates a client for `registry` (a reference's registry part). */
  constructor(registry: string, opts: RegistryClientOptions = {}) {
    this.registry = registry;
    this.host = registryHost(registry);
    this.#opts = opts;
  }

  get #attempts(): number {
    return Math.max(1, this.#opts.attempts ?? 3);
  }
  get #timeout(): number {
    return this.#opts.timeoutMs ?? 30_000;
  }

  /** The base URL (`https://host` or `http://host`), chosen once. */
  baseUrl(): Promise<string> {
    this.#base ??= this.#chooseBase();
    return this.#base;
  }

  async #chooseBase(): Promise<string> {
    if (this.#opts.scheme) return `${this.#opts.scheme}://${this.host}`;
    if (isLoopbackHost(this.host)) return `http://${this.host}`;
    if (this.#opts.tlsVerify === false) {
      try {
        const res = await this.#fetch(`https://${this.host}/v2/`, { method: "GET" });
        await res.body?.cancel();
        return `https://${this.host}`;
      } catch {
        return `http://${this.host}`;
      }
    }
    return `https://${this.host}`;
  }

  async #fetch(url: string, init: RequestInit, signal?: AbortSignal): Promise<Response> {
    const ac = new AbortController();
    const onAbort = () => ac.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(
      () => ac.abort(new DOMException("timed out", "TimeoutError")),
      this.#timeout,
    );
    try {
      const headers = new Headers(init.headers);
      if (!headers.has("user-agent")) headers.set("user-agent", this.#opts.userAgent ?? "skiff");
      const full: RequestInit & { client?: Deno.HttpClient } = {
        ...init,
        headers,
        signal: ac.signal,
      };
      if (this.#opts.httpClient) full.client = this.#opts.httpClient;
      return await fetch(url, full);
    } catch (e) {
      if (ac.signal.aborted && ac.signal.reason instanceof DOMException) throw ac.signal.reason;
      throw e;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  #credentials(): Promise<Credentials | undefined> {
    const c = this.#opts.credentials;
    this.#creds ??= Promise.resolve(
      typeof c === "function" ? c(this.registry) : c ?? getCredentials(this.registry),
    );
    return this.#creds;
  }

  async #authHeader(scopes: string[]): Promise<string | undefined> {
    if (this.#basic) {
      return basicAuthHeader(this.#basic);
    }
    if (this.#bearer) {
      const key = [...scopes].sort().join(" ");
      const cached = this.#tokens.get(key);
      if (cached && cached.expires > Date.now()) return `Bearer ${cached.token}`;
      const token = await this.#fetchToken(this.#bearer, scopes);
      return `Bearer ${token}`;
    }
    return undefined;
  }

  async #fetchToken(challenge: AuthChallenge, scopes: string[]): Promise<string> {
    const realm = challenge.params.realm;
    if (!realm) {
      throw new UnavailableError(`${this.registry}: bearer challenge without a realm`);
    }
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new UnavailableError(`${this.registry}: invalid token realm: ${realm}`);
    }
    if (challenge.params.service) url.searchParams.set("service", challenge.params.service);
    for (const s of scopes) url.searchParams.append("scope", s);
    const headers: Record<string, string> = {};
    const creds = await this.#credentials();
    if (creds) headers.authorization = basicAuthHeader(creds);
    let res: Response | undefined;
    for (let attempt = 1;; attempt++) {
      try {
        res = await this.#fetch(url.href, { method: "GET", headers });
      } catch (e) {
        if (attempt < this.#attempts) {
          await sleep(this.#delay(attempt));
          continue;
        }
        throw new UnavailableError(
          `cannot reach token service ${url.host} for ${this.registry}: ${errorText(e)}`,
        );
      }
      if ((res.status === 429 || res.status >= 500) && attempt < this.#attempts) {
        await res.body?.cancel();
        await sleep(this.#delay(attempt));
        continue;
      }
      break;
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw new UnavailableError(
        creds
          ? `unauthorized: incorrect username or password: ${this.registry}`
          : `unauthorized: authentication required: ${this.registry}`,
      );
    }
    if (!res.ok) throw await this.#error(res, `token for ${this.registry}`);
    let body: { token?: string; access_token?: string; expires_in?: number };
    try {
      body = await res.json();
    } catch {
      throw new UnavailableError(`${this.registry}: token service sent invalid JSON`);
    }
    const token = body.token ?? body.access_token;
    if (!token) throw new UnavailableError(`${this.registry}: token service sent no token`);
    const ttl = (typeof body.expires_in === "number" ? body.expires_in : 60) * 1000;
    // Refresh a little early.
    this.#tokens.set([...scopes].sort().join(" "), {
      token,
      expires: Date.now() + Math.max(1000, ttl - 5000),
    });
    return token;
  }

  /**
   * Learns from a 401's challenges; true when a retry may now succeed.
   * `sentAuth` is false when the refused request carried no credentials
   * (a concurrent request may have learnt them meanwhile).
   */
  async #onUnauthorized(res: Response, scopes: string[], sentAuth: boolean): Promise<boolean> {
    const challenges = parseWwwAuthenticate(res.headers.get("www-authenticate") ?? "");
    const bearer = challenges.find((c) => c.scheme === "bearer");
    if (bearer) {
      const had = this.#bearer !== undefined;
      this.#bearer = bearer;
      const wanted = bearer.params.scope ? bearer.params.scope.split(" ") : [];
      const all = [...new Set([...scopes, ...wanted])];
      const key = [...scopes].sort().join(" ");
      // A token we already had was refused: drop it and get a fresh one once.
      if (had) this.#tokens.delete(key);
      const token = await this.#fetchToken(bearer, all);
      if (all.length !== scopes.length) {
        this.#tokens.set(key, { token, expires: Date.now() + 60_000 });
      }
      return true;
    }
    if (challenges.some((c) => c.scheme === "basic")) {
      if (this.#basic) return !sentAuth;
      const creds = await this.#credentials();
      if (!creds) return false;
      this.#basic = creds;
      return true;
    }
    return false;
  }

  #delay(attempt: number, res?: Response): number {
    const base = (this.#opts.retryDelayMs ?? 250) * 2 ** (attempt - 1);
    const after = Number(res?.headers.get("retry-after"));
    if (res?.headers.has("retry-after") && Number.isFinite(after)) {
      return Math.min(Math.max(after * 1000, 0), 10_000);
    }
    return base;
  }

  /**
   * Sends one API request with auth, retries and timeout. Returns the
   * response whatever its status (after auth and retries are exhausted).
   */
  async #request(method: string, pathOrUrl: string, init: RequestInit2): Promise<Response> {
    const base = await this.baseUrl();
    const url = new URL(pathOrUrl, base).href;
    const replayable = !(init.body instanceof ReadableStream);
    let reauthed = false;
    for (let attempt = 1;; attempt++) {
      const headers: Record<string, string> = { ...init.headers };
      const auth = await this.#authHeader(init.scopes);
      if (auth) headers.authorization = auth;
      let res: Response;
      try {
        res = await this.#fetch(url, {
          method,
          headers,
          body: init.body ?? undefined,
        } as RequestInit);
      } catch (e) {
        if (replayable && attempt < this.#attempts) {
          await sleep(this.#delay(attempt));
          continue;
        }
        throw new UnavailableError(
          `cannot reach registry ${this.registry} (${init.what}): ${errorText(e)}`,
          { cause: e },
        );
      }
      if (res.status === 401 && !reauthed && replayable) {
        await res.body?.cancel();
        reauthed = true;
        if (await this.#onUnauthorized(res, init.scopes, auth !== undefined)) {
          attempt--;
          continue;
        }
        return new Response(null, { status: 401, headers: res.headers });
      }
      if ((res.status === 429 || res.status >= 500) && replayable && attempt < this.#attempts) {
        await res.body?.cancel();
        await sleep(this.#delay(attempt, res));
        continue;
      }
      return res;
    }
  }

  /** Turns a failed response into a one-line error of the right kind. */
  async #error(res: Response, what: string): Promise<Error> {
    let code = STATUS_CODES[res.status] ?? `${res.status} ${res.statusText}`.trim();
    let message = "";
    try {
      const text = res.body ? (await res.text()).slice(0, 8192) : "";
      const doc = JSON.parse(text);
      const first = doc?.errors?.[0];
      if (first && typeof first.code === "string") {
        code = first.code.toLowerCase().replaceAll("_", " ");
        if (typeof first.message === "string") message = first.message.split("\n")[0];
      }
    } catch { /* not JSON */ }
    if (!message && res.status === 401) message = "authentication required";
    const text = message && message !== code ? `${code}: ${message}: ${what}` : `${code}: ${what}`;
    if (res.status === 404) return new NotFoundError(text);
    if (res.status === 400) return new InvalidArgumentError(text);
    return new UnavailableError(text);
  }

  /**
   * Checks the registry answers `GET /v2/`, authenticating if challenged
   * (used by `login` to verify credentials).
   *
   * @example
   * ```ts
   * await new RegistryClient("localhost:5000").ping();
   * ```
   */
  async ping(): Promise<void> {
    const what = this.registry;
    const res = await this.#request("GET", "/v2/", { scopes: [], what });
    if (!res.ok) throw await this.#error(res, what);
    await res.body?.cancel();
  }

  /**
   * Fetches a manifest or index by tag or digest, asking for all four
   * schema 2 / OCI media types. By digest, the bytes must hash to it
   * (DigestMismatchError otherwise); by tag, the digest is computed.
   *
   * @example
   * ```ts
   * const { bytes, mediaType, digest } = await client.getManifest("library/busybox", "latest");
   * ```
   */
  async getManifest(repo: string, ref: string): Promise<FetchedManifest> {
    const what = refText(this.registry, repo, ref);
    const res = await this.#request("GET", `/v2/${repo}/manifests/${ref}`, {
      headers: { accept: ACCEPT_MANIFESTS.join(", ") },
      scopes: [pullScope(repo)],
      what,
    });
    if (!res.ok) throw await this.#error(res, what);
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
      throw new UnavailableError(`reading manifest ${what}: ${errorText(e)}`, { cause: e });
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
   * ```ts
   * const head = await client.headManifest("library/busybox", "latest");
   * ```
   */
  async headManifest(repo: string, ref: string): Promise<ManifestHead | undefined> {
    const what = refText(this.registry, repo, ref);
    const res = await this.#request("HEAD", `/v2/${repo}/manifests/${ref}`, {
      headers: { accept: ACCEPT_MANIFESTS.join(", ") },
      scopes: [pullScope(repo)],
      what,
    });
    await res.body?.cancel();
    if (res.status === 404) return undefined;
    if (!res.ok) throw await this.#error(res, what);
    const out: ManifestHead = { size: Number(res.headers.get("content-length") ?? -1) };
    const digest = res.headers.get("docker-content-digest");
    if (digest) out.digest = digest;
    const type = res.headers.get("content-type")?.split(";")[0].trim();
    if (type) out.mediaType = type;
    return out;
  }

  /**
   * Starts downloading a blob. The stream is not verified: pass it through
   * `verifyingStream(stream, digest, size)` (see {@linkcode getVerifiedBlob}).
   * Network failures while reading error the stream with UnavailableError;
   * a stall longer than the timeout aborts it.
   *
   * @example
   * ```ts
   * const { stream, size } = await client.getBlob("library/busybox", digest);
   * ```
   */
  async getBlob(repo: string, digest: string): Promise<BlobResponse> {
    const what = `${this.registry}/${repo}@${digest}`;
    const res = await this.#request("GET", `/v2/${repo}/blobs/${digest}`, {
      scopes: [pullScope(repo)],
      what,
    });
    if (!res.ok) {
      if (res.status === 404) {
        await res.body?.cancel();
        throw new NotFoundError(`blob unknown: ${what}`);
      }
      throw await this.#error(res, what);
    }
    if (!res.body) throw new UnavailableError(`empty response for blob ${what}`);
    const size = Number(res.headers.get("content-length") ?? -1);
    return { stream: this.#guardStream(res.body, what), size };
  }

  /**
   * Downloads a blob through {@linkcode verifyingStream}: the stream errors
   * with DigestMismatchError naming `digest` if the content does not match.
   *
   * @example
   * ```ts
   * const stream = await client.getVerifiedBlob(repo, layer.digest, layer.size);
   * await stream.pipeTo(file.writable);
   * ```
   */
  async getVerifiedBlob(
    repo: string,
    digest: string,
    size?: number,
  ): Promise<ReadableStream<Uint8Array>> {
    const { stream } = await this.getBlob(repo, digest);
    return verifyingStream(stream, digest, size);
  }

  /**
   * Downloads a small blob (an image config) into memory, verified.
   *
   * @example
   * ```ts
   * const configBytes = await client.getBlobBytes(repo, manifest.config.digest);
   * ```
   */
  async getBlobBytes(
    repo: string,
    digest: string,
    maxBytes = 64 * 1024 * 1024,
  ): Promise<Uint8Array> {
    const stream = await this.getVerifiedBlob(repo, digest);
    return await readLimited(new Response(stream), maxBytes, `${this.registry}/${repo}@${digest}`);
  }

  /** Converts read failures into UnavailableError and enforces the idle timeout. */
  #guardStream(body: ReadableStream<Uint8Array>, what: string): ReadableStream<Uint8Array> {
    const reader = body.getReader();
    const timeout = this.#timeout;
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        try {
          const r = await Promise.race([
            reader.read(),
            new Promise<never>((_, reject) => {
              timer = setTimeout(
                () => reject(new DOMException("timed out", "TimeoutError")),
                timeout,
              );
            }),
          ]);
          if (r.done) controller.close();
          else controller.enqueue(r.value);
        } catch (e) {
          reader.cancel().catch(() => {});
          controller.error(
            new UnavailableError(`reading blob ${what}: ${errorText(e)}`, { cause: e }),
          );
        } finally {
          clearTimeout(timer);
        }
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    });
  }

  /**
   * True when the repository has the blob (`HEAD`).
   *
   * @example
   * ```ts
   * if (!await client.blobExists(repo, digest)) await client.uploadBlob(repo, digest, size, data);
   * ```
   */
  async blobExists(repo: string, digest: string): Promise<boolean> {
    const what = `${this.registry}/${repo}@${digest}`;
    const res = await this.#request("HEAD", `/v2/${repo}/blobs/${digest}`, {
      scopes: [pullScope(repo)],
      what,
    });
    await res.body?.cancel();
    if (res.status === 404) return false;
    if (!res.ok) throw await this.#error(res, what);
    return true;
  }

  /**
   * Uploads a blob: `POST /blobs/uploads/`, then a monolithic `PUT ?digest=`
   * for bytes, or a streamed `PATCH` and a closing `PUT` for a stream.
   *
   * @example
   * ```ts
   * await client.uploadBlob("me/app", digest, bytes.length, bytes);
   * ```
   */
  async uploadBlob(repo: string, digest: string, size: number, data: BlobData): Promise<void> {
    if (!isDigest(digest)) throw new InvalidArgumentError(`invalid digest format: ${digest}`);
    const what = `${this.registry}/${repo}@${digest}`;
    const res = await this.#request("POST", `/v2/${repo}/blobs/uploads/`, {
      headers: { "content-length": "0" },
      scopes: [pushScope(repo)],
      what,
    });
    if (res.status !== 202) throw await this.#error(res, what);
    await res.body?.cancel();
    await this.#finishUpload(repo, res, digest, size, data, what);
  }

  async #finishUpload(
    repo: string,
    started: Response,
    digest: string,
    size: number,
    data: BlobData,
    what: string,
  ): Promise<void> {
    const base = await this.baseUrl();
    let location = started.headers.get("location");
    if (!location) throw new UnavailableError(`upload of ${what}: registry sent no Location`);
    const scopes = [pushScope(repo)];
    if (data instanceof ReadableStream) {
      const patch = await this.#request("PATCH", new URL(location, base).href, {
        headers: { "content-type": "application/octet-stream" },
        body: data,
        scopes,
        what,
      });
      if (patch.status !== 202 && patch.status !== 204) throw await this.#error(patch, what);
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
    const put = await this.#request("PUT", url.href, {
      headers: {
        "content-type": "application/octet-stream",
        "content-length": String(data.byteLength),
      },
      body: data,
      scopes,
      what,
    });
    if (put.status !== 201 && put.status !== 204) throw await this.#error(put, what);
    await put.body?.cancel();
  }

  /**
   * Mounts a blob from another repository of the same registry. Returns
   * true if mounted. When the registry answers 202 (no mount) it uploads
   * `fallback` if given (returning false), else cancels the session and
   * returns false.
   *
   * @example
   * ```ts
   * await client.mountBlob("me/app", digest, "library/busybox", { size, data: bytes });
   * ```
   */
  async mountBlob(
    repo: string,
    digest: string,
    fromRepo: string,
    fallback?: { size: number; data: BlobData },
  ): Promise<boolean> {
    const what = `${this.registry}/${repo}@${digest}`;
    const q = new URLSearchParams({ mount: digest, from: fromRepo });
    const res = await this.#request("POST", `/v2/${repo}/blobs/uploads/?${q}`, {
      headers: { "content-length": "0" },
      scopes: [pushScope(repo), pullScope(fromRepo)],
      what,
    });
    if (res.status === 201) {
      await res.body?.cancel();
      return true;
    }
    if (res.status !== 202) throw await this.#error(res, what);
    await res.body?.cancel();
    if (fallback) {
      await this.#finishUpload(repo, res, digest, fallback.size, fallback.data, what);
      return false;
    }
    const location = res.headers.get("location");
    if (location) {
      const base = await this.baseUrl();
      const del = await this.#request("DELETE", new URL(location, base).href, {
        scopes: [pushScope(repo)],
        what,
      }).catch(() => undefined);
      await del?.body?.cancel();
    }
    return false;
  }

  /**
   * Uploads a manifest under a tag or digest; returns its digest. Pushing
   * by digest checks the bytes hash to it first.
   *
   * @example
   * ```ts
   * await client.putManifest("me/app", "v1", bytes, MEDIA_TYPE_OCI_MANIFEST);
   * ```
   */
  async putManifest(
    repo: string,
    ref: string,
    bytes: Uint8Array,
    mediaType: string,
  ): Promise<string> {
    const what = refText(this.registry, repo, ref);
    if (isDigest(ref)) await verifyDigest(bytes, ref);
    const res = await this.#request("PUT", `/v2/${repo}/manifests/${ref}`, {
      headers: { "content-type": mediaType },
      body: bytes,
      scopes: [pushScope(repo)],
      what,
    });
    if (res.status !== 201 && res.status !== 200 && res.status !== 204) {
      throw await this.#error(res, what);
    }
    await res.body?.cancel();
    return await sha256Digest(bytes);
  }

  async #paginate(path: string, key: string, scope: string, what: string): Promise<string[]> {
    const out: string[] = [];
    let next: string | undefined = path;
    const base = await this.baseUrl();
    for (let pages = 0; next && pages < 10_000; pages++) {
      const res = await this.#request("GET", new URL(next, base).href, { scopes: [scope], what });
      if (!res.ok) throw await this.#error(res, what);
      let doc: Record<string, unknown>;
      try {
        doc = await res.json();
      } catch {
        throw new UnavailableError(`${what}: registry sent invalid JSON`);
      }
      const items = doc?.[key];
      if (Array.isArray(items)) out.push(...items.filter((x) => typeof x === "string"));
      next = parseNextLink(res.headers.get("link"));
    }
    return out;
  }

  /**
   * All repository names (`GET /v2/_catalog`, following pagination).
   *
   * @example
   * ```ts
   * await client.catalog(); // ["library/busybox", "me/app"]
   * ```
   */
  catalog(): Promise<string[]> {
    return this.#paginate("/v2/_catalog", "repositories", "registry:catalog:*", this.registry);
  }

  /**
   * All tags of a repository (`GET /v2/<repo>/tags/list`, following pagination).
   *
   * @example
   * ```ts
   * await client.tags("library/busybox"); // ["1.36", "latest"]
   * ```
   */
  tags(repo: string): Promise<string[]> {
    return this.#paginate(
      `/v2/${repo}/tags/list`,
      "tags",
      pullScope(repo),
      `${this.registry}/${repo}`,
    );
  }
}

/**
 * The `rel="next"` target of a `Link` header, if any.
 *
 * @example
 * ```ts
 * parseNextLink('</v2/_catalog?last=b&n=2>; rel="next"'); // "/v2/_catalog?last=b&n=2"
 * ```
 */
export function parseNextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(",")) {
    const m = /<([^>]*)>\s*;(.*)/.exec(part.trim());
    if (m && /rel="?next"?/i.test(m[2])) return m[1];
  }
  return undefined;
}

async function readLimited(res: Response, max: number, what: string): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => {});
      throw new InvalidArgumentError(`${what}: larger than ${max} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}
