/**
 * RegistryClient against Debian's real `docker-registry` on a free loopback port: blob and
 * manifest upload and read-back, mounts, tags, catalog, and htpasswd basic auth.
 */
import assert from "node:assert/strict";
import { startFlakyProxy, startRegistry, startTamperProxy } from "../helpers/registry.ts";
import { RegistryClient } from "../../src/image/registry.ts";
import { sha256Digest } from "../../src/image/digest.ts";
import { parseManifest } from "../../src/image/manifest.ts";
import { DigestMismatchError, NotFoundError, UnavailableError } from "../../src/errors.ts";
import { skipUnless } from "../helpers/requires.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const hasRegistry = (() => {
  try {
    Deno.statSync("/usr/bin/docker-registry");
    return true;
  } catch {
    return false;
  }
})();

async function image() {
  const layer = new Uint8Array(300_000);
  for (let i = 0; i < layer.length; i += 65536) {
    crypto.getRandomValues(layer.subarray(i, i + 65536));
  }
  const layerDigest = await sha256Digest(layer);
  const config = enc(JSON.stringify({
    architecture: "amd64",
    os: "linux",
    rootfs: { type: "layers", diff_ids: [layerDigest] },
    config: { Cmd: ["sh"] },
  }));
  const configDigest = await sha256Digest(config);
  const manifest = enc(JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: configDigest, size: config.length },
    layers: [{ mediaType: OCI_LAYER, digest: layerDigest, size: layer.length }],
  }));
  return { layer, layerDigest, config, configDigest, manifest };
}

Deno.test({
  name: "real registry: upload blobs and manifest, read them back",
  ignore: skipUnless(hasRegistry),
  async fn() {
    const reg = await startRegistry();
    try {
      const c = new RegistryClient(reg.host, { credentials: () => undefined, retryDelayMs: 10 });
      await c.ping();
      const img = await image();
      assert.equal(await c.blobExists("test/app", img.layerDigest), false);
      // The layer as a stream (PATCH + PUT), the config as bytes (monolithic PUT).
      await c.uploadBlob(
        "test/app",
        img.layerDigest,
        img.layer.length,
        ReadableStream.from([img.layer.subarray(0, 100_000), img.layer.subarray(100_000)]),
      );
      await c.uploadBlob("test/app", img.configDigest, img.config.length, img.config);
      assert.equal(await c.blobExists("test/app", img.layerDigest), true);
      const md = await c.putManifest("test/app", "v1", img.manifest, OCI_MANIFEST);
      assert.equal(md, await sha256Digest(img.manifest));

      const byTag = await c.getManifest("test/app", "v1");
      assert.equal(byTag.digest, md);
      assert.equal(byTag.headerDigest, md);
      assert.equal(byTag.mediaType, OCI_MANIFEST);
      assert.deepEqual(byTag.bytes, img.manifest);
      const parsed = parseManifest(byTag.bytes, byTag.mediaType);
      assert.equal(parsed.kind, "manifest");
      const byDigest = await c.getManifest("test/app", md);
      assert.deepEqual(byDigest.bytes, img.manifest);
      assert.equal((await c.headManifest("test/app", "v1"))?.digest, md);

      const stream = await c.getVerifiedBlob("test/app", img.layerDigest, img.layer.length);
      assert.deepEqual(new Uint8Array(await new Response(stream).arrayBuffer()), img.layer);
      assert.deepEqual(await c.getBlobBytes("test/app", img.configDigest), img.config);

      // Cross-repository mount, then an index pushed by digest.
      assert.equal(await c.mountBlob("test/other", img.layerDigest, "test/app"), true);
      assert.equal(await c.blobExists("test/other", img.layerDigest), true);
      const index = enc(JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [{
          mediaType: OCI_MANIFEST,
          digest: md,
          size: img.manifest.length,
          platform: { os: "linux", architecture: "amd64" },
        }],
      }));
      const indexDigest = await sha256Digest(index);
      await c.putManifest("test/app", indexDigest, index, OCI_INDEX);
      assert.equal((await c.getManifest("test/app", indexDigest)).mediaType, OCI_INDEX);
      await c.putManifest("test/app", "v2", img.manifest, OCI_MANIFEST);

      assert.deepEqual((await c.tags("test/app")).sort(), ["v1", "v2"]);
      assert.deepEqual((await c.catalog()).sort(), ["test/app", "test/other"]);

      await assert.rejects(
        c.getManifest("test/nope", "latest"),
        (e) =>
          e instanceof NotFoundError && e.message.startsWith("manifest unknown") &&
          e.message.endsWith(`${reg.host}/test/nope:latest`),
      );
      await assert.rejects(
        c.getBlob("test/app", "sha256:" + "0".repeat(64)),
        NotFoundError,
      );
      await assert.rejects(
        c.uploadBlob("test/app", "sha256:" + "0".repeat(64), 3, enc("abc")),
        (e) => e instanceof Error && e.message.startsWith("digest invalid"),
      );
      await assert.rejects(
        c.getManifest("test/app", "sha256:" + "1".repeat(64)),
        NotFoundError,
      );
      // A manifest by digest must hash to it even if a registry lied: checked client-side.
      await assert.rejects(
        c.putManifest("test/app", "sha256:" + "1".repeat(64), img.manifest, OCI_MANIFEST),
        DigestMismatchError,
      );
    } finally {
      await reg.stop();
    }
  },
});

