import assert from "node:assert/strict";
import {
  isLoopbackHost,
  parseNextLink,
  RegistryClient,
  type RegistryClientOptions,
  registryHost,
} from "../../src/image/registry.ts";
import { sha256Digest } from "../../src/image/digest.ts";
import { DigestMismatchError, NotFoundError, UnavailableError } from "../../src/errors.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

interface Fake {
  host: string;
  url: string;
  log: string[];
  close(): Promise<void>;
}

function fake(handler: (req: Request, url: URL, fake: Fake) => Response | Promise<Response>): Fake {
  const ac = new AbortController();
  const f: Fake = { host: "", url: "", log: [], close: async () => {} };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} },
    async (req) => {
      const url = new URL(req.url);
      f.log.push(`${req.method} ${url.pathname}${url.search}`);
      return await handler(req, url, f);
    },
  );
  f.host = `127.0.0.1:${(server.addr as Deno.NetAddr).port}`;
  f.url = `http://${f.host}`;
  f.close = async () => {
    ac.abort();
    await server.finished;
  };
  return f;
}

const fast: RegistryClientOptions = { attempts: 3, retryDelayMs: 1, credentials: undefined };
function client(f: Fake, opts: RegistryClientOptions = {}) {
  return new RegistryClient(f.host, { ...fast, credentials: () => undefined, ...opts });
}

const manifestBytes = enc(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST }));

Deno.test("helpers: loopback hosts, docker.io host, Link header", () => {
  for (
    const h of ["localhost", "localhost:5000", "127.0.0.1:80", "127.1.2.3", "[::1]:5000", "::1"]
  ) {
    assert.ok(isLoopbackHost(h), h);
  }
  for (const h of ["quay.io", "10.0.0.1:5000", "localhost.example.com"]) {
    assert.ok(!isLoopbackHost(h), h);
  }
  assert.equal(registryHost("docker.io"), "registry-1.docker.io");
  assert.equal(registryHost("quay.io"), "quay.io");
  assert.equal(parseNextLink('</v2/_catalog?last=b&n=2>; rel="next"'), "/v2/_catalog?last=b&n=2");
  assert.equal(parseNextLink(null), undefined);
});

Deno.test("bearer token flow with a realm, token cached per scope", async () => {
  let tokenCalls = 0;
  const f = fake((req, url, f) => {
    if (url.pathname === "/token") {
      tokenCalls++;
      assert.equal(url.searchParams.get("service"), "fake");
      assert.deepEqual(url.searchParams.getAll("scope"), ["repository:lib/app:pull"]);
      assert.equal(req.headers.get("authorization"), "Basic " + btoa("alice:pw"));
      return Response.json({ token: "T1", expires_in: 300 });
    }
    if (req.headers.get("authorization") !== "Bearer T1") {
      return new Response(
        JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }),
        {
          status: 401,
          headers: {
            "www-authenticate":
              `Bearer realm="${f.url}/token",service="fake",scope="repository:lib/app:pull"`,
          },
        },
      );
    }
    return new Response(manifestBytes, { headers: { "content-type": OCI_MANIFEST } });
  });
  try {
    const c = client(f, { credentials: { username: "alice", password: "pw" } });
    const m = await c.getManifest("lib/app", "v1");
    assert.equal(m.mediaType, OCI_MANIFEST);
    assert.equal(m.digest, await sha256Digest(manifestBytes));
    await c.getManifest("lib/app", "v2");
    assert.equal(tokenCalls, 1);
    // Exactly one 401 before the token was known.
    assert.equal(f.log.filter((l) => l.startsWith("GET /v2/lib/app")).length, 3);
  } finally {
    await f.close();
  }
});

