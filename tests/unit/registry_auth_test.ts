/**
 * The registry authorizer (bearer challenges, token requests and their
 * cache, basic auth) over a transport whose fetch is a fake: no server.
 */
import assert from "node:assert/strict";
import {
  type AuthorizerOptions,
  basicAuthHeader,
  pullScope,
  pushScope,
  RegistryAuthorizer,
} from "../../src/image/registry_auth.ts";
import { encodeCredentials } from "../../src/image/registry_credentials.ts";
import { RegistryTransport } from "../../src/image/registry_transport.ts";
import { RegistryClient } from "../../src/image/registry.ts";
import { InvalidArgumentError, UnavailableError } from "../../src/errors.ts";
import { connectError, fakeFetch, type FakeHandler } from "../helpers/fake_fetch.ts";

const REALM = "https://auth.example/token";
const ALICE = { username: "alice", password: "pw" };

/** A 401 as the registry sends it. */
function challenge(header: string): Response {
  return new Response(null, { status: 401, headers: { "www-authenticate": header } });
}
const bearer = (scope?: string) =>
  challenge(`Bearer realm="${REALM}",service="reg"${scope ? `,scope="${scope}"` : ""}`);

/** An authorizer for `reg.example` whose token service is `tokens`. */
function authorizer(tokens: FakeHandler, opts: AuthorizerOptions = {}) {
  const f = fakeFetch(tokens);
  const slept: number[] = [];
  const sleep = (ms: number) => {
    slept.push(ms);
    return Promise.resolve();
  };
  const t = new RegistryTransport("reg.example", { retryDelayMs: 10, sleep, fetch: f.fetch });
  return { a: new RegistryAuthorizer("reg.example", t, opts), f, slept };
}

/** A token service handing out T1, T2, ... valid for `ttl` seconds. */
const counting = (ttl?: number): FakeHandler => (_c, n) =>
  Response.json(ttl === undefined ? { token: `T${n}` } : { token: `T${n}`, expires_in: ttl });

Deno.test("scopes and the basic header", () => {
  assert.equal(pullScope("lib/app"), "repository:lib/app:pull");
  assert.equal(pushScope("lib/app"), "repository:lib/app:pull,push");
  assert.equal(basicAuthHeader({ username: "u", password: "p" }), "Basic dTpw");
  // UTF-8 before base64, as Docker does.
  assert.equal(encodeCredentials({ username: "ü", password: "p:w" }), btoa("\xc3\xbc:p:w"));
});

Deno.test("nothing is sent before the registry challenges", async () => {
  const { a, f } = authorizer(counting());
  assert.equal(await a.authorization([pullScope("app")]), undefined);
  assert.equal(f.calls.length, 0);
});

Deno.test("bearer: token from the realm with service, scopes and basic credentials", async () => {
  const { a, f } = authorizer(counting(300), { credentials: ALICE });
  const scopes = [pullScope("app")];
  assert.equal(await a.unauthorized(bearer(), scopes, false), true);
  assert.equal(f.calls.length, 1);
  const call = f.calls[0];
  assert.equal(`${call.url.origin}${call.url.pathname}`, REALM);
  assert.equal(call.url.searchParams.get("service"), "reg");
  assert.deepEqual(call.url.searchParams.getAll("scope"), ["repository:app:pull"]);
  assert.equal(call.headers.get("authorization"), "Basic " + btoa("alice:pw"));
  // Cached for that scope set, in any order; another set gets its own token.
  assert.equal(await a.authorization(scopes), "Bearer T1");
  assert.equal(await a.authorization(scopes), "Bearer T1");
  const two = [pushScope("b"), pullScope("a")];
  assert.equal(await a.authorization(two), "Bearer T2");
  assert.equal(await a.authorization([...two].reverse()), "Bearer T2");
  assert.deepEqual(f.calls[1].url.searchParams.getAll("scope"), two);
  assert.equal(f.calls.length, 2);
});

