/**
 * `manifest create/annotate/inspect/push/rm` against Debian's docker-registry, with images
 * pushed there by skopeo, and the pushed lists read back with skopeo; then a hostile
 * registry (wrong digests, a bad media type, huge lists) that gets one-line errors.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { type RunningRegistry, startRegistry } from "../helpers/registry.ts";
import { ensureFixtures, fixturePaths, pushFixture } from "../helpers/fixtures.ts";
import { skiff, type SkiffResult, tempStore } from "../helpers/skiff.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
let registry: RunningRegistry | undefined;

async function setup(): Promise<RunningRegistry> {
  if (registry) return registry;
  await ensureFixtures();
  registry = await startRegistry();
  const p = fixturePaths();
  await pushFixture(p.busybox, "latest", registry.host, { repo: "bb" });
  await pushFixture(p.multilayer, "latest", registry.host, { repo: "ml" });
  await pushFixture(p.busyboxV2s2, "latest", registry.host, { repo: "bbv2", format: "v2s2" });
  return registry;
}

async function skopeoRaw(ref: string): Promise<string> {
  const out = await new Deno.Command("skopeo", {
    args: ["inspect", "--raw", "--tls-verify=false", `docker://${ref}`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const td = new TextDecoder();
  if (!out.success) throw new Error(`skopeo inspect ${ref}: ${td.decode(out.stderr)}`);
  return td.decode(out.stdout);
}

async function sha256(text: string | Uint8Array): Promise<string> {
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  const d = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return "sha256:" + [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function ok(r: SkiffResult, what: string): string {
  assertEquals(r.code, 0, `${what}: ${r.stderr}`);
  return r.stdout;
}

/** A failure with one `Error: ...` line containing `text`, exit 1. */
function oneLineError(r: SkiffResult, text: string): void {
  assertEquals(r.code, 1, r.stderr + r.stdout);
  const lines = r.stderr.trim().split("\n");
  assertEquals(lines.length, 1, r.stderr);
  assert(lines[0].startsWith("Error: "), r.stderr);
  assertStringIncludes(lines[0], text);
}

Deno.test(
  "manifest create, annotate, inspect, push: an OCI index the registry serves and skopeo reads",
  opts,
  async () => {
    const reg = await setup();
    const store = await tempStore();
    const list = `${reg.host}/app:multi`;
    try {
      const bbRaw = await skopeoRaw(`${reg.host}/bb:latest`);
      const mlRaw = await skopeoRaw(`${reg.host}/ml:latest`);
      const created = await skiff(
        ["manifest", "create", list, `${reg.host}/bb:latest`, `${reg.host}/ml`],
        store,
      );
      assertEquals(ok(created, "create").trim(), `Created manifest list ${list}`);
      oneLineError(
        await skiff(["manifest", "create", list, `${reg.host}/bb:latest`], store),
        "refusing to amend an existing manifest list with no --amend flag",
      );

      ok(
        await skiff([
          "manifest",
          "annotate",
          "--arch",
          "arm64",
          "--variant",
          "v8",
          "--os-features",
          "sse4",
          list,
          `${reg.host}/ml:latest`,
        ], store),
        "annotate",
      );
      oneLineError(
        await skiff(["manifest", "annotate", "--arch", "z80", list, `${reg.host}/ml`], store),
        "unsupported os/arch combination: linux/z80",
      );
      oneLineError(
        await skiff(["manifest", "annotate", "--arch", "arm64", list, `${reg.host}/nope`], store),
        `manifest for image ${reg.host}/nope does not exist in ${list}`,
      );

      const local = JSON.parse(ok(await skiff(["manifest", "inspect", list], store), "inspect"));
      assertEquals(local.mediaType, OCI_INDEX);
      assertEquals(local.manifests.map((m: { digest: string }) => m.digest), [
        await sha256(bbRaw),
        await sha256(mlRaw),
      ]);
      assertEquals(local.manifests[1].platform, {
        architecture: "arm64",
        os: "linux",
        variant: "v8",
        "os.features": ["sse4"],
      });
      assertEquals(local.manifests[0].platform.architecture, "amd64");
      const verbose = JSON.parse(
        ok(await skiff(["manifest", "inspect", "-v", list], store), "inspect -v"),
      );
      assertEquals(verbose.length, 2);
      assertEquals(verbose[1].Ref, `${reg.host}/ml@${await sha256(mlRaw)}`);
      assertEquals(verbose[1].OCIManifest.layers.length, 3);
      const one = ok(
        await skiff(["manifest", "inspect", list, `${reg.host}/bb:latest`], store),
        "inspect LIST IMAGE",
      );
      assertEquals(JSON.parse(one), JSON.parse(bbRaw));

      const out = ok(await skiff(["manifest", "push", list], store), "push").trim().split("\n");
      const remote = await skopeoRaw(list);
      // docker's lines: each image put into the list's repository, then the list's digest
      const [bb, ml] = [await sha256(bbRaw), await sha256(mlRaw)];
      assertEquals(out, [
        `Pushed ref ${reg.host}/app@${bb} with digest: ${bb}`,
        `Pushed ref ${reg.host}/app@${ml} with digest: ${ml}`,
        await sha256(remote),
      ]);
      const doc = JSON.parse(remote);
      assertEquals(doc.mediaType, OCI_INDEX);
      assertEquals(doc.manifests, local.manifests);
      // the images named were copied into the list's repository, byte for byte
      assertEquals(await skopeoRaw(`${reg.host}/app@${await sha256(mlRaw)}`), mlRaw);
      assertEquals(await skopeoRaw(`${reg.host}/app@${await sha256(bbRaw)}`), bbRaw);

      // without the local list, inspect reads the registry's
      ok(await skiff(["manifest", "rm", list], store), "rm");
      oneLineError(await skiff(["manifest", "rm", list], store), `No such manifest: ${list}`);
      const fromRegistry = await skiff(["manifest", "inspect", list], store);
      assertEquals(JSON.parse(ok(fromRegistry, "remote inspect")), doc);
      assertStringIncludes(fromRegistry.stdout, '\n   "manifests": [');
      const remoteVerbose = JSON.parse(
        ok(await skiff(["manifest", "inspect", "-v", list], store), "remote inspect -v"),
      );
      assertEquals(remoteVerbose[1].Descriptor.platform.architecture, "arm64");
      assertEquals(remoteVerbose[0].OCIManifest, JSON.parse(bbRaw));
      // a single image, not a list
      const image = await skiff(["manifest", "inspect", `${reg.host}/bb:latest`], store);
      assertEquals(JSON.parse(ok(image, "inspect image")), JSON.parse(bbRaw));
      assertStringIncludes(image.stdout, '\n\t"schemaVersion": 2');
      // a list is not an image to put in a list
      oneLineError(
        await skiff(["manifest", "create", `${reg.host}/app:again`, list], store),
        `${list} is a manifest list`,
      );
    } finally {
      await store.cleanup();
    }
  },
);

