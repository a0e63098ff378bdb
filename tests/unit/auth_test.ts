import assert from "node:assert/strict";
import {
  authFilePath,
  getCredentials,
  login,
  logout,
  normalizeAuthKey,
  parseWwwAuthenticate,
  saveCredentials,
} from "../../src/image/auth.ts";
import { credentialFiles, useConfigDir } from "../../src/image/registry_credentials.ts";
import { UnavailableError } from "../../src/errors.ts";

Deno.test("parseWwwAuthenticate", () => {
  assert.deepEqual(
    parseWwwAuthenticate(
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"',
    ),
    [{
      scheme: "bearer",
      params: {
        realm: "https://auth.docker.io/token",
        service: "registry.docker.io",
        scope: "repository:library/busybox:pull",
      },
    }],
  );
  assert.deepEqual(parseWwwAuthenticate('Basic realm="Registry Realm"'), [
    { scheme: "basic", params: { realm: "Registry Realm" } },
  ]);
  // Several challenges, commas and escapes inside quotes, unquoted values, odd spacing.
  assert.deepEqual(
    parseWwwAuthenticate(
      'Basic realm="a, \\"b\\"" , Bearer realm=https://x/t, scope="repository:a:pull,push repository:b:pull", error=invalid_token',
    ),
    [
      { scheme: "basic", params: { realm: 'a, "b"' } },
      {
        scheme: "bearer",
        params: {
          realm: "https://x/t",
          scope: "repository:a:pull,push repository:b:pull",
          error: "invalid_token",
        },
      },
    ],
  );
  assert.deepEqual(parseWwwAuthenticate(""), []);
  assert.deepEqual(parseWwwAuthenticate("Negotiate"), [{ scheme: "negotiate", params: {} }]);
});

Deno.test("normalizeAuthKey", () => {
  assert.equal(normalizeAuthKey("https://index.docker.io/v1/"), "docker.io");
  assert.equal(normalizeAuthKey("index.docker.io"), "docker.io");
  assert.equal(normalizeAuthKey("docker.io"), "docker.io");
  assert.equal(normalizeAuthKey("http://Localhost:5000"), "localhost:5000");
  assert.equal(normalizeAuthKey("quay.io"), "quay.io");
});

