/**
 * Pushing to real registries (Debian's docker-registry on loopback): images
 * pulled by skiff from skopeo-pushed fixtures are pushed elsewhere and read
 * back with skopeo, so push is not only checked by skiff's own pull.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { type RunningRegistry, startRegistry } from "../helpers/registry.ts";
import { ensureFixtures, fixturePaths, pushFixture } from "../helpers/fixtures.ts";
import { skiff, tempStore } from "../helpers/skiff.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };
let source: RunningRegistry | undefined;

async function setup(): Promise<RunningRegistry> {
  if (source) return source;
  await ensureFixtures();
  source = await startRegistry();
  await pushFixture(fixturePaths().multilayer, "latest", source.host, { repo: "multi" });
  return source;
}

async function skopeo(args: string[]): Promise<string> {
  const out = await new Deno.Command("skopeo", { args, stdout: "piped", stderr: "piped" })
    .output();
  const td = new TextDecoder();
  if (!out.success) throw new Error(`skopeo ${args.join(" ")}: ${td.decode(out.stderr)}`);
  return td.decode(out.stdout);
}

async function sha256(text: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return "sha256:" + [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test(
  "push to another registry: same layers, same manifest digest; then already exists, then mounts",
  opts,
  async () => {
    const src = await setup();
    const dest = await startRegistry();
    const store = await tempStore();
    try {
      const pulled = await skiff(["pull", "-q", `${src.host}/multi`], store);
      assertEquals(pulled.code, 0, pulled.stderr);
      const original = await skopeo([
        "inspect",
        "--raw",
        "--tls-verify=false",
        `docker://${src.host}/multi:latest`,
      ]);
      const originalDigest = await sha256(original);

      const target = `${dest.host}/copy:v1`;
      assertEquals((await skiff(["tag", `${src.host}/multi`, target], store)).code, 0);
      const first = await skiff(["push", target], store);
      assertEquals(first.code, 0, first.stderr);
      assertStringIncludes(first.stdout, `The push refers to repository [${dest.host}/copy]`);
      assertStringIncludes(first.stdout, ": Pushed");
      assertStringIncludes(first.stdout, `v1: digest: ${originalDigest} size: ${original.length}`);

      const inspected = JSON.parse(
        await skopeo(["inspect", "--tls-verify=false", `docker://${target}`]),
      );
      const srcInspected = JSON.parse(
        await skopeo(["inspect", "--tls-verify=false", `docker://${src.host}/multi:latest`]),
      );
      assertEquals(inspected.Digest, originalDigest);
      assertEquals(inspected.Layers, srcInspected.Layers);
      assertEquals(inspected.Layers.length, 3);

      const again = await skiff(["push", target], store);
      assertEquals(again.code, 0, again.stderr);
      assertEquals(
        again.stdout.split("\n").filter((l) => l.endsWith("Layer already exists")).length,
        3,
      );
      assert(!again.stdout.includes(": Pushed"), again.stdout);

      const other = `${dest.host}/elsewhere:v2`;
      assertEquals((await skiff(["tag", target, other], store)).code, 0);
      const mounted = await skiff(["push", other], store);
      assertEquals(mounted.code, 0, mounted.stderr);
      assertEquals(
        mounted.stdout.split("\n").filter((l) => l.endsWith("Mounted from copy")).length,
        3,
        mounted.stdout,
      );

      const digests = await skiff([
        "images",
        "--digests",
        "--format",
        "{{.Repository}} {{.Digest}}",
      ], store);
      assertStringIncludes(digests.stdout, `${dest.host}/copy ${originalDigest}`);
      assertStringIncludes(digests.stdout, `${dest.host}/elsewhere ${originalDigest}`);

      const quiet = await skiff(["push", "-q", other], store);
      assertEquals(quiet.code, 0, quiet.stderr);
      assertEquals(quiet.stdout, `${other}\n`);
    } finally {
      await store.cleanup();
      await dest.stop();
    }
  },
);

Deno.test("push then pull into a fresh store gives the same image id", opts, async () => {
  const src = await setup();
  const dest = await startRegistry();
  const a = await tempStore();
  const b = await tempStore();
  try {
    assertEquals((await skiff(["pull", "-q", `${src.host}/multi`], a)).code, 0);
    const target = `${dest.host}/round/trip:1`;
    assertEquals((await skiff(["tag", `${src.host}/multi`, target], a)).code, 0);
    const pushed = await skiff(["push", target], a);
    assertEquals(pushed.code, 0, pushed.stderr);
    const pulled = await skiff(["pull", "-q", target], b);
    assertEquals(pulled.code, 0, pulled.stderr);
    const idA = await skiff(["image", "inspect", "--format", "{{.Id}}", target], a);
    const idB = await skiff(["image", "inspect", "--format", "{{.Id}}", target], b);
    assertEquals(idB.stdout, idA.stdout);
    assert(idA.stdout.startsWith("sha256:"), idA.stdout);
  } finally {
    await a.cleanup();
    await b.cleanup();
    await dest.stop();
  }
});

Deno.test("push regenerates a layer whose blob is gone from the store", opts, async () => {
  const src = await setup();
  const dest = await startRegistry();
  const a = await tempStore();
  const b = await tempStore();
  try {
    assertEquals((await skiff(["pull", "-q", `${src.host}/multi`], a)).code, 0);
    const inspect = JSON.parse(
      await skopeo(["inspect", "--tls-verify=false", `docker://${src.host}/multi:latest`]),
    );
    const top: string = inspect.Layers[2];
    await Deno.remove(`${a.root}/blobs/sha256/${top.slice(7)}`);
    const target = `${dest.host}/regen:1`;
    assertEquals((await skiff(["tag", `${src.host}/multi`, target], a)).code, 0);
    const pushed = await skiff(["push", target], a);
    assertEquals(pushed.code, 0, pushed.stderr);
    const copy = JSON.parse(await skopeo(["inspect", "--tls-verify=false", `docker://${target}`]));
    assertEquals(copy.Layers.length, 3);
    assertEquals(copy.Layers.slice(0, 2), inspect.Layers.slice(0, 2));
    const pulled = await skiff(["pull", "-q", target], b);
    assertEquals(pulled.code, 0, pulled.stderr);
    // The pull verified every digest and diff ID of the rewritten manifest and config.
    assertEquals(pulled.stdout, `${target}\n`);
  } finally {
    await a.cleanup();
    await b.cleanup();
    await dest.stop();
  }
});

Deno.test("push of an image made by skiff import", opts, async () => {
  const store = await tempStore();
  const dest = await startRegistry();
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/hello.txt`, "hello\n");
    const tar = await new Deno.Command("tar", {
      args: ["-C", dir, "-cf", `${dir}.tar`, "hello.txt"],
    })
      .output();
    assert(tar.success);
    const target = `${dest.host}/imported:1`;
    const imported = await skiff(["import", `${dir}.tar`, target], store);
    assertEquals(imported.code, 0, imported.stderr);
    const pushed = await skiff(["push", target], store);
    assertEquals(pushed.code, 0, pushed.stderr);
    const copy = JSON.parse(await skopeo(["inspect", "--tls-verify=false", `docker://${target}`]));
    assertEquals(copy.Layers.length, 1);
    const fresh = await tempStore();
    try {
      assertEquals((await skiff(["pull", "-q", target], fresh)).code, 0);
      const ids = await Promise.all(
        [store, fresh].map((s) => skiff(["image", "inspect", "--format", "{{.Id}}", target], s)),
      );
      assertEquals(ids[1].stdout, ids[0].stdout);
    } finally {
      await fresh.cleanup();
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.remove(`${dir}.tar`).catch(() => {});
    await store.cleanup();
    await dest.stop();
  }
});

Deno.test("push errors are one line with exit 1", opts, async () => {
  const src = await setup();
  const store = await tempStore();
  try {
    const unknown = await skiff(["push", `${src.host}/nothing:here`], store);
    assertEquals(unknown.code, 1);
    assertEquals(
      unknown.stderr,
      `Error: An image does not exist locally with the tag: ${src.host}/nothing:here\n`,
    );
    assertEquals((await skiff(["pull", "-q", `${src.host}/multi`], store)).code, 0);
    // A port nothing listens on.
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    const down = `127.0.0.1:${port}/multi:latest`;
    assertEquals((await skiff(["tag", `${src.host}/multi`, down], store)).code, 0);
    const r = await skiff(["push", down], store);
    assertEquals(r.code, 1);
    assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
    assertStringIncludes(r.stderr, "Error: ");
    assertStringIncludes(r.stderr, `127.0.0.1:${port}`);
  } finally {
    await store.cleanup();
  }
});

Deno.test("search lists a registry's repositories that contain the term", opts, async () => {
  const src = await setup();
  const store = await tempStore();
  try {
    assertEquals((await skiff(["pull", "-q", `${src.host}/multi`], store)).code, 0);
    for (const name of ["searchme/alpha", "searchme/beta", "unrelated"]) {
      assertEquals(
        (await skiff(["tag", `${src.host}/multi`, `${src.host}/${name}:1`], store)).code,
        0,
      );
      const p = await skiff(["push", "-q", `${src.host}/${name}:1`], store);
      assertEquals(p.code, 0, p.stderr);
    }
    const table = await skiff(["search", `${src.host}/searchme`], store);
    assertEquals(table.code, 0, table.stderr);
    const lines = table.stdout.trim().split("\n");
    assertEquals(lines[0].split(/\s+/), ["NAME", "DESCRIPTION", "STARS", "OFFICIAL"]);
    assertEquals(lines.slice(1).map((l) => l.split(/\s+/)[0]), [
      `${src.host}/searchme/alpha`,
      `${src.host}/searchme/beta`,
    ]);
    const limited = await skiff([
      "search",
      "--limit",
      "1",
      "--format",
      "{{.Name}}",
      `${src.host}/searchme`,
    ], store);
    assertEquals(limited.stdout, `${src.host}/searchme/alpha\n`);
    const json = await skiff(["search", "--format", "json", `${src.host}/unrel`], store);
    assertEquals(JSON.parse(json.stdout).Name, `${src.host}/unrelated`);
    // Docker Hub: a table when reachable, else one clear line.
    const hub = await skiff(["search", "--limit", "3", "busybox"], store);
    if (hub.code === 0) {
      assertStringIncludes(hub.stdout, "NAME");
    } else {
      assertEquals(hub.code, 1);
      assertEquals(hub.stderr.trim().split("\n").length, 1, hub.stderr);
      assertStringIncludes(hub.stderr, "Error: cannot search Docker Hub (index.docker.io): ");
    }
    const bad = await skiff(["search", "--limit", "500", "x"], store);
    assertEquals(bad.code, 1);
    assertEquals(bad.stderr, "Error: limit 500 is outside the range of [1, 100]\n");
  } finally {
    await store.cleanup();
  }
});

Deno.test({
  name: "stop the shared source registry",
  ...opts,
  fn: async () => {
    await source?.stop();
  },
});