Deno.test(
  "manifest push: a Docker manifest list, --amend, --purge, and a local image pushed with its list",
  opts,
  async () => {
    const reg = await setup();
    const store = await tempStore();
    const list = `${reg.host}/dl:1`;
    try {
      ok(await skiff(["manifest", "create", list, `${reg.host}/bbv2`], store), "create");
      const digest = ok(await skiff(["manifest", "push", "--purge", list], store), "push")
        .trim().split("\n").pop();
      const remote = await skopeoRaw(list);
      assertEquals(digest, await sha256(remote));
      assertEquals(JSON.parse(remote).mediaType, DOCKER_LIST);
      oneLineError(await skiff(["manifest", "push", list], store), `No such manifest: ${list}`);

      // an image only the local store has is pushed along with the list
      ok(await skiff(["pull", "-q", `${reg.host}/bb`], store), "pull");
      ok(await skiff(["tag", `${reg.host}/bb`, `${reg.host}/only-here:1`], store), "tag");
      const mixed = `${reg.host}/mixed:1`;
      ok(await skiff(["manifest", "create", mixed, `${reg.host}/only-here:1`], store), "create");
      ok(
        await skiff(["manifest", "create", "--amend", mixed, `${reg.host}/bbv2:latest`], store),
        "create --amend",
      );
      ok(
        await skiff([
          "manifest",
          "annotate",
          "--arch",
          "arm",
          "--variant",
          "v7",
          mixed,
          `${reg.host}/bbv2:latest`,
        ], store),
        "annotate",
      );
      // Podman's add (with a platform) and exists
      const added = ok(
        await skiff(["manifest", "add", "--arch", "arm64", mixed, `${reg.host}/ml:latest`], store),
        "add",
      );
      assert(/^sha256:[0-9a-f]{64}\n$/.test(added), added);
      oneLineError(
        await skiff(["manifest", "add", `${reg.host}/none:1`, `${reg.host}/ml`], store),
        `No such manifest: ${reg.host}/none:1`,
      );
      const exists = await skiff(["manifest", "exists", mixed], store);
      assertEquals([exists.code, exists.stdout, exists.stderr], [0, "", ""]);
      const missing = await skiff(["manifest", "exists", `${reg.host}/none:1`], store);
      assertEquals([missing.code, missing.stdout, missing.stderr], [1, "", ""]);
      const pushed = ok(await skiff(["manifest", "push", mixed], store), "push mixed")
        .trim().split("\n").pop();
      const doc = JSON.parse(await skopeoRaw(mixed));
      assertEquals(pushed, await sha256(await skopeoRaw(mixed)));
      assertEquals(doc.mediaType, OCI_INDEX);
      assertEquals(doc.manifests.length, 3);
      assertEquals(doc.manifests[2].platform.architecture, "arm64");
      for (const m of doc.manifests) {
        const raw = await skopeoRaw(`${reg.host}/mixed@${m.digest}`);
        assertEquals(await sha256(raw), m.digest);
      }
      assertEquals(doc.manifests[1].platform.variant, "v7");
      // the local list survives a push without --purge
      ok(await skiff(["manifest", "rm", mixed], store), "rm");
    } finally {
      await store.cleanup();
    }
  },
);