Deno.test("bearer token refused → unauthorized", async () => {
  const f = fake((_req, url, f) => {
    if (url.pathname === "/token") return new Response("no", { status: 401 });
    return new Response(null, {
      status: 401,
      headers: { "www-authenticate": `Bearer realm="${f.url}/token",service="fake"` },
    });
  });
  try {
    await assert.rejects(
      client(f, { credentials: { username: "a", password: "b" } }).getManifest("x", "latest"),
      (e) =>
        e instanceof UnavailableError &&
        e.message === `unauthorized: incorrect username or password: ${f.host}`,
    );
    await assert.rejects(
      client(f).getManifest("x", "latest"),
      (e) =>
        e instanceof UnavailableError &&
        e.message.startsWith("unauthorized: authentication required"),
    );
  } finally {
    await f.close();
  }
});

Deno.test("basic auth", async () => {
  const f = fake((req) => {
    if (req.headers.get("authorization") !== "Basic " + btoa("bob:secret")) {
      return new Response(
        JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }),
        { status: 401, headers: { "www-authenticate": 'Basic realm="registry"' } },
      );
    }
    return Response.json({ name: "x", tags: ["a", "b"] });
  });
  try {
    const ok = client(f, { credentials: { username: "bob", password: "secret" } });
    assert.deepEqual(await ok.tags("x"), ["a", "b"]);
    assert.deepEqual(await ok.tags("x"), ["a", "b"]);
    // Basic is sent up front once learned: 1 challenge + 2 successes.
    assert.equal(f.log.length, 3);
    await assert.rejects(
      client(f).tags("x"),
      (e) =>
        e instanceof UnavailableError &&
        e.message === `unauthorized: authentication required: ${f.host}/x`,
    );
    await assert.rejects(
      client(f, { credentials: { username: "bob", password: "wrong" } }).ping(),
      (e) => e instanceof UnavailableError && e.message.startsWith("unauthorized"),
    );
  } finally {
    await f.close();
  }
});

Deno.test("5xx then success is retried; persistent 5xx fails", async () => {
  let n = 0;
  const f = fake((_req, url) => {
    if (url.pathname.includes("always")) return new Response("down", { status: 503 });
    if (++n <= 2) return new Response("busy", { status: n === 1 ? 503 : 429 });
    return Response.json({ repositories: ["a"] });
  });
  try {
    assert.deepEqual(await client(f).catalog(), ["a"]);
    assert.equal(n, 3);
    await assert.rejects(
      client(f).getManifest("always", "latest"),
      (e) => e instanceof UnavailableError && e.message.includes(`${f.host}/always:latest`),
    );
    assert.equal(f.log.filter((l) => l.includes("always")).length, 3);
  } finally {
    await f.close();
  }
});

Deno.test("connection refused → UnavailableError after retries", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  await assert.rejects(
    new RegistryClient(`127.0.0.1:${port}`, fast).ping(),
    (e) =>
      e instanceof UnavailableError &&
      e.message.startsWith(`cannot reach registry 127.0.0.1:${port}`),
  );
});

