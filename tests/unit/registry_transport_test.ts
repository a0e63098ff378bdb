/**
 * The registry transport's decisions (retry or not, scheme, timeout, what a
 * network failure is called), with a fake fetch instead of a server.
 */
import assert from "node:assert/strict";
import {
  isRetryableStatus,
  networkErrorText,
  readLimited,
  RegistryTransport,
  type RequestAuth,
  retryDelay,
  type SendInit,
  type TransportOptions,
} from "../../src/image/registry_transport.ts";
import { InvalidArgumentError, UnavailableError } from "../../src/errors.ts";
import { connectError, fakeFetch, type FakeHandler } from "../helpers/fake_fetch.ts";

const URL_V2 = "https://r.example/v2/";

/** A transport over a fake fetch whose waits between attempts are recorded, not slept. */
function transport(handler: FakeHandler, opts: TransportOptions = {}) {
  const f = fakeFetch(handler);
  const slept: number[] = [];
  const sleep = (ms: number) => {
    slept.push(ms);
    return Promise.resolve();
  };
  const t = new RegistryTransport("r.example", {
    retryDelayMs: 100,
    sleep,
    ...opts,
    fetch: f.fetch,
  });
  return { t, f, slept };
}

const get: SendInit = {
  method: "GET",
  unreachable: (e) => new UnavailableError(`cannot reach r.example: ${networkErrorText(e)}`),
};

Deno.test("retry policy: 429 and 5xx are retryable, other statuses are not", () => {
  for (const s of [429, 500, 502, 503, 504]) assert.ok(isRetryableStatus(s), String(s));
  for (const s of [200, 201, 202, 400, 401, 403, 404, 405]) {
    assert.ok(!isRetryableStatus(s), String(s));
  }
});

Deno.test("retry delay doubles per attempt; Retry-After overrides it, capped at 10 s", () => {
  assert.deepEqual([1, 2, 3, 4].map((a) => retryDelay(a, 250)), [250, 500, 1000, 2000]);
  const after = (v: string) => new Response(null, { status: 503, headers: { "retry-after": v } });
  assert.equal(retryDelay(1, 250, after("2")), 2000);
  assert.equal(retryDelay(1, 250, after("0")), 0);
  assert.equal(retryDelay(1, 250, after("600")), 10_000);
  assert.equal(retryDelay(1, 250, after("-3")), 0);
  // An HTTP date is not understood: the backoff applies.
  assert.equal(retryDelay(2, 250, after("Wed, 21 Oct 2026 07:28:00 GMT")), 500);
  assert.equal(retryDelay(2, 250, new Response(null, { status: 503 })), 500);
});

Deno.test("503 and 429 are retried until a success", async () => {
  const { t, f, slept } = transport((_c, n) =>
    n === 1
      ? new Response("busy", { status: 503 })
      : n === 2
      ? new Response("slow down", { status: 429, headers: { "retry-after": "0" } })
      : Response.json({ ok: true })
  );
  const res = await t.send(URL_V2, get);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { ok: true });
  assert.equal(f.calls.length, 3);
  assert.deepEqual(slept, [100, 0]);
});

Deno.test("Retry-After is waited for, unless the caller asks for plain backoff", async () => {
  const handler: FakeHandler = (_c, n) =>
    n < 3
      ? new Response(null, { status: 503, headers: { "retry-after": "3" } })
      : new Response("ok");
  const honoured = transport(handler);
  assert.equal((await honoured.t.send(URL_V2, get)).status, 200);
  assert.deepEqual(honoured.slept, [3000, 3000]);
  const plain = transport(handler);
  assert.equal((await plain.t.send(URL_V2, { ...get, retryAfter: false })).status, 200);
  assert.deepEqual(plain.slept, [100, 200]);
});

Deno.test("persistent 5xx: the last response is returned after `attempts` tries", async () => {
  const { t, f, slept } = transport(() => new Response("down", { status: 502 }), { attempts: 4 });
  const res = await t.send(URL_V2, get);
  assert.equal(res.status, 502);
  assert.equal(await res.text(), "down");
  assert.equal(f.calls.length, 4);
  assert.deepEqual(slept, [100, 200, 400]);
});

Deno.test("4xx other than 401 is returned at once", async () => {
  const { t, f } = transport(() => new Response("nope", { status: 404 }));
  assert.equal((await t.send(URL_V2, get)).status, 404);
  assert.equal(f.calls.length, 1);
});

Deno.test("network errors are retried, then reported through `unreachable` with the reason", async () => {
  const { t, f, slept } = transport(() => {
    throw connectError();
  });
  await assert.rejects(
    t.send(URL_V2, get),
    (e) =>
      e instanceof UnavailableError &&
      e.message === "cannot reach r.example: tcp connect error: Connection refused",
  );
  assert.equal(f.calls.length, 3);
  assert.deepEqual(slept, [100, 200]);
  // A failure then a success: the success is returned.
  const again = transport((_c, n) => {
    if (n === 1) throw connectError();
    return new Response("fine");
  });
  assert.equal(await (await again.t.send(URL_V2, get)).text(), "fine");
  assert.equal(again.f.calls.length, 2);
});

