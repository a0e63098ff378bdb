/**
 * Pulling from a real registry (Debian's docker-registry on loopback) with
 * images pushed by skopeo from umoci-built layouts: formats, concurrency,
 * crashes and bad input.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import {
  type RunningRegistry,
  startFlakyProxy,
  startRegistry,
  startTamperProxy,
} from "../helpers/registry.ts";
import { ensureFixtures, fixturePaths, pushFixture } from "../helpers/fixtures.ts";
import { skiff, SKIFF_BIN, tempStore } from "../helpers/skiff.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };
let registry: RunningRegistry | undefined;

async function setup(): Promise<RunningRegistry> {
  if (registry) return registry;
  await ensureFixtures();
  const paths = fixturePaths();
  registry = await startRegistry();
  await pushFixture(paths.busybox, "latest", registry.host, { repo: "busybox" });
  await pushFixture(paths.multilayer, "latest", registry.host, { repo: "multi" });
  await pushFixture(paths.busybox, "latest", registry.host, { repo: "dockerfmt", format: "v2s2" });
  return registry;
}

async function storeFiles(root: string, sub: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(`${root}/${sub}`)) out.push(e.name);
  } catch { /* missing */ }
  return out.sort();
}

Deno.test("pull OCI and Docker schema 2 images, then list and inspect them", opts, async () => {
  const reg = await setup();
  const store = await tempStore();
  try {
    const a = await skiff(["pull", `${reg.host}/busybox`], store);
    assertEquals(a.code, 0, a.stderr);
    assertStringIncludes(a.stdout, `Status: Downloaded newer image for ${reg.host}/busybox:latest`);
    assert(a.stdout.startsWith("Using default tag: latest\n"), a.stdout);
    const b = await skiff(["pull", "-q", `${reg.host}/dockerfmt:latest`], store);
    assertEquals(b.code, 0, b.stderr);
    assertEquals(b.stdout.trim(), `${reg.host}/dockerfmt:latest`);
    const again = await skiff(["pull", `${reg.host}/busybox:latest`], store);
    assert(!again.stdout.includes("Using default tag"), again.stdout);
    assertStringIncludes(again.stdout, "Image is up to date");
    const list = await skiff(["images", "--format", "{{.Repository}}:{{.Tag}}"], store);
    assertEquals(list.stdout.trim().split("\n").sort(), [
      `${reg.host}/busybox:latest`,
      `${reg.host}/dockerfmt:latest`,
    ]);
    const json = await skiff(["images", "--format", "{{json .}}"], store);
    const rows = json.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(rows.length, 2);
    assertEquals(typeof rows[0].Size, "string");
    const inspect = await skiff(["image", "inspect", `${reg.host}/busybox`], store);
    const [obj] = JSON.parse(inspect.stdout);
    assertEquals(obj.Config.Cmd, ["sh"]);
    // skopeo's schema 2 copy keeps the config, so both names are one image.
    assertEquals(obj.RepoTags, [`${reg.host}/busybox:latest`, `${reg.host}/dockerfmt:latest`]);
    assertEquals(obj.RootFS.Type, "layers");
  } finally {
    await store.cleanup();
  }
});

Deno.test("a pulled multi-layer image keeps whiteouts as overlay whiteouts", opts, async () => {
  const reg = await setup();
  const store = await tempStore();
  try {
    const r = await skiff(["pull", `${reg.host}/multi`], store);
    assertEquals(r.code, 0, r.stderr);
    const layers = (await storeFiles(store.root, "layers")).filter((n) => n !== "l");
    assertEquals(layers.length, 3);
    let whiteouts = 0;
    for (const l of layers) {
      for await (const e of walk(`${store.root}/layers/${l}/diff`)) {
        const st = Deno.lstatSync(e);
        if (st.isCharDevice && st.rdev === 0) whiteouts++;
      }
    }
    assert(whiteouts >= 1, "expected an overlay whiteout in the top layer");
  } finally {
    await store.cleanup();
  }
});

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const p = `${dir}/${e.name}`;
    yield p;
    if (e.isDirectory) yield* walk(p);
  }
}

Deno.test("twenty concurrent pulls of one image all succeed and store one copy", opts, async () => {
  const reg = await setup();
  const store = await tempStore();
  try {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => skiff(["pull", "-q", `${reg.host}/multi`], store)),
    );
    for (const r of results) assertEquals(r.code, 0, r.stderr);
    assertEquals((await storeFiles(store.root, "layers")).filter((n) => n !== "l").length, 3);
    assertEquals((await storeFiles(store.root, "images")).length, 1);
    assertEquals((await storeFiles(store.root, "layers/l")).length, 3);
  } finally {
    await store.cleanup();
  }
});