/**
 * A registry that lies: the routes are manifests by reference in repository `evil`, and
 * `blobs` its blobs by digest.
 */
function hostileRegistry(
  routes: Record<string, { body: string; type: string; digest?: string }>,
  blobs: Record<string, string> = {},
) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/v2/") return new Response("{}", { status: 200 });
    const blob = /^\/v2\/evil\/blobs\/(.+)$/.exec(path);
    if (blob && blobs[blob[1]] !== undefined) return new Response(blobs[blob[1]]);
    const m = /^\/v2\/evil\/manifests\/(.+)$/.exec(path);
    const route = m ? routes[decodeURIComponent(m[1])] : undefined;
    if (!route) return new Response('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}', { status: 404 });
    const headers: Record<string, string> = { "content-type": route.type };
    if (route.digest) headers["docker-content-digest"] = route.digest;
    return new Response(req.method === "HEAD" ? null : route.body, { headers });
  });
  return { host: `127.0.0.1:${server.addr.port}`, stop: () => server.shutdown() };
}

Deno.test(
  "manifest inspect and create refuse a hostile registry's documents with one line",
  opts,
  async () => {
    const store = await tempStore();
    const config = JSON.stringify({
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: [] },
    });
    const configDigest = await sha256(config);
    const good = JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {
        mediaType: "application/vnd.oci.image.config.v1+json",
        digest: configDigest,
        size: config.length,
      },
      layers: [],
    });
    const image = JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {
        mediaType: "application/vnd.oci.image.config.v1+json",
        digest: `sha256:${"a".repeat(64)}`,
        size: 2,
      },
      layers: [],
    });
    const imageDigest = await sha256(image);
    const other = `sha256:${"b".repeat(64)}`;
    const entry = (digest: string) => ({
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      digest,
      size: image.length,
      platform: { architecture: "amd64", os: "linux" },
    });
    const index = (n: number, digest: string) =>
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: Array(n).fill(entry(digest)),
      });
    const ociManifest = "application/vnd.oci.image.manifest.v1+json";
    const evil = hostileRegistry({
      "liar": { body: image, type: ociManifest, digest: other },
      [other]: { body: image, type: ociManifest },
      "badtype": {
        body: JSON.stringify({ schemaVersion: 2, mediaType: "application/x-evil" }),
        type: "application/x-evil",
      },
      "many": { body: index(5000, imageDigest), type: OCI_INDEX },
      "huge": { body: index(1, imageDigest) + " ".repeat(5 * 1024 * 1024), type: OCI_INDEX },
      "swapped": { body: index(1, other), type: OCI_INDEX },
      "good": { body: good, type: ociManifest },
    }, { [configDigest]: config });
    try {
      const h = evil.host;
      const inspect = (ref: string, ...flags: string[]) =>
        skiff(["manifest", "inspect", ...flags, `${h}/evil${ref}`], store);
      oneLineError(await inspect(":liar"), "digest mismatch");
      oneLineError(await inspect(":absent"), `no such manifest: ${h}/evil:absent`);
      oneLineError(await inspect(`@${other}`), `digest mismatch for ${other}`);
      oneLineError(
        await inspect(":badtype"),
        "unsupported manifest media type: application/x-evil",
      );
      oneLineError(await inspect(":many"), "has 5000 entries (at most 1000)");
      oneLineError(await inspect(":huge"), "manifest too large");
      // the list's entry names a digest its content does not hash to
      oneLineError(await inspect(":swapped", "-v"), `digest mismatch for ${other}`);
      oneLineError(
        await skiff(["manifest", "create", `${h}/evil:list`, `${h}/evil:liar`], store),
        "digest mismatch",
      );
      // an image of another registry cannot go into a list pushed here
      const cross = "127.0.0.1:9/app:cross";
      ok(await skiff(["manifest", "create", cross, `${h}/evil:good`], store), "create");
      oneLineError(
        await skiff(["manifest", "push", cross], store),
        `cannot use source images from a different registry than the target image: ${h} != 127.0.0.1:9`,
      );
      // nothing half-made was kept
      oneLineError(
        await skiff(["manifest", "rm", `${h}/evil:list`], store),
        `No such manifest: ${h}/evil:list`,
      );
    } finally {
      await evil.stop();
      await store.cleanup();
    }
  },
);

Deno.test({
  name: "manifest tests: stop the registry",
  ...opts,
  fn: async () => {
    await registry?.stop();
    registry = undefined;
  },
});