Deno.test({
  name: "real registry: htpasswd basic auth",
  ignore: skipUnless(hasRegistry),
  async fn() {
    const reg = await startRegistry({ htpasswd: { user: "alice", password: "s3cret" } });
    try {
      await assert.rejects(
        new RegistryClient(reg.host, { credentials: () => undefined }).ping(),
        (e) => e instanceof UnavailableError && e.message.startsWith("unauthorized"),
      );
      await assert.rejects(
        new RegistryClient(reg.host, { credentials: { username: "alice", password: "no" } })
          .ping(),
        (e) => e instanceof UnavailableError && e.message.startsWith("unauthorized"),
      );
      const c = new RegistryClient(reg.host, {
        credentials: { username: "alice", password: "s3cret" },
      });
      await c.ping();
      const img = await image();
      await c.uploadBlob("a/b", img.configDigest, img.config.length, img.config);
      await c.uploadBlob(
        "a/b",
        img.layerDigest,
        img.layer.length,
        ReadableStream.from([img.layer]),
      );
      await c.putManifest("a/b", "latest", img.manifest, OCI_MANIFEST);
      assert.deepEqual((await c.getManifest("a/b", "latest")).bytes, img.manifest);
      assert.deepEqual(await c.tags("a/b"), ["latest"]);
    } finally {
      await reg.stop();
    }
  },
});

Deno.test({
  name: "real registry behind misbehaving proxies: 503 retried, dropped and tampered blobs fail",
  ignore: skipUnless(hasRegistry),
  async fn() {
    const reg = await startRegistry();
    const proxies = [];
    try {
      const direct = new RegistryClient(reg.host, { credentials: () => undefined });
      const img = await image();
      await direct.uploadBlob("p/q", img.layerDigest, img.layer.length, img.layer);

      const flaky = await startFlakyProxy(reg.host, { failFirstN: 2 });
      proxies.push(flaky);
      const c1 = new RegistryClient(flaky.host, { credentials: () => undefined, retryDelayMs: 1 });
      assert.equal(await c1.blobExists("p/q", img.layerDigest), true);
      assert.equal(flaky.stats.failed, 2);

      const drop = await startFlakyProxy(reg.host, { dropAfterBytes: 50_000 });
      proxies.push(drop);
      const c2 = new RegistryClient(drop.host, { credentials: () => undefined });
      const s2 = await c2.getVerifiedBlob("p/q", img.layerDigest, img.layer.length);
      await assert.rejects(
        new Response(s2).arrayBuffer(),
        (e) =>
          e instanceof UnavailableError && e.message.startsWith("reading blob") &&
          e.message.includes(img.layerDigest),
      );

      const tamper = await startTamperProxy(reg.host, { offset: 1234 });
      proxies.push(tamper);
      const c3 = new RegistryClient(tamper.host, { credentials: () => undefined });
      const s3 = await c3.getVerifiedBlob("p/q", img.layerDigest, img.layer.length);
      await assert.rejects(
        new Response(s3).arrayBuffer(),
        (e) => e instanceof DigestMismatchError && e.message.includes(img.layerDigest),
      );
    } finally {
      for (const p of proxies) await p.stop();
      await reg.stop();
    }
  },
});