Deno.test("bearer without credentials: anonymous token request", async () => {
  const { a, f } = authorizer(counting(), { credentials: () => undefined });
  assert.equal(await a.unauthorized(bearer(), [pullScope("app")], false), true);
  assert.equal(f.calls[0].headers.get("authorization"), null);
  assert.equal(await a.authorization([pullScope("app")]), "Bearer T1");
});

Deno.test("the challenge's own scope is added to the token request and cached under ours", async () => {
  const { a, f } = authorizer(counting(300), { credentials: ALICE });
  const ours = [pullScope("me/app")];
  assert.equal(await a.unauthorized(bearer(`${pullScope("lib/base")}`), ours, false), true);
  assert.deepEqual(f.calls[0].url.searchParams.getAll("scope"), [
    "repository:me/app:pull",
    "repository:lib/base:pull",
  ]);
  assert.equal(await a.authorization(ours), "Bearer T1");
  assert.equal(f.calls.length, 1);
});

Deno.test("tokens expire: expires_in less 5 s, 60 s by default, at least 1 s", async () => {
  let now = 0;
  const clock = { now: () => now, credentials: ALICE };
  const scopes = [pullScope("app")];
  const ttl = authorizer(counting(30), clock);
  await ttl.a.unauthorized(bearer(), scopes, false);
  now = 24_999;
  assert.equal(await ttl.a.authorization(scopes), "Bearer T1");
  now = 25_000;
  assert.equal(await ttl.a.authorization(scopes), "Bearer T2");

  now = 0;
  const dflt = authorizer(counting(), clock);
  await dflt.a.unauthorized(bearer(), scopes, false);
  now = 54_999;
  assert.equal(await dflt.a.authorization(scopes), "Bearer T1");
  now = 55_000;
  assert.equal(await dflt.a.authorization(scopes), "Bearer T2");

  now = 0;
  const short = authorizer(counting(2), clock);
  await short.a.unauthorized(bearer(), scopes, false);
  now = 999;
  assert.equal(await short.a.authorization(scopes), "Bearer T1");
  now = 1000;
  assert.equal(await short.a.authorization(scopes), "Bearer T2");
});

Deno.test("a refused token is dropped and a fresh one fetched", async () => {
  const { a, f } = authorizer(counting(300), { credentials: ALICE });
  const scopes = [pullScope("app")];
  await a.unauthorized(bearer(), scopes, false);
  assert.equal(await a.authorization(scopes), "Bearer T1");
  assert.equal(await a.unauthorized(bearer(), scopes, true), true);
  assert.equal(await a.authorization(scopes), "Bearer T2");
  assert.equal(f.calls.length, 2);
});

Deno.test("a refused token is not reused when getting a fresh one fails", async () => {
  // T1, then three 503s (the refetch fails), then T5.
  const { a } = authorizer(
    (_c, n) =>
      n >= 2 && n <= 4
        ? new Response(null, { status: 503 })
        : Response.json({ token: `T${n}`, expires_in: 300 }),
    { credentials: ALICE },
  );
  const scopes = [pullScope("app")];
  await a.unauthorized(bearer(), scopes, false);
  assert.equal(await a.authorization(scopes), "Bearer T1");
  await assert.rejects(a.unauthorized(bearer(), scopes, true), UnavailableError);
  assert.equal(await a.authorization(scopes), "Bearer T5");
});

Deno.test("access_token is accepted in place of token", async () => {
  const { a } = authorizer(() => Response.json({ access_token: "AT", expires_in: 300 }));
  await a.unauthorized(bearer(), [], false);
  assert.equal(await a.authorization([]), "Bearer AT");
});

