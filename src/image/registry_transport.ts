/**
 * The registry client's HTTP transport: one `fetch` with a timeout and a
 * `User-Agent`, the choice between https and plain http, retries with
 * exponential backoff for network errors, 429 and 5xx, a one-time retry after
 * a 401 when an authorizer says it learnt something, and the network reason
 * behind Deno's bare "fetch failed".
 *
 * It knows nothing of tokens, scopes or endpoints: authentication comes in
 * through {@linkcode RequestAuth}, and the caller says what a failure to
 * connect is called.
 *
 * @module
 */

import { InvalidArgumentError, UnavailableError } from "../errors.ts";

/** A `fetch` lookalike: the global one, or a fake in tests. */
export type FetchFunction = (
  url: string,
  init: RequestInit & { client?: Deno.HttpClient },
) => Promise<Response>;

/** Content for an upload: bytes (retryable) or a stream (sent once). */
export type BlobData = Uint8Array | ReadableStream<Uint8Array>;

/** Options for {@linkcode RegistryTransport}. */
export interface TransportOptions {
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
  /** The function that sends requests (default: the global `fetch`). */
  fetch?: FetchFunction;
  /** How to wait between attempts (default: a timer); tests record the delays. */
  sleep?: (ms: number) => Promise<void>;
}

/** How one request authenticates: asked before each attempt and after a 401. */
export interface RequestAuth {
  /** The `Authorization` value to send now, if any. */
  header(): Promise<string | undefined>;
  /**
   * Learns from a 401; true when a retry may now succeed. `sentAuth` is
   * false when the refused request carried no `Authorization`.
   */
  refused(res: Response, sentAuth: boolean): Promise<boolean>;
}

/** One request for {@linkcode RegistryTransport.send}. */
export interface SendInit {
  /** HTTP method. */
  method: string;
  /** Headers besides `Authorization` and `User-Agent`. */
  headers?: Record<string, string>;
  /** Body; a stream is sent once and never retried. */
  body?: BlobData | null;
  /** Authentication, if the request may need it. */
  auth?: RequestAuth;
  /** The error to throw when the server cannot be reached after the last attempt. */
  unreachable: (cause: unknown) => Error;
  /** Wait as long as a 429's or 5xx's `Retry-After` asks (default true; at most 10 s). */
  retryAfter?: boolean;
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

/**
 * One line saying why a request failed: "timed out", or the reason (DNS,
 * refused, TLS) that Deno's fetch hides behind "fetch failed".
 *
 * @example
 * ```ts
 * networkErrorText(new DOMException("timed out", "TimeoutError")); // "timed out"
 * ```
 */
export function networkErrorText(e: unknown): string {
  if (e instanceof DOMException && e.name === "TimeoutError") return "timed out";
  let m = e instanceof Error ? e.message : String(e);
  // Deno's fetch says only "fetch failed"; the reason (DNS, refused, TLS) is in its cause.
  const cause = e instanceof Error ? e.cause : undefined;
  if (m === "fetch failed" && cause instanceof Error) {
    m = cause.message.replace(/^error sending request for url \([^)]*\): /, "");
  }
  return m.split("\n")[0];
}

/**
 * True for the statuses worth retrying: 429 and 5xx.
 *
 * @example
 * ```ts
 * isRetryableStatus(503); // true
 * ```
 */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * The wait before retry number `attempt` (1-based): `baseMs` doubled per
 * attempt, or the response's `Retry-After` seconds (capped at 10 s).
 *
 * @example
 * ```ts
 * retryDelay(3, 250); // 1000
 * ```
 */