Deno.test("manifest unknown, by-digest mismatch, blob unknown", async () => {
  const wrong = "sha256:" + "0".repeat(64);
  const f = fake((_req, url) => {
    if (url.pathname.endsWith("/manifests/latest")) {
      return Response.json(
        { errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown" }] },
        {
          status: 404,
        },
      );
    }
    if (url.pathname.includes("/manifests/")) {
      return new Response(manifestBytes, { headers: { "content-type": OCI_MANIFEST } });
    }
    return Response.json({
      errors: [{ code: "BLOB_UNKNOWN", message: "blob unknown to registry" }],
    }, {
      status: 404,
    });
  });
  try {
    const c = client(f);
    await assert.rejects(
      c.getManifest("nope", "latest"),
      (e) => e instanceof NotFoundError && e.message === `manifest unknown: ${f.host}/nope:latest`,
    );
    await assert.rejects(
      c.getManifest("x", wrong),
      (e) => e instanceof DigestMismatchError && e.message.includes(wrong),
    );
    const good = await sha256Digest(manifestBytes);
    assert.equal((await c.getManifest("x", good)).digest, good);
    await assert.rejects(
      c.getBlob("x", wrong),
      (e) => e instanceof NotFoundError && e.message === `blob unknown: ${f.host}/x@${wrong}`,
    );
    assert.equal(await c.blobExists("x", wrong), false);
    assert.equal(await c.headManifest("x", "latest"), undefined);
    assert.equal((await c.headManifest("x", good))?.mediaType, OCI_MANIFEST);
  } finally {
    await f.close();
  }
});

Deno.test("blob download: dropped connection and digest mismatch", async () => {
  const content = new Uint8Array(256 * 1024).fill(7);
  const digest = await sha256Digest(content);
  const f = fake((_req, url) => {
    if (url.pathname.startsWith("/v2/drop/")) {
      let sent = false;
      const body = new ReadableStream<Uint8Array>({
        async pull(c) {
          if (!sent) {
            sent = true;
            c.enqueue(content.subarray(0, 1000));
            await new Promise((r) => setTimeout(r, 20));
            return;
          }
          c.error(new Error("boom"));
        },
      });
      return new Response(body, { headers: { "content-length": String(content.length) } });
    }
    if (url.pathname.startsWith("/v2/bad/")) {
      const copy = content.slice();
      copy[5] ^= 1;
      return new Response(copy);
    }
    return new Response(content);
  });
  try {
    const c = client(f);
    const ok = await c.getVerifiedBlob("good", digest, content.length);
    assert.equal((await new Response(ok).arrayBuffer()).byteLength, content.length);
    assert.deepEqual(await c.getBlobBytes("good", digest), content);
    const dropped = await c.getBlob("drop", digest);
    assert.equal(dropped.size, content.length);
    await assert.rejects(
      new Response(dropped.stream).arrayBuffer(),
      (e) =>
        e instanceof UnavailableError &&
        e.message.includes(`reading blob ${f.host}/drop@${digest}`),
    );
    const bad = await c.getVerifiedBlob("bad", digest);
    await assert.rejects(
      new Response(bad).arrayBuffer(),
      (e) => e instanceof DigestMismatchError && e.message.includes(digest),
    );
  } finally {
    await f.close();
  }
});

Deno.test("uploads: monolithic, streamed, mount and manifest put", async () => {
  const stored = new Map<string, Uint8Array>();
  const sessions = new Map<string, Uint8Array[]>();
  let sid = 0;
  const f = fake(async (req, url) => {
    const p = url.pathname;
    if (req.method === "POST" && p.endsWith("/blobs/uploads/")) {
      const mount = url.searchParams.get("mount");
      if (mount && stored.has(mount)) return new Response(null, { status: 201 });
      const id = String(++sid);
      sessions.set(id, []);
      return new Response(null, {
        status: 202,
        headers: { location: `/v2/upload/${id}?_state=abc` },
      });
    }
    if (p.startsWith("/v2/upload/")) {
      const id = p.split("/").pop()!;
      const parts = sessions.get(id);
      if (!parts) return new Response(null, { status: 404 });
      if (req.method === "DELETE") {
        sessions.delete(id);
        return new Response(null, { status: 204 });
      }
      const body = new Uint8Array(await req.arrayBuffer());
      if (body.length) parts.push(body);
      if (req.method === "PATCH") {
        return new Response(null, {
          status: 202,
          headers: { location: `/v2/upload/${id}?_state=def` },
        });
      }
      if (req.method === "PUT") {
        assert.ok(url.searchParams.has("_state"));
        const all = new Uint8Array(await new Blob(parts as BlobPart[]).arrayBuffer());
        const digest = url.searchParams.get("digest")!;
        if ((await sha256Digest(all)) !== digest) {
          return Response.json({
            errors: [{ code: "DIGEST_INVALID", message: "digest did not match" }],
          }, {
            status: 400,
          });
        }
        stored.set(digest, all);
        return new Response(null, { status: 201 });
      }
    }
    if (req.method === "PUT" && p.includes("/manifests/")) {
      assert.equal(req.headers.get("content-type"), OCI_MANIFEST);
      stored.set(p, new Uint8Array(await req.arrayBuffer()));
      return new Response(null, { status: 201 });
    }
    return new Response(null, { status: 404 });
  });
  try {
    const c = client(f);
    const a = enc("hello blob");
    const da = await sha256Digest(a);
    await c.uploadBlob("me/app", da, a.length, a);
    assert.deepEqual(stored.get(da), a);
    const b = enc("streamed ".repeat(10000));
    const db = await sha256Digest(b);
    await c.uploadBlob(
      "me/app",
      db,
      b.length,
      ReadableStream.from([b.subarray(0, 100), b.subarray(100)]),
    );
    assert.deepEqual(stored.get(db), b);
    await assert.rejects(
      c.uploadBlob("me/app", db, b.length, a),
      (e) => e instanceof Error && e.message.includes("size is"),
    );
    await assert.rejects(
      c.uploadBlob("me/app", db, b.length, ReadableStream.from([a])),
      (e) => e instanceof Error && e.message.startsWith("digest invalid: digest did not match"),
    );
    assert.equal(await c.mountBlob("other/app", da, "me/app"), true);
    const cc = enc("cc");
    const dc = await sha256Digest(cc);
    assert.equal(await c.mountBlob("other/app", dc, "me/app"), false);
    assert.ok(f.log.some((l) => l.startsWith("DELETE /v2/upload/")));
    assert.equal(
      await c.mountBlob("other/app", dc, "me/app", { size: cc.length, data: cc }),
      false,
    );
    assert.deepEqual(stored.get(dc), cc);
    const md = await c.putManifest("me/app", "v1", manifestBytes, OCI_MANIFEST);
    assert.equal(md, await sha256Digest(manifestBytes));
    assert.deepEqual(stored.get("/v2/me/app/manifests/v1"), manifestBytes);
    await assert.rejects(
      c.putManifest("me/app", "sha256:" + "1".repeat(64), manifestBytes, OCI_MANIFEST),
      DigestMismatchError,
    );
  } finally {
    await f.close();
  }
});

Deno.test("catalog and tags follow pagination", async () => {
  const f = fake((_req, url) => {
    if (url.pathname === "/v2/_catalog") {
      if (!url.searchParams.get("last")) {
        return Response.json({ repositories: ["a", "b"] }, {
          headers: { link: '</v2/_catalog?last=b&n=2>; rel="next"' },
        });
      }
      return Response.json({ repositories: ["c"] });
    }
    return Response.json({ name: "a", tags: null });
  });
  try {
    assert.deepEqual(await client(f).catalog(), ["a", "b", "c"]);
    assert.deepEqual(await client(f).tags("a"), []);
  } finally {
    await f.close();
  }
});

Deno.test("timeout waiting for headers", async () => {
  const f = fake(async () => {
    await new Promise((r) => setTimeout(r, 300));
    return new Response("late");
  });
  try {
    await assert.rejects(
      client(f, { timeoutMs: 50, attempts: 1 }).ping(),
      (e) => e instanceof UnavailableError && e.message.endsWith("timed out"),
    );
  } finally {
    await f.close();
  }
});

Deno.test("endpoint scheme: https by default, http for loopback, fallback when tlsVerify is off", async () => {
  assert.equal(await new RegistryClient("docker.io").baseUrl(), "https://registry-1.docker.io");
  assert.equal(await new RegistryClient("quay.io").baseUrl(), "https://quay.io");
  assert.equal(await new RegistryClient("localhost:5000").baseUrl(), "http://localhost:5000");
  assert.equal(await new RegistryClient("[::1]:5000").baseUrl(), "http://[::1]:5000");
  assert.equal(
    await new RegistryClient("r.example", { scheme: "http" }).baseUrl(),
    "http://r.example",
  );
  // https cannot connect (nothing resolves under .invalid): plain http is used.
  assert.equal(
    await new RegistryClient("registry.invalid:5000", { tlsVerify: false, timeoutMs: 2000 })
      .baseUrl(),
    "http://registry.invalid:5000",
  );
});
