// Checks the test infrastructure itself: the registry helper, the fixture images, the
// flaky and tampering proxies. Needs root-free tools only (docker-registry, skopeo, umoci).
import {
  deepStrictEqual as assertEquals,
  ok as assert,
  rejects as assertRejects,
} from "node:assert/strict";
import { ensureFixtures, fixturePaths, pushFixture } from "../helpers/fixtures.ts";
import { startFlakyProxy, startRegistry, startTamperProxy } from "../helpers/registry.ts";
import { mountsUnder, tempStore } from "../helpers/skiff.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";

async function skopeo(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const o = await new Deno.Command("skopeo", { args, stdout: "piped", stderr: "piped" })
    .output();
  const td = new TextDecoder();
  return { code: o.code, out: td.decode(o.stdout), err: td.decode(o.stderr) };
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(path));
}

async function manifestOf(layout: string): Promise<{ layers: { digest: string }[] }> {
  const index = await readJson(`${layout}/index.json`) as {
    manifests: { digest: string }[];
  };
  const hex = index.manifests[0].digest.split(":")[1];
  return await readJson(`${layout}/blobs/sha256/${hex}`) as { layers: { digest: string }[] };
}

Deno.test("fixtures: images are built with the expected layers", async () => {
  const p = fixturePaths(await ensureFixtures());
  assertEquals((await manifestOf(p.busybox)).layers.length, 1);
  assertEquals((await manifestOf(p.multilayer)).layers.length, 3);
  for (const f of [p.dockerArchive, p.ociArchive, `${p.busyboxV2s2}/manifest.json`]) {
    assert((await Deno.stat(f)).size > 0, `${f} is empty`);
  }
  const v2 = await readJson(`${p.busyboxV2s2}/manifest.json`);
  assertEquals(v2.mediaType, "application/vnd.docker.distribution.manifest.v2+json");
  // A second call is a no-op and returns the same directory.
  assertEquals(await ensureFixtures(), p.busybox.replace(/\/busybox$/, ""));
});

Deno.test("registry: push busybox with skopeo and inspect it", async () => {
  const dir = await ensureFixtures();
  const reg = await startRegistry();
  try {
    const ref = await pushFixture(fixturePaths(dir).busybox, "latest", reg.host);
    assertEquals(ref, `${reg.host}/busybox:latest`);
    const r = await skopeo(["inspect", "--tls-verify=false", `docker://${ref}`]);
    assertEquals(r.code, 0, r.err);
    const info = JSON.parse(r.out);
    assertEquals(info.Layers.length, 1);
    assertEquals(info.Layers[0], (await manifestOf(fixturePaths(dir).busybox)).layers[0].digest);

    // Docker schema 2 and multilayer pushes work too.
    await pushFixture(fixturePaths(dir).busybox, "latest", reg.host, {
      format: "v2s2",
      repo: "busybox-v2s2",
    });
    const raw = await fetch(`${reg.url}/v2/busybox-v2s2/manifests/latest`, {
      headers: { accept: "application/vnd.docker.distribution.manifest.v2+json" },
    });
    assertEquals(raw.status, 200);
    assertEquals(
      (await raw.json()).mediaType,
      "application/vnd.docker.distribution.manifest.v2+json",
    );
    await pushFixture(fixturePaths(dir).multilayer, "latest", reg.host);
    const m = await skopeo(["inspect", "--tls-verify=false", `docker://${reg.host}/multilayer`]);
    assertEquals(JSON.parse(m.out).Layers.length, 3);
    // Archives can be pushed as well.
    await pushFixture(fixturePaths(dir).dockerArchive, "latest", reg.host, { repo: "fromarch" });
  } finally {
    await reg.stop();
  }
  // stop() removes the storage directory.
  await assertRejects(() => Deno.stat(reg.dir), Deno.errors.NotFound);
});

Deno.test("registry: htpasswd requires basic auth", async () => {
  const dir = await ensureFixtures();
  const creds = { user: "alice", password: "s3cret" };
  const reg = await startRegistry({ htpasswd: creds });
  try {
    const anon = await fetch(`${reg.url}/v2/`);
    await anon.body?.cancel();
    assertEquals(anon.status, 401);
    assert(/basic/i.test(anon.headers.get("www-authenticate") ?? ""));
    const authed = await fetch(`${reg.url}/v2/`, {
      headers: { authorization: `Basic ${btoa(`${creds.user}:${creds.password}`)}` },
    });
    await authed.body?.cancel();
    assertEquals(authed.status, 200);
    await assertRejects(() => pushFixture(fixturePaths(dir).busybox, "latest", reg.host));
    const ref = await pushFixture(fixturePaths(dir).busybox, "latest", reg.host, { creds });
    const r = await skopeo([
      "inspect",
      "--tls-verify=false",
      "--creds",
      "alice:s3cret",
      `docker://${ref}`,
    ]);
    assertEquals(r.code, 0, r.err);
  } finally {
    await reg.stop();
  }
});