Deno.test("a streamed body is sent once: no retry after 503 or a network error", async () => {
  const stream = () => ReadableStream.from([new Uint8Array([1, 2, 3])]);
  const busy = transport(() => new Response(null, { status: 503 }));
  const res = await busy.t.send(URL_V2, { ...get, method: "PATCH", body: stream() });
  assert.equal(res.status, 503);
  assert.equal(busy.f.calls.length, 1);
  const down = transport(() => {
    throw connectError();
  });
  await assert.rejects(
    down.t.send(URL_V2, { ...get, method: "PATCH", body: stream() }),
    UnavailableError,
  );
  assert.equal(down.f.calls.length, 1);
  // Bytes can be sent again.
  const bytes = transport((_c, n) => new Response(null, { status: n < 3 ? 500 : 201 }));
  const put = await bytes.t.send(URL_V2, { ...get, method: "PUT", body: new Uint8Array([1]) });
  assert.equal(put.status, 201);
  assert.equal(bytes.f.calls.length, 3);
});

/** An authorizer that learns a token from the first 401 it is shown. */
function learningAuth(learns: boolean) {
  const seen: { sentAuth: boolean; challenge: string | null }[] = [];
  let token: string | undefined;
  const auth: RequestAuth = {
    header: () => Promise.resolve(token ? `Bearer ${token}` : undefined),
    refused: (res, sentAuth) => {
      seen.push({ sentAuth, challenge: res.headers.get("www-authenticate") });
      if (learns) token = "T";
      return Promise.resolve(learns);
    },
  };
  return { auth, seen };
}

Deno.test("401: the authorizer is asked once and the request repeated with its header", async () => {
  const { auth, seen } = learningAuth(true);
  const { t, f } = transport((c) =>
    c.headers.get("authorization") === "Bearer T" ? new Response("in") : new Response(null, {
      status: 401,
      headers: { "www-authenticate": 'Bearer realm="https://auth.example/token"' },
    })
  );
  const res = await t.send(URL_V2, { ...get, auth });
  assert.equal(await res.text(), "in");
  assert.deepEqual(seen, [{
    sentAuth: false,
    challenge: 'Bearer realm="https://auth.example/token"',
  }]);
  assert.deepEqual(f.calls.map((c) => c.headers.get("authorization")), [null, "Bearer T"]);
});

Deno.test("401 then retries: the re-authenticated request does not use up an attempt", async () => {
  const { auth } = learningAuth(true);
  // 503, 401 (learn), 503, 200: with 3 attempts all four requests are made.
  const { t, f } = transport((c, n) => {
    if (n === 1 || n === 3) return new Response(null, { status: 503 });
    if (!c.headers.has("authorization")) {
      return new Response(null, { status: 401, headers: { "www-authenticate": "Bearer realm=x" } });
    }
    return new Response("ok");
  });
  assert.equal((await t.send(URL_V2, { ...get, auth })).status, 200);
  assert.equal(f.calls.length, 4);
});

Deno.test("401 the authorizer cannot answer is returned, without its body, challenge kept", async () => {
  const { auth, seen } = learningAuth(false);
  const { t, f } = transport(() =>
    new Response("secret body", {
      status: 401,
      headers: { "www-authenticate": 'Basic realm="r"' },
    })
  );
  const res = await t.send(URL_V2, { ...get, auth });
  assert.equal(res.status, 401);
  assert.equal(res.body, null);
  assert.equal(res.headers.get("www-authenticate"), 'Basic realm="r"');
  assert.equal(seen.length, 1);
  assert.equal(f.calls.length, 1);
});

Deno.test("a second 401 is returned as is: the authorizer is not asked twice", async () => {
  const { auth, seen } = learningAuth(true);
  const { t, f } = transport(() =>
    new Response("denied", { status: 401, headers: { "www-authenticate": "Bearer realm=x" } })
  );
  const res = await t.send(URL_V2, { ...get, auth });
  assert.equal(res.status, 401);
  assert.equal(await res.text(), "denied");
  assert.equal(seen.length, 1);
  assert.deepEqual(seen[0].sentAuth, false);
  assert.equal(f.calls.length, 2);
});

Deno.test("401 without an authorizer, or with a streamed body, is returned at once", async () => {
  const challenge = () =>
    new Response(null, { status: 401, headers: { "www-authenticate": "Bearer realm=x" } });
  const plain = transport(challenge);
  assert.equal((await plain.t.send(URL_V2, get)).status, 401);
  assert.equal(plain.f.calls.length, 1);
  const { auth, seen } = learningAuth(true);
  const streamed = transport(challenge);
  const res = await streamed.t.send(URL_V2, {
    ...get,
    method: "PATCH",
    body: ReadableStream.from([new Uint8Array([1])]),
    auth,
  });
  assert.equal(res.status, 401);
  assert.equal(seen.length, 0);
});