export function retryDelay(attempt: number, baseMs: number, res?: Response): number {
  const base = baseMs * 2 ** (attempt - 1);
  const after = Number(res?.headers.get("retry-after"));
  if (res?.headers.has("retry-after") && Number.isFinite(after)) {
    return Math.min(Math.max(after * 1000, 0), 10_000);
  }
  return base;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Reads a response body into memory, failing with InvalidArgumentError
 * once it passes `max` bytes.
 *
 * @example
 * ```ts ignore
 * const bytes = await readLimited(res, 4 << 20, "localhost:5000/app:latest");
 * ```
 */
export async function readLimited(res: Response, max: number, what: string): Promise<Uint8Array> {
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

/**
 * Sends requests to one registry host.
 *
 * @example
 * ```ts ignore
 * const t = new RegistryTransport("localhost:5000");
 * const res = await t.send(`${await t.baseUrl()}/v2/`, {
 *   method: "GET",
 *   unreachable: (e) => new Error(networkErrorText(e)),
 * });
 * ```
 */
export class RegistryTransport {
  /** The host requests go to (`registry-1.docker.io`, `localhost:5000`). */
  readonly host: string;
  #opts: TransportOptions;
  #base?: Promise<string>;

  /** Creates a transport for `host` (already mapped by {@linkcode registryHost}). */
  constructor(host: string, opts: TransportOptions = {}) {
    this.host = host;
    this.#opts = opts;
  }

  /** Attempts per request (at least 1). */
  get attempts(): number {
    return Math.max(1, this.#opts.attempts ?? 3);
  }

  /** Time allowed for headers, and between body chunks, in ms. */
  get timeoutMs(): number {
    return this.#opts.timeoutMs ?? 30_000;
  }

  /** Waits before retry number `attempt`, see {@linkcode retryDelay}. */
  #backoff(attempt: number, res?: Response): Promise<void> {
    const ms = retryDelay(attempt, this.#opts.retryDelayMs ?? 250, res);
    return this.#opts.sleep ? this.#opts.sleep(ms) : sleep(ms);
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
        const res = await this.fetchOnce(`https://${this.host}/v2/`, { method: "GET" });
        await res.body?.cancel();
        return `https://${this.host}`;
      } catch {
        return `http://${this.host}`;
      }
    }
    return `https://${this.host}`;
  }

  /**
   * One attempt: adds `User-Agent` and the HTTP client, and aborts with a
   * `TimeoutError` DOMException when headers take longer than the timeout.
   */
  async fetchOnce(url: string, init: RequestInit, signal?: AbortSignal): Promise<Response> {
    const ac = new AbortController();
    const onAbort = () => ac.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(
      () => ac.abort(new DOMException("timed out", "TimeoutError")),
      this.timeoutMs,
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
      return await (this.#opts.fetch ? this.#opts.fetch(url, full) : fetch(url, full));
    } catch (e) {
      if (ac.signal.aborted && ac.signal.reason instanceof DOMException) throw ac.signal.reason;
      throw e;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Sends a request with retries. Network errors, 429 and 5xx are retried
   * (up to `attempts`, with backoff) unless the body is a stream. A 401 is
   * handed to `auth.refused` once and retried, without using up an attempt,
   * if it returns true; otherwise the 401 is returned without a body.
   * Returns the response whatever its status once retries are exhausted;
   * throws `unreachable(error)` when the last attempt could not connect.
   */
  async send(url: string, init: SendInit): Promise<Response> {
    const replayable = !(init.body instanceof ReadableStream);
    let reauthed = false;
    for (let attempt = 1;; attempt++) {
      const headers: Record<string, string> = { ...init.headers };
      const auth = await init.auth?.header();
      if (auth) headers.authorization = auth;
      let res: Response;
      try {
        res = await this.fetchOnce(url, {
          method: init.method,
          headers,
          body: init.body ?? undefined,
        } as RequestInit);
      } catch (e) {
        if (replayable && attempt < this.attempts) {
          await this.#backoff(attempt);
          continue;
        }
        throw init.unreachable(e);
      }
      if (res.status === 401 && init.auth && !reauthed && replayable) {
        await res.body?.cancel();
        reauthed = true;
        if (await init.auth.refused(res, auth !== undefined)) {
          attempt--;
          continue;
        }
        return new Response(null, { status: 401, headers: res.headers });
      }
      if (isRetryableStatus(res.status) && replayable && attempt < this.attempts) {
        await res.body?.cancel();
        await this.#backoff(attempt, init.retryAfter === false ? undefined : res);
        continue;
      }
      return res;
    }
  }

  /**
   * Wraps a response body so that read failures become UnavailableError
   * (`<label>: <reason>`) and a stall longer than the timeout aborts it.
   */
  guardBody(body: ReadableStream<Uint8Array>, label: string): ReadableStream<Uint8Array> {
    const reader = body.getReader();
    const timeout = this.timeoutMs;
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
            new UnavailableError(`${label}: ${networkErrorText(e)}`, { cause: e }),
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
}