Deno.test("flaky proxy: 503 for the first requests, then passes through", async () => {
  const reg = await startRegistry();
  const proxy = await startFlakyProxy(reg.host, { failFirstN: 2 });
  try {
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${proxy.url}/v2/`);
      await r.body?.cancel();
      codes.push(r.status);
    }
    assertEquals(codes, [503, 503, 200]);
    assertEquals(proxy.stats.failed, 2);
  } finally {
    await proxy.stop();
    await reg.stop();
  }
});

Deno.test("flaky proxy: failures can target matching paths with another status", async () => {
  const reg = await startRegistry();
  const proxy = await startFlakyProxy(reg.host, {
    failFirstN: 1,
    failStatus: 500,
    failMatch: /\/manifests\//,
  });
  try {
    const ping = await fetch(`${proxy.url}/v2/`);
    await ping.body?.cancel();
    assertEquals(ping.status, 200);
    const m1 = await fetch(`${proxy.url}/v2/nothing/manifests/latest`);
    await m1.body?.cancel();
    assertEquals(m1.status, 500);
    const m2 = await fetch(`${proxy.url}/v2/nothing/manifests/latest`);
    await m2.body?.cancel();
    assertEquals(m2.status, 404);
  } finally {
    await proxy.stop();
    await reg.stop();
  }
});

Deno.test("flaky proxy: drops blob downloads after N bytes", async () => {
  const dir = await ensureFixtures();
  const reg = await startRegistry();
  const proxy = await startFlakyProxy(reg.host, { dropAfterBytes: 1000, dropTimes: 1 });
  try {
    await pushFixture(fixturePaths(dir).busybox, "latest", reg.host);
    const layer = (await manifestOf(fixturePaths(dir).busybox)).layers[0].digest;
    const url = `${proxy.url}/v2/busybox/blobs/${layer}`;
    // First download: cut short after 1000 bytes.
    let got = 0;
    await assertRejects(async () => {
      const res = await fetch(url);
      assertEquals(res.status, 200);
      for await (const chunk of res.body!) got += chunk.length;
    }, "the truncated download was not reported as an error");
    assert(got <= 1000, `received ${got} bytes, expected at most 1000`);
    assertEquals(proxy.stats.dropped, 1);
    // Second download: complete, and the digest matches.
    const full = new Uint8Array(await (await fetch(url)).arrayBuffer());
    const hex = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", full)))
      .map((b) => b.toString(16).padStart(2, "0")).join("");
    assertEquals(`sha256:${hex}`, layer);
    // skopeo through the proxy works once drops are used up (pushes go through too).
    const r = await skopeo(["inspect", "--tls-verify=false", `docker://${proxy.host}/busybox`]);
    assertEquals(r.code, 0, r.err);
  } finally {
    await proxy.stop();
    await reg.stop();
  }
});

