/**
 * Test helpers that run Debian's `docker-registry` on a loopback port it binds itself, plus small HTTP
 * proxies in front of it that misbehave on purpose (dropped connections, 503s, corrupted
 * bytes) for error-path tests.
 *
 * ```ts
 * import { startRegistry } from "./registry.ts";
 * const reg = await startRegistry();
 * try {
 *   // push to `${reg.host}/busybox:latest` ...
 * } finally {
 *   await reg.stop();
 * }
 * ```
 *
 * @module
 */

/** A running registry or proxy. */
export interface RunningRegistry {
  /** `127.0.0.1:PORT`, usable in image references. */
  host: string;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Directory holding the registry's config and storage (empty string for proxies). */
  dir: string;
  /** Stops the server and removes its temporary directory. */
  stop(): Promise<void>;
}

/** Options for {@linkcode startRegistry}. */
export interface RegistryOptions {
  /** Require HTTP basic auth with this user and password. */
  htpasswd?: { user: string; password: string };
  /** Only plain HTTP is supported; present for symmetry with callers that pass it. */
  tls?: false;
}

const REGISTRY_BIN = "/usr/bin/docker-registry";

/**
 * Picks a TCP port that was free on 127.0.0.1 by binding port 0 and closing the listener.
 * The port is released before it is returned, so on a shared network another process may
 * take it first: use it only where nothing else binds (a fresh network namespace).
 * {@linkcode startRegistry} does not use it: its registry binds port 0 itself.
 *
 * @example
 * ```ts
 * const port = freePort(); // for a server started inside a new network namespace
 * ```
 */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(
      `Command ${cmd} ${args.join(" ")} failed (${out.code}): ${
        new TextDecoder().decode(out.stderr).trim()
      }`,
    );
  }
  return new TextDecoder().decode(out.stdout);
}

/** htpasswd comes from apache2-utils, which the set-up installs; tests install nothing. */
async function ensureHtpasswdTool(): Promise<void> {
  try {
    await Deno.stat("/usr/bin/htpasswd");
  } catch {
    throw new Error("htpasswd is missing: run scripts/setup.sh (it installs apache2-utils)");
  }
}