Deno.test("headers: User-Agent (default skiff), the caller's headers, the method", async () => {
  const { t, f } = transport(() => new Response("ok"));
  await t.send(URL_V2, { ...get, method: "HEAD", headers: { accept: "a/b" } });
  assert.equal(f.calls[0].method, "HEAD");
  assert.equal(f.calls[0].headers.get("user-agent"), "skiff");
  assert.equal(f.calls[0].headers.get("accept"), "a/b");
  const custom = transport(() => new Response("ok"), { userAgent: "skiff/9" });
  await custom.t.send(URL_V2, get);
  assert.equal(custom.f.calls[0].headers.get("user-agent"), "skiff/9");
});

Deno.test("no headers within the timeout: the attempt is aborted as 'timed out'", async () => {
  const { t, f } = transport(
    (c) =>
      new Promise<Response>((_, reject) => {
        c.signal!.addEventListener(
          "abort",
          () => reject(new DOMException("aborted", "AbortError")),
        );
      }),
    { timeoutMs: 20, attempts: 2 },
  );
  await assert.rejects(
    t.send(URL_V2, get),
    (e) => e instanceof UnavailableError && e.message === "cannot reach r.example: timed out",
  );
  assert.equal(f.calls.length, 2);
});

Deno.test("scheme: forced, loopback is http, else https; tlsVerify=false falls back to http once", async () => {
  const none = () => {
    throw new Error("no request expected");
  };
  assert.equal(await transport(none).t.baseUrl(), "https://r.example");
  assert.equal(
    await new RegistryTransport("127.0.0.1:5000", { fetch: none }).baseUrl(),
    "http://127.0.0.1:5000",
  );
  assert.equal(await transport(none, { scheme: "http" }).t.baseUrl(), "http://r.example");
  assert.equal(
    await transport(none, { scheme: "https", tlsVerify: false }).t.baseUrl(),
    "https://r.example",
  );
  // TLS refused: plain http, decided once.
  const plain = transport(() => {
    throw connectError("invalid peer certificate: UnknownIssuer");
  }, { tlsVerify: false });
  assert.equal(await plain.t.baseUrl(), "http://r.example");
  assert.equal(await plain.t.baseUrl(), "http://r.example");
  assert.deepEqual(plain.f.log(), ["GET /v2/"]);
  assert.equal(plain.f.calls[0].url.protocol, "https:");
  // https answers (even 401): https is kept.
  const tls = transport(() => new Response(null, { status: 401 }), { tlsVerify: false });
  assert.equal(await tls.t.baseUrl(), "https://r.example");
});

Deno.test("networkErrorText: the reason behind 'fetch failed', one line", () => {
  assert.equal(
    networkErrorText(connectError("dns error: no such host")),
    "dns error: no such host",
  );
  assert.equal(networkErrorText(new DOMException("x", "TimeoutError")), "timed out");
  assert.equal(networkErrorText(new Error("first\nsecond")), "first");
  assert.equal(networkErrorText(new TypeError("fetch failed")), "fetch failed");
  assert.equal(networkErrorText("plain"), "plain");
});

Deno.test("guardBody: a failing body errors with the label and the reason", async () => {
  const { t } = transport(() => new Response("unused"));
  let sent = false;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      if (!sent) {
        sent = true;
        c.enqueue(new Uint8Array([1, 2]));
      } else c.error(connectError("connection reset"));
    },
  });
  await assert.rejects(
    new Response(t.guardBody(body, "reading blob r.example/x@sha256:ab")).arrayBuffer(),
    (e) =>
      e instanceof UnavailableError &&
      e.message === "reading blob r.example/x@sha256:ab: connection reset",
  );
  const stalled = transport(() => new Response("unused"), { timeoutMs: 20 }).t;
  await assert.rejects(
    new Response(stalled.guardBody(new ReadableStream<Uint8Array>({ pull: () => {} }), "b"))
      .arrayBuffer(),
    (e) => e instanceof UnavailableError && e.message === "b: timed out",
  );
});

Deno.test("readLimited: whole body up to the limit, InvalidArgumentError past it", async () => {
  const body = () => new Response(ReadableStream.from([new Uint8Array(3), new Uint8Array(4)]));
  assert.equal((await readLimited(body(), 7, "x")).byteLength, 7);
  await assert.rejects(
    readLimited(body(), 6, "r.example/app:v1"),
    (e) =>
      e instanceof InvalidArgumentError && e.message === "r.example/app:v1: larger than 6 bytes",
  );
});