Deno.test("token service refusals: wrong password or authentication required", async () => {
  for (const status of [401, 403]) {
    const withCreds = authorizer(() => new Response("no", { status }), { credentials: ALICE });
    await assert.rejects(
      withCreds.a.unauthorized(bearer(), [pullScope("app")], false),
      (e) =>
        e instanceof UnavailableError &&
        e.message === "unauthorized: incorrect username or password: reg.example",
    );
    const anonymous = authorizer(() => new Response("no", { status }), {
      credentials: () => undefined,
    });
    await assert.rejects(
      anonymous.a.unauthorized(bearer(), [pullScope("app")], false),
      (e) =>
        e instanceof UnavailableError &&
        e.message === "unauthorized: authentication required: reg.example",
    );
  }
});

Deno.test("token service failures are retried, then named", async () => {
  const busy = authorizer(() => new Response("down", { status: 503 }), { credentials: ALICE });
  await assert.rejects(
    busy.a.unauthorized(bearer(), [], false),
    (e) => e instanceof UnavailableError && e.message === "503: token for reg.example",
  );
  assert.equal(busy.f.calls.length, 3);
  // The token service's Retry-After is not waited for: plain backoff.
  const later = authorizer(
    (_c, n) =>
      n < 3
        ? new Response(null, { status: 429, headers: { "retry-after": "9" } })
        : Response.json({ token: "L" }),
    { credentials: ALICE },
  );
  assert.equal(await later.a.unauthorized(bearer(), [], false), true);
  assert.deepEqual(later.slept, [10, 20]);
  const flaky = authorizer(
    (_c, n) => n < 3 ? new Response(null, { status: 500 }) : Response.json({ token: "OK" }),
    { credentials: ALICE },
  );
  assert.equal(await flaky.a.unauthorized(bearer(), [], false), true);
  assert.equal(await flaky.a.authorization([]), "Bearer OK");
  const down = authorizer(() => {
    throw connectError("dns error: failed to lookup address");
  }, { credentials: ALICE });
  await assert.rejects(
    down.a.unauthorized(bearer(), [], false),
    (e) =>
      e instanceof UnavailableError &&
      e.message ===
        "cannot reach token service auth.example for reg.example: dns error: failed to lookup address",
  );
  assert.equal(down.f.calls.length, 3);
  const bad = authorizer(() =>
    Response.json({ errors: [{ code: "DENIED", message: "no" }] }, {
      status: 400,
    }), { credentials: ALICE });
  await assert.rejects(
    bad.a.unauthorized(bearer(), [], false),
    (e) => e instanceof InvalidArgumentError && e.message === "denied: no: token for reg.example",
  );
});

Deno.test("bad token answers and bad challenges", async () => {
  const cases: [FakeHandler, Response, string][] = [
    [() => new Response("not json"), bearer(), "reg.example: token service sent invalid JSON"],
    [() => Response.json({ expires_in: 5 }), bearer(), "reg.example: token service sent no token"],
    [
      counting(),
      challenge('Bearer service="reg"'),
      "reg.example: bearer challenge without a realm",
    ],
    [
      counting(),
      challenge('Bearer realm="/relative",service="reg"'),
      "reg.example: invalid token realm: /relative",
    ],
  ];
  for (const [tokens, res, message] of cases) {
    const { a } = authorizer(tokens, { credentials: ALICE });
    await assert.rejects(
      a.unauthorized(res, [], false),
      (e) => e instanceof UnavailableError && e.message === message,
      message,
    );
  }
});

Deno.test("basic: credentials sent up front once asked for; not without credentials", async () => {
  const { a, f } = authorizer(counting(), { credentials: ALICE });
  const basic = challenge('Basic realm="registry"');
  assert.equal(await a.authorization([]), undefined);
  assert.equal(await a.unauthorized(basic, [], false), true);
  assert.equal(await a.authorization([]), "Basic " + btoa("alice:pw"));
  assert.equal(await a.authorization([pullScope("other")]), "Basic " + btoa("alice:pw"));
  // Refused although sent: wrong password, no retry. Refused unsent (a race): retry.
  assert.equal(await a.unauthorized(basic, [], true), false);
  assert.equal(await a.unauthorized(basic, [], false), true);
  assert.equal(f.calls.length, 0);

  const anonymous = authorizer(counting(), { credentials: () => undefined });
  assert.equal(await anonymous.a.unauthorized(basic, [], false), false);
  assert.equal(await anonymous.a.authorization([]), undefined);
});