Deno.test("a pull killed midway leaves a store where the next pull succeeds", opts, async () => {
  const reg = await setup();
  const store = await tempStore();
  // The proxy sends 4 KiB of the first blob and then holds the download: the kill lands
  // while a blob is being written, every time.
  const proxy = await startFlakyProxy(reg.url, { pauseAfterBytes: 4096 });
  try {
    const child = new Deno.Command(SKIFF_BIN, {
      args: ["--root", store.root, "--runroot", store.runroot, "pull", `${proxy.host}/multi`],
      stdout: "null",
      stderr: "null",
    }).spawn();
    for (let i = 0; i < 600 && proxy.stats.paused === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert(proxy.stats.paused > 0, "the pull never reached a blob download");
    child.kill("SIGKILL");
    await child.status;
    // No half image is listed.
    const listed = await skiff(["images", "-q"], store);
    assertEquals(listed.code, 0, listed.stderr);
    assertEquals(listed.stdout.trim(), "");
    assertEquals(await storeFiles(store.root, "images"), []);
    // The next pull succeeds and leaves no scratch behind.
    const r = await skiff(["pull", `${reg.host}/multi`], store);
    assertEquals(r.code, 0, r.stderr);
    const images = await skiff(["images", "-q"], store);
    assertEquals(images.stdout.trim().split("\n").length, 1);
    assertEquals(await storeFiles(store.root, "ingest"), []);
    assertEquals((await storeFiles(store.root, "layers/l")).length, 3);
  } finally {
    await proxy.stop();
    await store.cleanup();
  }
});

Deno.test(
  "a blob that does not match its digest fails the pull and keeps nothing",
  opts,
  async () => {
    const reg = await setup();
    const store = await tempStore();
    const proxy = await startTamperProxy(reg.url, { offset: 100 });
    try {
      const r = await skiff(["pull", `${proxy.host}/busybox`], store);
      assert(r.code !== 0, "pull should fail");
      assertStringIncludes(r.stderr, "sha256:");
      assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
      assertEquals(await storeFiles(store.root, "images"), []);
      assertEquals((await storeFiles(store.root, "layers")).filter((n) => n !== "l"), []);
      assertEquals(await storeFiles(store.root, "ingest"), []);
    } finally {
      await proxy.stop();
      await store.cleanup();
    }
  },
);

Deno.test("a registry that drops the connection mid-blob gives a clear error", opts, async () => {
  const reg = await setup();
  const store = await tempStore();
  const proxy = await startFlakyProxy(reg.url, { dropAfterBytes: 1000 });
  try {
    const r = await skiff(["pull", `${proxy.host}/busybox`], store);
    assert(r.code !== 0, "pull should fail");
    assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
    assertStringIncludes(r.stderr, "Error: ");
    assertEquals(await storeFiles(store.root, "images"), []);
    assert(proxy.stats.dropped >= 1, "the proxy never cut a download");
    const ok = await skiff(["pull", `${reg.host}/busybox`], store);
    assertEquals(ok.code, 0, ok.stderr);
  } finally {
    await proxy.stop();
    await store.cleanup();
  }
});

Deno.test("transient 503s are retried", opts, async () => {
  const reg = await setup();
  const store = await tempStore();
  const proxy = await startFlakyProxy(reg.url, { failFirstN: 2 });
  try {
    const r = await skiff(["pull", `${proxy.host}/busybox`], store);
    assertEquals(r.code, 0, r.stderr);
    // Both failures were answered and the pull went on past them.
    assertEquals(proxy.stats.failed, 2);
    assert(proxy.stats.requests > 2, `only ${proxy.stats.requests} requests`);
  } finally {
    await proxy.stop();
    await store.cleanup();
  }
});

Deno.test("bad references and unknown images are refused with one line", opts, async () => {
  const reg = await setup();
  const store = await tempStore();
  try {
    for (const bad of ["busyBox", "a:b:c", "busybox@sha256:123", ":tag", "a//b"]) {
      const r = await skiff(["pull", bad], store);
      assertEquals(r.code, 1, `${bad}: ${r.stderr}`);
      assertStringIncludes(r.stderr, "invalid reference format");
      assertEquals(r.stderr.trim().split("\n").length, 1);
    }
    const missing = await skiff(["pull", `${reg.host}/nope:latest`], store);
    assertEquals(missing.code, 1);
    assertStringIncludes(missing.stderr, "nope");
    assertEquals(missing.stderr.trim().split("\n").length, 1);
    const noImage = await skiff(["image", "inspect", "nothere"], store);
    assertEquals(noImage.code, 1);
    assertStringIncludes(noImage.stderr, "No such image: nothere");
  } finally {
    await store.cleanup();
  }
});

Deno.test("tag, rmi and prune keep the store consistent", opts, async () => {
  const reg = await setup();
  const store = await tempStore();
  try {
    await skiff(["pull", "-q", `${reg.host}/busybox`], store);
    await skiff(["pull", "-q", `${reg.host}/multi`], store);
    assertEquals((await skiff(["tag", `${reg.host}/busybox`, "mine:1"], store)).code, 0);
    const untag = await skiff(["rmi", "mine:1"], store);
    assertEquals(untag.stdout.trim(), "Untagged: mine:1");
    const rm = await skiff(["rmi", `${reg.host}/multi`, "ghost"], store);
    assertEquals(rm.code, 1);
    assertStringIncludes(rm.stdout, "Deleted: sha256:");
    assertStringIncludes(rm.stderr, "No such image: ghost");
    // busybox's layer is shared with multi and must survive.
    assertEquals((await storeFiles(store.root, "layers")).filter((n) => n !== "l").length, 1);
    const left = await skiff(["images", "--format", "{{.Repository}}"], store);
    assertEquals(left.stdout.trim(), `${reg.host}/busybox`);
  } finally {
    await store.cleanup();
  }
});

Deno.test("pull -a pulls every tag of a repository", opts, async () => {
  const reg = await setup();
  const store = await tempStore();
  try {
    await pushFixture(fixturePaths().busybox, "latest", reg.host, {
      repo: "alltags",
      destTag: "one",
    });
    await pushFixture(fixturePaths().busybox, "latest", reg.host, {
      repo: "alltags",
      destTag: "two",
    });
    const r = await skiff(["pull", "-a", "-q", `${reg.host}/alltags`], store);
    assertEquals(r.code, 0, r.stderr);
    const tags = await skiff(["images", "--format", "{{.Tag}}", `${reg.host}/alltags`], store);
    assertEquals(tags.stdout.trim().split("\n").sort(), ["one", "two"]);
    const bad = await skiff(["pull", "-a", `${reg.host}/alltags:one`], store);
    assertEquals(bad.code, 1);
    assertEquals(bad.stderr.trim(), "Error: tag can't be used with --all-tags/-a");
  } finally {
    await store.cleanup();
  }
});

Deno.test(
  "--pull=newer takes the registry's image when it changed, the local one offline",
  opts,
  async () => {
    const reg = await setup();
    const store = await tempStore();
    try {
      await pushFixture(fixturePaths().busybox, "latest", reg.host, { repo: "newer" });
      const name = `${reg.host}/newer`;
      assertEquals((await skiff(["pull", "-q", name], store)).code, 0);
      const id = async () =>
        (await skiff(["image", "inspect", "-f", "{{.Id}}", name], store)).stdout.trim();
      const first = await id();
      // the tag moves to another image in the registry
      await pushFixture(fixturePaths().multilayer, "latest", reg.host, { repo: "newer" });
      const created = async (policy: string) => {
        const r = await skiff(["create", `--pull=${policy}`, name, "true"], store);
        assertEquals(r.code, 0, r.stderr);
        assert(!r.stderr.includes("Unable to find image"), r.stderr);
        const image = await skiff(["inspect", "-f", "{{.Image}}", r.stdout.trim()], store);
        return image.stdout.trim();
      };
      assertEquals(await created("missing"), first, "missing pulled although the image is local");
      const second = await created("newer");
      assert(second !== first, "newer kept the local image although the registry's differs");
      assertEquals(await id(), second, "the tag was not moved to the pulled image");
      assertEquals(await created("newer"), second);
      // a registry that cannot answer: the local image, no error
      assertEquals((await skiff(["tag", name, "127.0.0.1:1/offline"], store)).code, 0);
      const offline = await skiff(["create", "--pull=newer", "127.0.0.1:1/offline", "true"], store);
      assertEquals([offline.code, offline.stderr], [0, ""]);
      const bad = await skiff(["create", "--pull=sometimes", name, "true"], store);
      assertEquals(bad.code, 125);
      assertStringIncludes(bad.stderr, 'invalid pull policy "sometimes"');
    } finally {
      await store.cleanup();
    }
  },
);

// The shared registry is stopped, and its storage removed, before the test run ends (an
// "unload" listener could not wait for it).
Deno.test.afterAll(async () => {
  await registry?.stop();
});
