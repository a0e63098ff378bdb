/**
 * Pulling through an OCI image index: the host's platform by default,
 * `--platform` to choose another, and a clear one-line error listing what
 * the index has when nothing matches.
 */
import { assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { startRegistry } from "../helpers/registry.ts";
import { ensureFixtures, fixturePaths } from "../helpers/fixtures.ts";
import { skiff, tempStore } from "../helpers/skiff.ts";
import { RegistryClient } from "../../src/image/registry.ts";
import { sha256Digest } from "../../src/image/digest.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const enc = new TextEncoder();

/** Uploads the busybox layout's blobs and returns its manifest and config. */
async function uploadLayout(client: RegistryClient, repo: string, layout: string) {
  const index = JSON.parse(await Deno.readTextFile(`${layout}/index.json`));
  const mDigest: string = index.manifests[0].digest;
  const blob = (d: string) => Deno.readFile(`${layout}/blobs/sha256/${d.slice(7)}`);
  const manifestBytes = await blob(mDigest);
  const manifest = JSON.parse(new TextDecoder().decode(manifestBytes));
  for (const d of [manifest.config, ...manifest.layers]) {
    const bytes = await blob(d.digest);
    await client.uploadBlob(repo, d.digest, bytes.length, bytes);
  }
  const config = JSON.parse(new TextDecoder().decode(await blob(manifest.config.digest)));
  return { manifest, config };
}

/** Puts a manifest for `arch` built from the busybox one, returning its descriptor. */
async function putVariant(
  client: RegistryClient,
  repo: string,
  base: { manifest: Record<string, unknown>; config: Record<string, unknown> },
  arch: string,
) {
  const config = enc.encode(JSON.stringify({ ...base.config, architecture: arch }));
  const configDigest = await sha256Digest(config);
  await client.uploadBlob(repo, configDigest, config.length, config);
  const manifest = enc.encode(JSON.stringify({
    ...base.manifest,
    config: {
      mediaType: "application/vnd.oci.image.config.v1+json",
      digest: configDigest,
      size: config.length,
    },
  }));
  const digest = await sha256Digest(manifest);
  await client.putManifest(repo, digest, manifest, OCI_MANIFEST);
  return {
    mediaType: OCI_MANIFEST,
    digest,
    size: manifest.length,
    platform: { os: "linux", architecture: arch },
  };
}

Deno.test("pull through an index: host platform, --platform, and no match", opts, async () => {
  await ensureFixtures();
  const reg = await startRegistry();
  const store = await tempStore();
  try {
    const client = new RegistryClient(reg.host);
    const base = await uploadLayout(client, "multi", fixturePaths().busybox);
    const entries = [
      await putVariant(client, "multi", base, "amd64"),
      await putVariant(client, "multi", base, "arm64"),
    ];
    const index = enc.encode(
      JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries }),
    );
    await client.putManifest("multi", "latest", index, OCI_INDEX);
    const ref = `${reg.host}/multi:latest`;

    const host = await skiff(["pull", "-q", ref], store);
    assertEquals(host.code, 0, host.stderr);
    const hostArch = Deno.build.arch === "x86_64" ? "amd64" : "arm64";
    assertEquals(
      (await skiff(["image", "inspect", "-f", "{{.Architecture}}", ref], store)).stdout.trim(),
      hostArch,
    );

    const other = hostArch === "amd64" ? "arm64" : "amd64";
    const arm = await skiff(["pull", "-q", "--platform", `linux/${other}`, ref], store);
    assertEquals(arm.code, 0, arm.stderr);
    assertEquals(
      (await skiff(["image", "inspect", "-f", "{{.Architecture}}", ref], store)).stdout.trim(),
      other,
    );

    const none = await skiff(["pull", "--platform", "linux/s390x", ref], store);
    assertEquals(none.code, 1);
    assertStringIncludes(none.stderr, "linux/s390x");
    assertStringIncludes(none.stderr, "linux/amd64, linux/arm64");
    assertEquals(none.stderr.trim().split("\n").length, 1, none.stderr);

    const bad = await skiff(["pull", "--platform", "not a platform", ref], store);
    assertEquals(bad.code, 1);
    assertEquals(bad.stderr.trim().split("\n").length, 1, bad.stderr);
  } finally {
    await store.cleanup();
    await reg.stop();
  }
});