/** Polls `url` until it answers with any HTTP status, or throws after `timeoutMs`. */
async function waitForHttp(url: string, timeoutMs: number, isAlive: () => boolean) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error(`Registry exited before answering ${url}`);
    try {
      const res = await fetch(url);
      await res.body?.cancel();
      return;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Registry did not answer ${url} within ${timeoutMs} ms: ${last}`);
}

/** The port in the registry's "listening on 127.0.0.1:PORT" log line, once it is there. */
const LISTENING = /msg="listening on 127\.0\.0\.1:(\d+)"/;

/**
 * Starts `docker-registry serve` on loopback with storage in a temporary directory, and
 * waits until `GET /v2/` answers. The registry binds port 0 and its log says which port the
 * kernel gave it, so no other process can take the port between choosing and binding it.
 *
 * @example
 * ```ts
 * const reg = await startRegistry({ htpasswd: { user: "alice", password: "secret" } });
 * const res = await fetch(`${reg.url}/v2/`); // 401 without credentials
 * await res.body?.cancel();
 * await reg.stop();
 * ```
 */
export async function startRegistry(opts: RegistryOptions = {}): Promise<RunningRegistry> {
  const dir = await Deno.makeTempDir({ prefix: "skiff-registry-" });
  const lines = [
    "version: 0.1",
    "log:",
    "  level: info", // the "listening on" line that names the port is an info line
    "  accesslog:",
    "    disabled: true",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${dir}/data`,
    "  delete:",
    "    enabled: true",
    "http:",
    "  addr: 127.0.0.1:0",
    // A distinct debug address is not needed; leave it unset.
  ];
  if (opts.htpasswd) {
    await ensureHtpasswdTool();
    const entry = await run("htpasswd", [
      "-bnB",
      opts.htpasswd.user,
      opts.htpasswd.password,
    ]);
    await Deno.writeTextFile(`${dir}/htpasswd`, entry.trim() + "\n");
    lines.push("auth:", "  htpasswd:", "    realm: skiff-test", `    path: ${dir}/htpasswd`);
  }
  await Deno.writeTextFile(`${dir}/config.yml`, lines.join("\n") + "\n");
  await Deno.mkdir(`${dir}/data`);

  const child = new Deno.Command(REGISTRY_BIN, {
    args: ["serve", `${dir}/config.yml`],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Keep the tail of the registry's output for error messages; never let the pipes fill up.
  // Until the port is known, the whole output is searched for the "listening on" line.
  let log = "";
  let port: number | undefined;
  let portFound: (port: number) => void = () => {};
  const portP = new Promise<number>((resolve) => (portFound = resolve));
  // One sink per pipe (a stream piped into is locked, so the two cannot share one).
  const keep = () => {
    const decoder = new TextDecoder();
    let mine = ""; // this pipe's output until the port is known (lines are not interleaved)
    return new WritableStream<Uint8Array>({
      write(chunk) {
        const text = decoder.decode(chunk, { stream: true });
        log += text;
        if (port === undefined) {
          mine += text;
          const m = LISTENING.exec(mine);
          if (m) portFound(port = Number(m[1]));
        }
        if (port !== undefined) {
          mine = "";
          log = log.slice(-16_384);
        }
      },
    });
  };
  const logDone = Promise.all([child.stdout.pipeTo(keep()), child.stderr.pipeTo(keep())])
    .catch(() => {});
  let alive = true;
  const statusP = child.status.then((s) => {
    alive = false;
    return s;
  });
  let host = "";
  let url = "";
  try {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const found = await Promise.race([
      portP,
      statusP.then(() => undefined),
      new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), 15_000))),
    ]);
    clearTimeout(timer);
    if (found === undefined) {
      throw new Error(
        alive
          ? "Registry did not log the port it listens on within 15000 ms"
          : "Registry exited before listening",
      );
    }
    host = `127.0.0.1:${found}`;
    url = `http://${host}`;
    await waitForHttp(`${url}/v2/`, 15_000, () => alive);
  } catch (e) {
    if (alive) child.kill("SIGKILL");
    await statusP;
    await logDone;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw new Error(`${(e as Error).message}\n${log.slice(-16_384)}`);
  }
  let stopped = false;
  return {
    host,
    url,
    dir,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (alive) {
        try {
          child.kill("SIGTERM");
        } catch { /* already gone */ }
      }
      const timer = setTimeout(() => {
        if (alive) {
          try {
            child.kill("SIGKILL");
          } catch { /* already gone */ }
        }
      }, 3000);
      await statusP;
      clearTimeout(timer);
      await logDone;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** Options for {@linkcode startFlakyProxy}. */
export interface FlakyOptions {
  /**
   * For blob downloads (`GET .../blobs/...`), send this many bytes of the body and then abort
   * the connection. Applies to the first `dropTimes` blob downloads (default: all).
   */
  dropAfterBytes?: number;
  /** How many blob downloads to cut short (default: unlimited). */
  dropTimes?: number;
  /**
   * For blob downloads, send this many bytes of the body and then stop sending (the connection
   * stays open) until the proxy stops; `stats.paused` counts the downloads held this way.
   */
  pauseAfterBytes?: number;
  /** Answer the first N matching requests with `failStatus` (503 Service Unavailable). */
  failFirstN?: number;
  /** Status code for the failed requests (default 503). */
  failStatus?: number;
  /** Only requests whose path matches count for `failFirstN` (default: every request). */
  failMatch?: RegExp;
}

/** A running proxy; `stats` counts what it did so tests can assert on it. */
export interface RunningProxy extends RunningRegistry {
  stats: { requests: number; failed: number; dropped: number; tampered: number; paused: number };
}

type Transform = (
  req: Request,
  res: Response,
  stats: RunningProxy["stats"],
) => Response | Promise<Response>;

function isBlobGet(req: Request): boolean {
  return req.method === "GET" && /\/v2\/.+\/blobs\/[a-z0-9]+:[a-f0-9]+$/.test(
    new URL(req.url).pathname,
  );
}

function startProxy(
  upstream: string,
  before: (req: Request, stats: RunningProxy["stats"]) => Response | undefined,
  transform: Transform,
): Promise<RunningProxy> {
  const up = upstream.startsWith("http") ? upstream : `http://${upstream}`;
  const stats = { requests: 0, failed: 0, dropped: 0, tampered: 0, paused: 0 };
  const ac = new AbortController();
  let host = "";
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: ac.signal,
    onListen: () => {},
  }, async (req) => {
    stats.requests++;
    const early = before(req, stats);
    if (early) return early;
    const inUrl = new URL(req.url);
    const target = `${up}${inUrl.pathname}${inUrl.search}`;
    const headers = new Headers(req.headers);
    headers.delete("host");
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const res = await fetch(target, {
      method: req.method,
      headers,
      body: hasBody ? req.body : undefined,
      redirect: "manual",
    });
    // Rewrite redirects and upload locations that point at the upstream to point at us.
    const outHeaders = new Headers(res.headers);
    const loc = outHeaders.get("location");
    if (loc && loc.startsWith(up)) {
      outHeaders.set("location", `http://${host}${loc.slice(up.length)}`);
    }
    outHeaders.delete("content-encoding");
    const rewritten = new Response(req.method === "HEAD" ? null : res.body, {
      status: res.status,
      statusText: res.statusText,
      headers: outHeaders,
    });
    return await transform(req, rewritten, stats);
  });
  const addr = server.addr as Deno.NetAddr;
  host = `127.0.0.1:${addr.port}`;
  let stopped = false;
  return Promise.resolve({
    host,
    url: `http://${host}`,
    dir: "",
    stats,
    async stop() {
      if (stopped) return;
      stopped = true;
      ac.abort();
      await server.finished.catch(() => {});
    },
  });
}