Deno.test("unknown schemes and missing challenges cannot be answered", async () => {
  const { a } = authorizer(counting(), { credentials: ALICE });
  assert.equal(await a.unauthorized(challenge("Negotiate"), [], false), false);
  assert.equal(await a.unauthorized(new Response(null, { status: 401 }), [], false), false);
  assert.equal(await a.authorization([]), undefined);
});

Deno.test("bearer is preferred when both schemes are offered", async () => {
  const { a, f } = authorizer(counting(), { credentials: ALICE });
  const both = challenge(`Basic realm="r", Bearer realm="${REALM}",service="reg"`);
  assert.equal(await a.unauthorized(both, [], false), true);
  assert.equal(f.calls.length, 1);
  assert.equal(await a.authorization([]), "Bearer T1");
});

Deno.test("credentials are looked up once, by registry name", async () => {
  const asked: string[] = [];
  const { a, f } = authorizer(counting(), {
    credentials: (registry) => {
      asked.push(registry);
      return Promise.resolve(ALICE);
    },
  });
  await a.unauthorized(bearer(), [pullScope("a")], false);
  await a.authorization([pullScope("b")]);
  assert.deepEqual(asked, ["reg.example"]);
  assert.deepEqual(
    f.calls.map((c) => c.headers.get("authorization")),
    ["Basic " + btoa("alice:pw"), "Basic " + btoa("alice:pw")],
  );
});

Deno.test("default credentials come from the auth file", async () => {
  const dir = await Deno.makeTempDir();
  const keys = ["SKIFF_AUTH_FILE", "DOCKER_CONFIG", "HOME"];
  const saved = keys.map((k) => Deno.env.get(k));
  try {
    Deno.env.set("SKIFF_AUTH_FILE", `${dir}/auth.json`);
    Deno.env.set("HOME", `${dir}/home`);
    Deno.env.delete("DOCKER_CONFIG");
    await Deno.writeTextFile(
      `${dir}/auth.json`,
      JSON.stringify({ auths: { "reg.example": { auth: btoa("file:secret") } } }),
    );
    const { a } = authorizer(counting());
    assert.equal(await a.unauthorized(challenge('Basic realm="r"'), [], false), true);
    assert.equal(await a.authorization([]), "Basic " + btoa("file:secret"));
  } finally {
    keys.forEach((k, i) =>
      saved[i] === undefined ? Deno.env.delete(k) : Deno.env.set(k, saved[i]!)
    );
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("client wiring: a pull through a bearer challenge with an injected fetch", async () => {
  const manifest = new TextEncoder().encode('{"schemaVersion":2}');
  const f = fakeFetch((c) => {
    if (c.url.href.startsWith(REALM)) return Response.json({ token: "TK", expires_in: 300 });
    if (c.headers.get("authorization") !== "Bearer TK") {
      return bearer("repository:lib/app:pull");
    }
    return new Response(manifest, {
      headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" },
    });
  });
  const client = new RegistryClient("reg.example", { credentials: ALICE, fetch: f.fetch });
  const m = await client.getManifest("lib/app", "v1");
  assert.deepEqual(m.bytes, manifest);
  assert.equal(m.mediaType, "application/vnd.oci.image.manifest.v1+json");
  await client.getManifest("lib/app", "v2");
  assert.deepEqual(f.log(), [
    "GET /v2/lib/app/manifests/v1",
    "GET /token?service=reg&scope=repository%3Alib%2Fapp%3Apull",
    "GET /v2/lib/app/manifests/v1",
    "GET /v2/lib/app/manifests/v2",
  ]);
  assert.equal(f.calls[0].url.protocol, "https:");
});