async function withEnv(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  const keys = ["SKIFF_AUTH_FILE", "DOCKER_CONFIG", "HOME", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME"];
  const saved = keys.map((k) => Deno.env.get(k));
  try {
    Deno.env.set("SKIFF_AUTH_FILE", `${dir}/skiff/auth.json`);
    Deno.env.set("HOME", `${dir}/home`);
    Deno.env.delete("DOCKER_CONFIG");
    Deno.env.delete("XDG_CONFIG_HOME");
    await fn(dir);
  } finally {
    keys.forEach((k, i) =>
      saved[i] === undefined ? Deno.env.delete(k) : Deno.env.set(k, saved[i]!)
    );
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("auth file path defaults", async () => {
  await withEnv(async () => {
    Deno.env.delete("SKIFF_AUTH_FILE");
    Deno.env.set("XDG_RUNTIME_DIR", "/run/user/7");
    assert.equal(authFilePath(), "/run/user/7/skiff/auth.json");
    Deno.env.delete("XDG_RUNTIME_DIR");
    assert.equal(authFilePath(), `${Deno.env.get("HOME")}/.config/skiff/auth.json`);
    Deno.env.set("XDG_CONFIG_HOME", "/home/u/conf");
    assert.equal(authFilePath(), "/home/u/conf/skiff/auth.json");
    await Promise.resolve();
  });
});

Deno.test("save, read, logout roundtrip with mode 0600", async () => {
  await withEnv(async (dir) => {
    assert.equal(await getCredentials("localhost:5000"), undefined);
    await saveCredentials("localhost:5000", { username: "alice", password: "p:w ü" });
    await saveCredentials("https://index.docker.io/v1/", { username: "hub", password: "x" });
    const path = `${dir}/skiff/auth.json`;
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    const doc = JSON.parse(await Deno.readTextFile(path));
    assert.deepEqual(Object.keys(doc.auths).sort(), ["docker.io", "localhost:5000"]);
    assert.deepEqual(await getCredentials("localhost:5000"), {
      username: "alice",
      password: "p:w ü",
    });
    assert.deepEqual(await getCredentials("index.docker.io"), { username: "hub", password: "x" });
    await saveCredentials("localhost:5000", { username: "alice", password: "new" });
    assert.equal((await getCredentials("localhost:5000"))?.password, "new");
    assert.equal(await logout("localhost:5000"), true);
    assert.equal(await logout("localhost:5000"), false);
    assert.equal(await getCredentials("localhost:5000"), undefined);
    assert.ok(await getCredentials("docker.io"));
    // No temp files left behind.
    assert.deepEqual([...Deno.readDirSync(`${dir}/skiff`)].map((e) => e.name), ["auth.json"]);
  });
});

Deno.test("falls back to Docker's config.json", async () => {
  await withEnv(async (dir) => {
    await Deno.mkdir(`${dir}/home/.docker`, { recursive: true });
    await Deno.writeTextFile(
      `${dir}/home/.docker/config.json`,
      JSON.stringify({ auths: { "https://index.docker.io/v1/": { auth: btoa("d:hub") } } }),
    );
    assert.deepEqual(await getCredentials("docker.io"), { username: "d", password: "hub" });
    await Deno.mkdir(`${dir}/dc`);
    await Deno.writeTextFile(
      `${dir}/dc/config.json`,
      JSON.stringify({ auths: { "quay.io": { username: "q", password: "qq" } } }),
    );
    Deno.env.set("DOCKER_CONFIG", `${dir}/dc`);
    assert.deepEqual(await getCredentials("quay.io"), { username: "q", password: "qq" });
    // skiff's own file wins.
    await saveCredentials("docker.io", { username: "s", password: "k" });
    assert.deepEqual(await getCredentials("docker.io"), { username: "s", password: "k" });
  });
});

Deno.test("--config DIR and DOCKER_CONFIG: DIR/config.json is the one credentials file", async () => {
  await withEnv(async (dir) => {
    await Deno.mkdir(`${dir}/home/.docker`, { recursive: true });
    await Deno.writeTextFile(
      `${dir}/home/.docker/config.json`,
      JSON.stringify({ auths: { "quay.io": { auth: btoa("home:pw") } } }),
    );
    useConfigDir(`${dir}/cfg/`);
    try {
      assert.deepEqual(credentialFiles(), [`${dir}/cfg/config.json`]);
      // ~/.docker and skiff's own file are not looked at
      assert.equal(await getCredentials("quay.io"), undefined);
      await saveCredentials("docker.io", { username: "hub", password: "x" });
      const doc = JSON.parse(await Deno.readTextFile(`${dir}/cfg/config.json`));
      // the key Docker's own CLI looks Docker Hub up with
      assert.deepEqual(Object.keys(doc.auths), ["https://index.docker.io/v1/"]);
      assert.deepEqual(await getCredentials("docker.io"), { username: "hub", password: "x" });
      assert.equal(await logout("docker.io"), true);
    } finally {
      useConfigDir(undefined);
    }
    // DOCKER_CONFIG without SKIFF_AUTH_FILE: the same, as in Docker
    Deno.env.delete("SKIFF_AUTH_FILE");
    Deno.env.set("DOCKER_CONFIG", `${dir}/dc`);
    assert.equal(authFilePath(), `${dir}/dc/config.json`);
    assert.deepEqual(credentialFiles(), [`${dir}/dc/config.json`]);
    // SKIFF_AUTH_FILE set: skiff's file first, Docker's as fallbacks (unchanged)
    Deno.env.set("SKIFF_AUTH_FILE", `${dir}/a.json`);
    assert.deepEqual(credentialFiles(), [
      `${dir}/a.json`,
      `${dir}/dc/config.json`,
      `${dir}/home/.docker/config.json`,
    ]);
  });
});

Deno.test("login verifies against the registry before saving", async () => {
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} },
    (req) =>
      req.headers.get("authorization") === "Basic " + btoa("u:good")
        ? Response.json({})
        : new Response(null, { status: 401, headers: { "www-authenticate": 'Basic realm="r"' } }),
  );
  const host = `127.0.0.1:${(server.addr as Deno.NetAddr).port}`;
  try {
    await withEnv(async () => {
      await assert.rejects(
        login(host, "u", "bad", { client: { attempts: 1 } }),
        (e) => e instanceof UnavailableError && e.message.startsWith("unauthorized"),
      );
      assert.equal(await getCredentials(host), undefined);
      await login(host, "u", "good");
      assert.deepEqual(await getCredentials(host), { username: "u", password: "good" });
    });
  } finally {
    ac.abort();
    await server.finished;
  }
});