/**
 * Starts an HTTP proxy in front of `upstream` (`host:port` or URL) that can answer 503 to
 * the first requests and cut blob downloads short after a number of bytes.
 *
 * @example
 * ```ts
 * const reg = await startRegistry();
 * const proxy = await startFlakyProxy(reg.host, { failFirstN: 2 });
 * // pulling from proxy.host sees two 503s, then works
 * await proxy.stop();
 * await reg.stop();
 * ```
 */
export function startFlakyProxy(
  upstream: string,
  opts: FlakyOptions = {},
): Promise<RunningProxy> {
  let failsLeft = opts.failFirstN ?? 0;
  let dropsLeft = opts.dropTimes ?? Infinity;
  return startProxy(
    upstream,
    (req, stats) => {
      if (failsLeft <= 0) return undefined;
      if (opts.failMatch && !opts.failMatch.test(new URL(req.url).pathname)) return undefined;
      failsLeft--;
      stats.failed++;
      return new Response("flaky proxy: failing on purpose\n", {
        status: opts.failStatus ?? 503,
        headers: { "retry-after": "0" },
      });
    },
    (req, res, stats) => {
      if (opts.pauseAfterBytes !== undefined && isBlobGet(req) && res.status === 200 && res.body) {
        return pauseAfter(res, opts.pauseAfterBytes, stats);
      }
      if (
        opts.dropAfterBytes === undefined || !isBlobGet(req) || res.status !== 200 ||
        !res.body || dropsLeft <= 0
      ) {
        return res;
      }
      dropsLeft--;
      stats.dropped++;
      const limit = opts.dropAfterBytes;
      let sent = 0;
      const reader = res.body.getReader();
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const { done, value } = await reader.read();
          if (done) {
            controller.close();
            return;
          }
          if (sent + value.length >= limit) {
            const part = value.subarray(0, Math.max(0, limit - sent));
            sent += part.length;
            if (part.length) controller.enqueue(part);
            await reader.cancel().catch(() => {});
            // Ending the body early while Content-Length promises more makes the server
            // abort the connection, which is what a client sees when a download is cut.
            controller.close();
            return;
          }
          sent += value.length;
          controller.enqueue(value);
        },
        cancel() {
          reader.cancel().catch(() => {});
        },
      });
      // Keep Content-Length so the client expects the full body and sees a truncated one.
      return new Response(body, { status: res.status, headers: res.headers });
    },
  );
}

/** `res` with its body held after `limit` bytes: the rest is never sent. */
function pauseAfter(res: Response, limit: number, stats: RunningProxy["stats"]): Response {
  const reader = res.body!.getReader();
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent >= limit) {
        stats.paused++;
        await reader.cancel().catch(() => {});
        return new Promise<void>(() => {}); // hold the connection open, send nothing more
      }
      const { done, value } = await reader.read();
      if (done) {
        controller.close();
        return;
      }
      const part = value.subarray(0, Math.min(value.length, limit - sent));
      sent += part.length;
      controller.enqueue(part);
    },
    cancel() {
      reader.cancel().catch(() => {});
    },
  });
  return new Response(body, { status: res.status, headers: res.headers });
}

/** Options for {@linkcode startTamperProxy}. */
export interface TamperOptions {
  /** Byte offset in the blob to flip (default 0). */
  offset?: number;
  /** Only tamper with blobs whose digest is in this list (default: every blob). */
  digests?: string[];
}

/**
 * Starts an HTTP proxy in front of `upstream` that flips one byte (XOR 0xff) in every blob
 * response, so that clients must detect a digest mismatch.
 *
 * @example
 * ```ts
 * const proxy = await startTamperProxy(reg.host);
 * // pulling via proxy.host must fail with a digest error
 * await proxy.stop();
 * ```
 */
export function startTamperProxy(
  upstream: string,
  opts: TamperOptions = {},
): Promise<RunningProxy> {
  const offset = opts.offset ?? 0;
  return startProxy(upstream, () => undefined, (req, res, stats) => {
    if (!isBlobGet(req) || res.status !== 200 || !res.body) return res;
    const digest = new URL(req.url).pathname.split("/").pop() ?? "";
    if (opts.digests && !opts.digests.includes(digest)) return res;
    stats.tampered++;
    let pos = 0;
    const body = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          if (offset >= pos && offset < pos + chunk.length) {
            const copy = new Uint8Array(chunk);
            copy[offset - pos] ^= 0xff;
            chunk = copy;
          }
          pos += chunk.length;
          controller.enqueue(chunk);
        },
      }),
    );
    return new Response(body, { status: res.status, headers: res.headers });
  });
}

/** Alias kept for callers that use the brief's name. */
export const tamperProxy = startTamperProxy;
