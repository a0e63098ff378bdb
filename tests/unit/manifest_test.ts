import assert from "node:assert/strict";
import {
  checkImageDescriptors,
  MANIFEST_MEDIA_TYPES,
  MEDIA_TYPE_DOCKER_CONFIG,
  MEDIA_TYPE_DOCKER_LAYER_GZIP,
  MEDIA_TYPE_DOCKER_MANIFEST,
  MEDIA_TYPE_DOCKER_MANIFEST_LIST,
  MEDIA_TYPE_OCI_CONFIG,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_LAYER,
  MEDIA_TYPE_OCI_LAYER_GZIP,
  MEDIA_TYPE_OCI_MANIFEST,
  parseImageConfig,
  parseImageIndex,
  parseManifest,
} from "../../src/image/manifest.ts";
import { InvalidArgumentError } from "../../src/errors.ts";

const D1 = "sha256:" + "1".repeat(64);
const D2 = "sha256:" + "2".repeat(64);
const j = (x: unknown) => new TextEncoder().encode(JSON.stringify(x));

function manifest(mediaType: string | undefined, config: string, layer: string) {
  return {
    schemaVersion: 2,
    ...(mediaType ? { mediaType } : {}),
    config: { mediaType: config, digest: D1, size: 10 },
    layers: [{ mediaType: layer, digest: D2, size: 20 }],
  };
}
function index(mediaType: string | undefined) {
  return {
    schemaVersion: 2,
    ...(mediaType ? { mediaType } : {}),
    manifests: [{
      mediaType: MEDIA_TYPE_OCI_MANIFEST,
      digest: D1,
      size: 5,
      platform: { os: "linux", architecture: "amd64" },
    }],
  };
}

function throwsInvalid(fn: () => unknown, includes: string) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof InvalidArgumentError, String(e));
    assert.ok(e.message.includes(includes), e.message);
    assert.ok(!e.message.includes("\n"), "one line: " + e.message);
    return true;
  });
}

Deno.test("parseManifest handles each media type", () => {
  assert.equal(MANIFEST_MEDIA_TYPES.length, 4);
  const oci = parseManifest(
    j(manifest(MEDIA_TYPE_OCI_MANIFEST, MEDIA_TYPE_OCI_CONFIG, MEDIA_TYPE_OCI_LAYER_GZIP)),
  );
  assert.equal(oci.kind, "manifest");
  assert.equal(oci.mediaType, MEDIA_TYPE_OCI_MANIFEST);
  if (oci.kind === "manifest") assert.equal(oci.manifest.layers[0].digest, D2);
  const docker = parseManifest(
    j(manifest(MEDIA_TYPE_DOCKER_MANIFEST, MEDIA_TYPE_DOCKER_CONFIG, MEDIA_TYPE_DOCKER_LAYER_GZIP)),
  );
  assert.equal(docker.kind, "manifest");
  assert.equal(docker.mediaType, MEDIA_TYPE_DOCKER_MANIFEST);
  const idx = parseManifest(j(index(MEDIA_TYPE_OCI_INDEX)));
  assert.equal(idx.kind, "index");
  if (idx.kind === "index") assert.equal(idx.index.manifests[0].platform?.architecture, "amd64");
  const list = parseManifest(j(index(MEDIA_TYPE_DOCKER_MANIFEST_LIST)));
  assert.equal(list.kind, "index");
  assert.equal(list.mediaType, MEDIA_TYPE_DOCKER_MANIFEST_LIST);
});

Deno.test("parseManifest falls back to content type, then shape", () => {
  const m = j(manifest(undefined, MEDIA_TYPE_OCI_CONFIG, MEDIA_TYPE_OCI_LAYER_GZIP));
  assert.equal(
    parseManifest(m, `${MEDIA_TYPE_DOCKER_MANIFEST}; charset=utf-8`).mediaType,
    MEDIA_TYPE_DOCKER_MANIFEST,
  );
  assert.equal(parseManifest(m, "application/json").mediaType, MEDIA_TYPE_OCI_MANIFEST);
  assert.equal(parseManifest(j(index(undefined))).mediaType, MEDIA_TYPE_OCI_INDEX);
  assert.equal(parseImageIndex(j(index(undefined))).manifests.length, 1);
});

Deno.test("parseManifest rejects schema 1", () => {
  throwsInvalid(
    () =>
      parseManifest(
        j({ schemaVersion: 1, name: "x", tag: "y", fsLayers: [] }),
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
      ),
    "manifest schema 1 is not supported: application/vnd.docker.distribution.manifest.v1+prettyjws",
  );
  throwsInvalid(
    () => parseManifest(j({ schemaVersion: 1, name: "x", fsLayers: [] })),
    "manifest schema 1 is not supported",
  );
  throwsInvalid(
    () =>
      parseManifest(
        j({ mediaType: "application/vnd.docker.distribution.manifest.v1+json" }),
      ),
    "manifest schema 1 is not supported",
  );
});

