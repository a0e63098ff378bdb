/**
 * `save`, `load` and `import` against archives made by skiff itself and by
 * independent tools (skopeo, podman): round trips, interoperability and bad
 * archives that must leave the store untouched.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ensureFixtures, fixturePaths } from "../helpers/fixtures.ts";
import { skiff, SKIFF_BIN, type TempStore, tempStore } from "../helpers/skiff.ts";
import { type TarEntry, writeTarEntries } from "../../src/image/tar_write.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };
const enc = new TextEncoder();

async function sha256(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function tarBytes(entries: TarEntry[]): Promise<Uint8Array> {
  return new Uint8Array(await new Response(writeTarEntries(entries)).arrayBuffer());
}

/** Runs skiff with binary stdin/stdout. */
async function skiffRaw(
  args: string[],
  store: TempStore,
  stdin?: Uint8Array,
): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
  const child = new Deno.Command(SKIFF_BIN, {
    args: ["--root", store.root, "--runroot", store.runroot, ...args],
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let feeding = Promise.resolve();
  if (stdin) {
    const w = child.stdin.getWriter();
    feeding = w.write(stdin).then(() => w.close()).catch(() => {});
  }
  const out = await child.output();
  await feeding;
  return { code: out.code, stdout: out.stdout, stderr: new TextDecoder().decode(out.stderr) };
}

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const td = new TextDecoder();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${td.decode(out.stderr)}`);
  }
  return td.decode(out.stdout);
}

async function ids(store: TempStore): Promise<string[]> {
  const r = await skiff(["images", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}"], {
    ...store,
  });
  assertEquals(r.code, 0, r.stderr);
  return r.stdout.trim().split("\n").filter((l) => l).sort();
}

async function inspect(store: TempStore, name: string) {
  const r = await skiff(["image", "inspect", name], store);
  assertEquals(r.code, 0, r.stderr);
  return JSON.parse(r.stdout)[0];
}

/** Path of the busybox fixture's (gzip) rootfs layer blob. */
async function busyboxRootfs(): Promise<string> {
  const dir = `${fixturePaths().busybox}/blobs/sha256`;
  let best = "", size = -1;
  for await (const e of Deno.readDir(dir)) {
    const s = (await Deno.stat(`${dir}/${e.name}`)).size;
    if (s > size) [best, size] = [e.name, s];
  }
  return `${dir}/${best}`;
}

/** A store holding busybox (from the skopeo docker-archive) and the three-layer fixture. */
async function seededStore(): Promise<TempStore> {
  await ensureFixtures();
  const store = await tempStore();
  const a = await skiff(["load", "-i", fixturePaths().dockerArchive], store);
  assertEquals(a.code, 0, a.stderr);
  assertEquals(a.stdout.trim(), "Loaded image: busybox:latest");
  const multi = `${store.root}/../multi.oci.tar`;
  await run("skopeo", [
    "copy",
    "-q",
    `oci:${fixturePaths().multilayer}:latest`,
    `oci-archive:${multi}:docker.io/library/multi:v1`,
  ]);
  const b = await skiff(["load", "-i", multi], store);
  assertEquals(b.code, 0, b.stderr);
  assertEquals(b.stdout.trim(), "Loaded image: multi:v1");
  return store;
}

Deno.test("skopeo's docker-archive loads; its image matches the OCI fixture", opts, async () => {
  await ensureFixtures();
  const store = await tempStore();
  try {
    const r = await skiff(["load", "-i", fixturePaths().dockerArchive], store);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, "Loaded image: busybox:latest\n");
    const img = await inspect(store, "busybox");
    assertEquals(img.Config.Cmd, ["sh"]);
    assertEquals(img.RootFS.Layers.length, 1);
    // The OCI archive fixture (bare "latest" ref name) holds the same image, loaded untagged.
    const o = await skiff(["load", "-i", fixturePaths().ociArchive], store);
    assertEquals(o.code, 0, o.stderr);
    assertEquals(o.stdout.trim(), `Loaded image ID: ${img.Id}`);
  } finally {
    await store.cleanup();
  }
});

Deno.test("save | load round trip into a fresh store keeps ids and tags", opts, async () => {
  const a = await seededStore();
  const b = await tempStore();
  const c = await tempStore();
  try {
    const before = await ids(a);
    assertEquals(before.length, 2);
    // docker-archive through a pipe, both images in one archive.
    const saved = await skiffRaw(["save", "busybox", "multi:v1"], a);
    assertEquals(saved.code, 0, saved.stderr);
    const loaded = await skiffRaw(["load"], b, saved.stdout);
    assertEquals(loaded.code, 0, loaded.stderr);
    assertEquals(
      new TextDecoder().decode(loaded.stdout),
      "Loaded image: busybox:latest\nLoaded image: multi:v1\n",
    );
    assertEquals(await ids(b), before);
    const multi = await inspect(b, "multi:v1");
    assertEquals(multi.RootFS.Layers, (await inspect(a, "multi:v1")).RootFS.Layers);
    // oci-archive to a file.
    const file = `${c.root}/../multi.oci.tar`;
    const o = await skiff(["save", "--format", "oci-archive", "-o", file, "multi:v1"], a);
    assertEquals(o.code, 0, o.stderr);
    const index = JSON.parse(await run("tar", ["-xOf", file, "index.json"]));
    assertEquals(
      index.manifests[0].annotations["org.opencontainers.image.ref.name"],
      "docker.io/library/multi:v1",
    );
    const sk = JSON.parse(await run("skopeo", ["inspect", `oci-archive:${file}`]));
    assertEquals(sk.Layers.length, 3);
    const l = await skiff(["load", "-i", file], c);
    assertEquals(l.code, 0, l.stderr);
    assertEquals(l.stdout.trim(), "Loaded image: multi:v1");
    assertEquals(await ids(c), before.filter((x) => x.endsWith("multi:v1")));
    // Saving by id writes no names; loading it reports the id.
    const id = multi.Id as string;
    const byId = await skiffRaw(["save", id.slice(7, 19)], a);
    assertEquals(byId.code, 0, byId.stderr);
    const d = await tempStore();
    try {
      const r = await skiffRaw(["load", "-q"], d, byId.stdout);
      assertEquals(new TextDecoder().decode(r.stdout), `Loaded image ID: ${id}\n`);
      // A gzip-compressed archive loads too (docker load accepts one).
      const gz = new Uint8Array(
        await new Response(
          new Blob([saved.stdout as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
            new CompressionStream("gzip"),
          ),
        ).arrayBuffer(),
      );
      const z = await skiffRaw(["load"], d, gz);
      assertEquals(z.code, 0, z.stderr);
      assertEquals(
        new TextDecoder().decode(z.stdout),
        "Loaded image: busybox:latest\nLoaded image: multi:v1\n",
      );
    } finally {
      await d.cleanup();
    }
  } finally {
    await a.cleanup();
    await b.cleanup();
    await c.cleanup();
  }
});

Deno.test("a saved multi-layer image is read by skopeo and loaded by podman", opts, async () => {
  const a = await seededStore();
  const p = await Deno.makeTempDir({ prefix: "skiff-podman-" });
  try {
    const file = `${p}/multi.tar`;
    const s = await skiff(["save", "-o", file, "multi:v1"], a);
    assertEquals(s.code, 0, s.stderr);
    const img = await inspect(a, "multi:v1");
    const sk = JSON.parse(await run("skopeo", ["inspect", `docker-archive:${file}`]));
    assertEquals(sk.Layers.length, 3);
    const pod = ["--root", `${p}/root`, "--runroot", `${p}/run`];
    const loaded = await run("podman", [...pod, "load", "-i", file]);
    assertStringIncludes(loaded, "multi:v1");
    const list = await run("podman", [...pod, "images", "--no-trunc", "--format", "{{.ID}}"]);
    assertEquals(list.trim().replace(/^sha256:/, ""), img.Id.slice(7));
    const layers = JSON.parse(await run("podman", [...pod, "image", "inspect", "multi:v1"]))[0]
      .RootFS.Layers;
    assertEquals(layers, img.RootFS.Layers);
    // podman's own docker-archive (repeated layers as symlinks) and oci-archive load back.
    for (const format of ["docker-archive", "oci-archive"]) {
      const back = `${p}/back-${format}.tar`;
      await run("podman", [...pod, "save", "-q", "--format", format, "-o", back, "multi:v1"]);
      const fresh = await tempStore();
      try {
        const r = await skiff(["load", "-i", back], fresh);
        assertEquals(r.code, 0, `${format}: ${r.stderr}`);
        assertEquals(r.stdout, "Loaded image: localhost/multi:v1\n");
        // podman re-serialises the config for oci-archive (new id), the layers stay.
        const got = await inspect(fresh, "localhost/multi:v1");
        assertEquals(got.RootFS.Layers, img.RootFS.Layers);
        if (format === "docker-archive") assertEquals(got.Id, img.Id);
      } finally {
        await fresh.cleanup();
      }
    }
    await run("podman", [...pod, "rmi", "-a", "-f"]).catch(() => "");
  } finally {
    await Deno.remove(p, { recursive: true }).catch(() => {});
    await a.cleanup();
  }
});

Deno.test("import a busybox rootfs with --change, from a file and from stdin", opts, async () => {
  await ensureFixtures();
  const store = await tempStore();
  try {
    const rootfs = await busyboxRootfs();
    const r = await skiff(
      ["import", "-c", 'CMD ["sh"]', "-c", "ENV A=1", "-m", "hello", rootfs, "mine:1"],
      store,
    );
    assertEquals(r.code, 0, r.stderr);
    assert(/^sha256:[a-f0-9]{64}\n$/.test(r.stdout), r.stdout);
    const img = await inspect(store, "mine:1");
    assertEquals(img.Id, r.stdout.trim());
    assertEquals(img.Config.Cmd, ["sh"]);
    assertEquals(img.Config.Env, ["A=1"]);
    assertEquals(img.Comment, "hello");
    assertEquals(img.RootFS.Layers.length, 1);
    const hist = await skiff(
      ["history", "--no-trunc", "--format", "{{.Comment}}", "mine:1"],
      store,
    );
    assertEquals(hist.stdout.trim(), "hello");
    // The same tarball decompressed, through stdin, untagged: same layer.
    const plain = await run("sh", ["-c", `gzip -dc ${rootfs} | base64 -w0`]);
    const bytes = Uint8Array.from(atob(plain), (c) => c.charCodeAt(0));
    const s = await skiffRaw(["import", "--platform", "linux/arm64", "-"], store, bytes);
    assertEquals(s.code, 0, s.stderr);
    const id = new TextDecoder().decode(s.stdout).trim();
    const other = await inspect(store, id);
    assertEquals(other.RootFS.Layers, img.RootFS.Layers);
    assertEquals(other.Architecture, "arm64");
    assertEquals(other.Config.Cmd, null);
    // A bad instruction: one line, exit 1 (as docker), nothing stored.
    const bad = await skiff(["import", "-c", "RUN rm -rf /", rootfs, "bad:1"], store);
    assertEquals(bad.code, 1);
    assertEquals(bad.stderr, "Error: run is not a valid change command\n");
    const missing = await skiff(["import", "/nonexistent.tar"], store);
    assertEquals(missing.code, 1);
    assertEquals(missing.stderr.trim().split("\n").length, 1);
    assertEquals((await ids(store)).length, 2);
  } finally {
    await store.cleanup();
  }
});

Deno.test("save refuses a terminal and unknown formats", opts, async () => {
  const store = await seededStore();
  try {
    // save's errors exit 1, as Docker's do
    const f = await skiff(["save", "--format", "zip", "-o", "/dev/null", "busybox"], store);
    assertEquals(f.code, 1);
    assertStringIncludes(f.stderr, "unsupported format");
    const n = await skiff(["save", "-o", "/dev/null", "nosuch"], store);
    assertEquals(n.code, 1);
    assertEquals(n.stderr, "Error: No such image: nosuch\n");
    const script = new Deno.Command("script", {
      args: [
        "-qec",
        `${SKIFF_BIN} --root ${store.root} --runroot ${store.runroot} save busybox`,
        "/dev/null",
      ],
      stdout: "piped",
      stderr: "piped",
    });
    const t = await script.output().catch(() => undefined);
    if (t) {
      assertStringIncludes(
        new TextDecoder().decode(t.stdout),
        "cowardly refusing to save to a terminal",
      );
    }
  } finally {
    await store.cleanup();
  }
});

/** A docker-archive with one layer made of `layerEntries`, its config listing `diffId`. */
async function dockerArchive(
  layerEntries: TarEntry[],
  opts: { diffId?: string; layerPath?: string } = {},
): Promise<Uint8Array> {
  const layer = await tarBytes(layerEntries);
  const diffId = opts.diffId ?? `sha256:${await sha256(layer)}`;
  const config = enc.encode(JSON.stringify({
    architecture: "amd64",
    os: "linux",
    config: {},
    rootfs: { type: "layers", diff_ids: [diffId] },
  }));
  const configHex = await sha256(config);
  const layerPath = opts.layerPath ?? "abc/layer.tar";
  return await tarBytes([
    { name: "abc/layer.tar", data: layer },
    { name: `${configHex}.json`, data: config },
    {
      name: "manifest.json",
      data: JSON.stringify([{
        Config: `${configHex}.json`,
        RepoTags: ["evil:latest"],
        Layers: [layerPath],
      }]),
    },
  ]);
}

Deno.test(
  "bad archives are refused with one line and leave the store unchanged",
  opts,
  async () => {
    const store = await tempStore();
    try {
      const good = [{ name: "hello.txt", data: "hi\n" }];
      const random = crypto.getRandomValues(new Uint8Array(5000));
      const evilTar = await tarBytes([{ name: "../evil", data: "x" }]);
      const oneLayer = await dockerArchive(good);
      const ociLayer = await tarBytes(good);
      const ociConfig = enc.encode(JSON.stringify({
        architecture: "amd64",
        os: "linux",
        rootfs: { type: "layers", diff_ids: [`sha256:${await sha256(ociLayer)}`] },
      }));
      const ociManifest = enc.encode(JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: {
          mediaType: "application/vnd.oci.image.config.v1+json",
          digest: `sha256:${await sha256(ociConfig)}`,
          size: ociConfig.length,
        },
        layers: [{
          mediaType: "application/vnd.oci.image.layer.v1.tar",
          digest: `sha256:${"0".repeat(64)}`, // does not match the blob below
          size: ociLayer.length,
        }],
      }));
      const cases: [string, Uint8Array][] = [
        ["random bytes", random],
        ["empty input", new Uint8Array(0)],
        ["tar without manifest", await tarBytes([{ name: "hello.txt", data: "hi" }])],
        ["bad manifest.json", await tarBytes([{ name: "manifest.json", data: "{nope" }])],
        ["layer with ../evil entry", await dockerArchive([{ name: "../evil", data: "x" }])],
        ["archive path with ..", await dockerArchive(good, { layerPath: "../../etc/passwd" })],
        ["tampered layer", await dockerArchive(good, { diffId: `sha256:${"1".repeat(64)}` })],
        ["truncated archive", oneLayer.slice(0, 1200)],
        ["archive entry ../evil", await tarBytes([{ name: "../evil", data: evilTar }])],
        [
          "OCI blob digest mismatch",
          await tarBytes([
            { name: "oci-layout", data: '{"imageLayoutVersion":"1.0.0"}' },
            { name: `blobs/sha256/${"0".repeat(64)}`, data: ociLayer },
            { name: `blobs/sha256/${await sha256(ociConfig)}`, data: ociConfig },
            { name: `blobs/sha256/${await sha256(ociManifest)}`, data: ociManifest },
            {
              name: "index.json",
              data: JSON.stringify({
                schemaVersion: 2,
                manifests: [{
                  mediaType: "application/vnd.oci.image.manifest.v1+json",
                  digest: `sha256:${await sha256(ociManifest)}`,
                  size: ociManifest.length,
                  annotations: { "io.containerd.image.name": "docker.io/library/evil:latest" },
                }],
              }),
            },
          ]),
        ],
      ];
      for (const [what, bytes] of cases) {
        const r = await skiffRaw(["load"], store, bytes);
        assertEquals(r.code, 1, `${what}: ${r.stderr}`);
        assert(r.stderr.startsWith("Error: "), `${what}: ${r.stderr}`);
        assertEquals(r.stderr.trim().split("\n").length, 1, `${what}: ${r.stderr}`);
        assertEquals(r.stdout.length, 0, what);
        const q = await skiff(["images", "-q"], store);
        assertEquals(q.stdout, "", what);
        const files = [];
        for await (const e of Deno.readDir(`${store.root}/images`)) files.push(e.name);
        assertEquals(files, [], what);
        for (const dir of ["tmp", "ingest", "blobs/sha256"]) {
          const left = [];
          for await (const e of Deno.readDir(`${store.root}/${dir}`)) left.push(e.name);
          assertEquals(left, [], `${what}: ${dir} not empty`);
        }
      }
      // The good archive does load, so the cases above failed for their own reason.
      const ok = await skiffRaw(["load"], store, oneLayer);
      assertEquals(ok.code, 0, ok.stderr);
      assertEquals(new TextDecoder().decode(ok.stdout), "Loaded image: evil:latest\n");
    } finally {
      await store.cleanup();
    }
  },
);