Deno.test("tamper proxy: blob bytes no longer match their digest", async () => {
  const dir = await ensureFixtures();
  const reg = await startRegistry();
  const proxy = await startTamperProxy(reg.host, { offset: 10 });
  try {
    await pushFixture(fixturePaths(dir).busybox, "latest", reg.host);
    const layer = (await manifestOf(fixturePaths(dir).busybox)).layers[0].digest;
    const good = new Uint8Array(
      await (await fetch(`${reg.url}/v2/busybox/blobs/${layer}`)).arrayBuffer(),
    );
    const bad = new Uint8Array(
      await (await fetch(`${proxy.url}/v2/busybox/blobs/${layer}`)).arrayBuffer(),
    );
    assertEquals(bad.length, good.length);
    assertEquals(bad[10], good[10] ^ 0xff);
    assertEquals(proxy.stats.tampered, 1);
    // An independent client (skopeo) rejects the image pulled through the proxy.
    const tmp = await Deno.makeTempDir();
    try {
      const r = await skopeo([
        "copy",
        "--src-tls-verify=false",
        `docker://${proxy.host}/busybox:latest`,
        `oci:${tmp}/out:latest`,
      ]);
      assert(r.code !== 0, "skopeo accepted a tampered blob");
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  } finally {
    await proxy.stop();
    await reg.stop();
  }
});

Deno.test({
  name: "tempStore: cleanup unmounts what is mounted inside",
  ignore: skipUnless(IS_ROOT), // mounting needs root
}, async () => {
  const store = await tempStore();
  const mp = `${store.root}/m`;
  await Deno.mkdir(mp);
  const m = await new Deno.Command("mount", { args: ["-t", "tmpfs", "tmpfs", mp] }).output();
  assertEquals(m.code, 0);
  await Deno.mkdir(`${mp}/inner`);
  await new Deno.Command("mount", { args: ["-t", "tmpfs", "tmpfs", `${mp}/inner`] }).output();
  assertEquals((await mountsUnder(store.root)).length, 2);
  await store.cleanup();
  assertEquals((await mountsUnder(store.root)).length, 0);
  await assertRejects(() => Deno.stat(store.root), Deno.errors.NotFound);
});

const MAKE_IMAGES = new URL("../fixtures/make_images.sh", import.meta.url).pathname;

/** Runs the fixture script into `out` with `env` added; returns the stamp and the out dir's inode. */
async function buildFixtures(
  out: string,
  env: Record<string, string> = {},
): Promise<{ stamp: string; ino: number | null }> {
  const o = await new Deno.Command("bash", {
    args: [MAKE_IMAGES, out],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(o.code, 0, new TextDecoder().decode(o.stderr));
  return { stamp: await Deno.readTextFile(`${out}/.stamp`), ino: (await Deno.stat(out)).ino };
}

Deno.test("fixtures: the stamp covers the busybox binary and the tools; a change rebuilds", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "skiff-fixture-stamp-" });
  try {
    const out = `${tmp}/fx`;
    const first = await buildFixtures(out);
    const busyboxSum = (await new Deno.Command("sha256sum", { args: ["/bin/busybox"] }).output())
      .stdout;
    assert(first.stamp.includes(`busybox ${new TextDecoder().decode(busyboxSum).split(" ")[0]}`));
    assert(/^skopeo \/\S+ skopeo version \S+$/m.test(first.stamp), first.stamp);
    assert(/^umoci \/\S+ umoci version \S+$/m.test(first.stamp), first.stamp);
    const layer1 = (await manifestOf(`${out}/busybox`)).layers[0].digest;

    // Nothing changed: not rebuilt (the directory is the same one).
    assertEquals(await buildFixtures(out), first);

    // Another busybox binary (the same one with bytes appended still runs): rebuilt with it.
    const bin = `${tmp}/busybox`;
    await Deno.copyFile("/bin/busybox", bin);
    await Deno.writeFile(bin, new Uint8Array(64), { append: true });
    await Deno.chmod(bin, 0o755);
    const other = await buildFixtures(out, { BUSYBOX_BIN: bin });
    assert(other.ino !== first.ino, "a changed busybox binary did not rebuild the fixtures");
    assert(other.stamp !== first.stamp);
    assert((await manifestOf(`${out}/busybox`)).layers[0].digest !== layer1);

    // Another skopeo version (a wrapper first on PATH that reports one): rebuilt.
    const wrapDir = `${tmp}/bin`;
    await Deno.mkdir(wrapDir);
    const real = new TextDecoder().decode(
      (await new Deno.Command("bash", { args: ["-c", "command -v skopeo"] }).output()).stdout,
    ).trim();
    await Deno.writeTextFile(
      `${wrapDir}/skopeo`,
      `#!/bin/sh\n[ "$1" = --version ] && { echo "skopeo version 0.0.1-test"; exit 0; }\nexec ${real} "$@"\n`,
      { mode: 0o755 },
    );
    const path = `${wrapDir}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`;
    const wrapped = await buildFixtures(out, { PATH: path });
    assert(wrapped.ino !== other.ino, "a changed skopeo did not rebuild the fixtures");
    assert(wrapped.stamp.includes("skopeo version 0.0.1-test"), wrapped.stamp);
    // Back on the original tools and binary, the first build's stamp and layer come back.
    const again = await buildFixtures(out);
    assert(again.ino !== wrapped.ino);
    assertEquals(again.stamp, first.stamp);
    assertEquals((await manifestOf(`${out}/busybox`)).layers[0].digest, layer1);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("registry: parallel registries each bind their own port and answer for themselves", async () => {
  const started = await Promise.allSettled([0, 1, 2, 3].map(() => startRegistry()));
  const regs = started.flatMap((s) => s.status === "fulfilled" ? [s.value] : []);
  try {
    for (const s of started) if (s.status === "rejected") throw s.reason;
    assertEquals(new Set(regs.map((r) => r.host)).size, regs.length);
    for (const r of regs) assert(/^127\.0\.0\.1:[1-9][0-9]*$/.test(r.host), r.host);
    // Each host is the registry whose storage is its own: a blob pushed to one is not in the
    // others.
    const dir = await ensureFixtures();
    await pushFixture(fixturePaths(dir).busybox, "latest", regs[0].host);
    const seen = [];
    for (const r of regs) {
      const res = await fetch(`${r.url}/v2/busybox/tags/list`);
      await res.body?.cancel();
      assertEquals(res.headers.get("docker-distribution-api-version"), "registry/2.0");
      seen.push(res.status);
    }
    assertEquals(seen, [200, 404, 404, 404]);
  } finally {
    await Promise.all(regs.map((r) => r.stop()));
  }
  // Stopped: nothing answers on their ports any more.
  for (const r of regs) await assertRejects(() => fetch(`${r.url}/v2/`));
});