Deno.test("parseManifest gives one-line errors for malformed documents", () => {
  throwsInvalid(() => parseManifest("{not json"), "invalid manifest: not valid JSON");
  throwsInvalid(() => parseManifest("[1]"), "invalid manifest: not a JSON object");
  throwsInvalid(() => parseManifest("{}"), "invalid manifest: unknown document type");
  const bad = manifest(MEDIA_TYPE_OCI_MANIFEST, MEDIA_TYPE_OCI_CONFIG, MEDIA_TYPE_OCI_LAYER_GZIP);
  (bad.layers[0] as { digest: string }).digest = "sha256:nope";
  throwsInvalid(
    () => parseManifest(j(bad)),
    "invalid image manifest: layers.0.digest: invalid digest",
  );
  const noLayers: Record<string, unknown> = manifest(MEDIA_TYPE_DOCKER_MANIFEST, "a", "b");
  delete noLayers.layers;
  throwsInvalid(() => parseManifest(j(noLayers)), "invalid image manifest: layers: required");
  throwsInvalid(
    () => parseManifest(j({ ...index(MEDIA_TYPE_OCI_INDEX), schemaVersion: 3 })),
    "invalid image index: schemaVersion",
  );
  throwsInvalid(
    () => parseManifest(j({ mediaType: "application/vnd.foo" })),
    "unsupported manifest media type: application/vnd.foo",
  );
});

Deno.test("checkImageDescriptors refuses unknown layer types and a config typed as a layer", () => {
  const check = (config: string, layer: string) => () => {
    const parsed = parseManifest(j(manifest(MEDIA_TYPE_OCI_MANIFEST, config, layer)));
    assert.equal(parsed.kind, "manifest");
    if (parsed.kind === "manifest") checkImageDescriptors(parsed.manifest);
  };
  for (
    const [config, layer] of [
      [MEDIA_TYPE_OCI_CONFIG, MEDIA_TYPE_OCI_LAYER],
      [MEDIA_TYPE_OCI_CONFIG, MEDIA_TYPE_OCI_LAYER_GZIP],
      [MEDIA_TYPE_OCI_CONFIG, "application/vnd.oci.image.layer.v1.tar+zstd"],
      [MEDIA_TYPE_OCI_CONFIG, "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"],
      [MEDIA_TYPE_DOCKER_CONFIG, MEDIA_TYPE_DOCKER_LAYER_GZIP],
      [MEDIA_TYPE_DOCKER_CONFIG, "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"],
    ]
  ) check(config, layer)();
  throwsInvalid(
    check(MEDIA_TYPE_OCI_CONFIG, "application/x-evil"),
    `layer 1 (${D2}) has an unknown media type: "application/x-evil"`,
  );
  throwsInvalid(check(MEDIA_TYPE_OCI_CONFIG, ""), `layer 1 (${D2}) has an unknown media type: ""`);
  throwsInvalid(
    check(MEDIA_TYPE_OCI_LAYER_GZIP, MEDIA_TYPE_OCI_LAYER_GZIP),
    `config ${D1} has a layer's media type: "${MEDIA_TYPE_OCI_LAYER_GZIP}"`,
  );
  throwsInvalid(
    check(MEDIA_TYPE_DOCKER_LAYER_GZIP, MEDIA_TYPE_DOCKER_LAYER_GZIP),
    `config ${D1} has a layer's media type`,
  );
  throwsInvalid(
    check("application/vnd.cncf.helm.config.v1+json", MEDIA_TYPE_OCI_LAYER),
    `config ${D1} has a media type that is not an image config`,
  );
});

Deno.test("parseImageConfig", () => {
  const config = parseImageConfig(j({
    architecture: "arm64",
    os: "linux",
    variant: "v8",
    created: "2024-01-01T00:00:00Z",
    config: {
      Env: ["PATH=/bin"],
      Cmd: ["sh"],
      Entrypoint: null,
      WorkingDir: "/",
      User: "1000",
      Labels: { a: "b" },
      ExposedPorts: { "80/tcp": {} },
      Volumes: { "/data": {} },
      StopSignal: "SIGTERM",
    },
    rootfs: { type: "layers", diff_ids: [D1] },
    history: [{ created_by: "x", empty_layer: true }],
  }));
  assert.equal(config.config?.Cmd?.[0], "sh");
  assert.deepEqual(config.rootfs.diff_ids, [D1]);
  assert.equal(config.history?.[0].empty_layer, true);
  throwsInvalid(
    () => parseImageConfig(j({ architecture: "amd64", os: "linux" })),
    "invalid image config: rootfs: required",
  );
  throwsInvalid(
    () =>
      parseImageConfig(
        j({
          architecture: "amd64",
          os: "linux",
          rootfs: { type: "layers", diff_ids: [] },
          config: { Env: "x" },
        }),
      ),
    "invalid image config: config.Env: expected array, got string",
  );
});
