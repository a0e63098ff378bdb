/**
 * `save`, `load` and `import` in the engine: per-name reports, formats, atomic output, import
 * sources.
 */
import { assertEquals, assertRejects, assertThrows } from "../helpers/assert.ts";
import { addImage, tempEngineStore } from "../helpers/fake_images.ts";
import { parseArchiveFormat, saveImages, writeArchiveFile } from "../../src/engine/image_save.ts";
import { loadImages } from "../../src/engine/image_load.ts";
import { importImage, importTag } from "../../src/engine/image_import.ts";
import { openInputFile } from "../../src/engine/image_input.ts";
import { InvalidArgumentError, UnavailableError } from "../../src/errors.ts";
import { encodeTarHeader, tarPadding } from "../../src/image/tar_write.ts";
import { readImageConfig } from "../../src/image/views.ts";
import { listImages, readTags } from "../../src/store/images.ts";

Deno.test("save: one report per name; no archive unless every name is found", async () => {
  const { where, store, cleanup } = await tempEngineStore();
  try {
    const img = await addImage(store, { tags: ["docker.io/library/app:1"] });
    const bad = await saveImages(where, ["app:1", "nope", "other:2"], "docker-archive");
    assertEquals(bad.reports.map((r) => r.ok ? r.value : r.error.message), [
      img.id,
      "No such image: nope",
      "No such image: other:2",
    ]);
    assertEquals(bad.archive, undefined);
  } finally {
    await cleanup();
  }
});

Deno.test("save then load: the image and its name come back, in both formats", async () => {
  const from = await tempEngineStore();
  const to = await tempEngineStore();
  try {
    const img = await addImage(from.store, { tags: ["docker.io/library/app:1"] });
    for (const format of ["docker-archive", "oci-archive"] as const) {
      const { reports, archive } = await saveImages(from.where, ["app:1"], format);
      assertEquals(reports, [{ target: "app:1", ok: true, value: img.id }]);
      const loaded = await loadImages(to.where, archive!);
      assertEquals(loaded, [{ id: img.id, names: ["app:1"] }]);
    }
  } finally {
    await from.cleanup();
    await to.cleanup();
  }
});

Deno.test("writeArchiveFile: a failed stream leaves no file, a good one replaces it whole", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/out.tar`;
    await Deno.writeTextFile(path, "old");
    const failing = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new Uint8Array([1, 2]));
        c.error(new Error("disk on fire"));
      },
    });
    await assertRejects(() => writeArchiveFile(path, failing), Error);
    assertEquals(await Deno.readTextFile(path), "old");
    assertEquals((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name), ["out.tar"]);
    await writeArchiveFile(path, ReadableStream.from([new TextEncoder().encode("new")]));
    assertEquals(await Deno.readTextFile(path), "new");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("archive options: formats, import tags and missing input files", async () => {
  assertEquals(parseArchiveFormat(undefined), "docker-archive");
  assertEquals(parseArchiveFormat("oci-archive"), "oci-archive");
  assertEquals(
    assertThrows(() => parseArchiveFormat("tar"), InvalidArgumentError).message,
    'unsupported format "tar": expected docker-archive or oci-archive',
  );
  assertEquals(importTag(undefined), undefined);
  assertEquals(importTag("localhost:5000/x:2"), "localhost:5000/x:2");
  assertThrows(() => importTag(`x@sha256:${"a".repeat(64)}`), InvalidArgumentError);
  const missing = await assertRejects(
    () => openInputFile("/nonexistent/x.tar"),
    InvalidArgumentError,
  );
  assertEquals(missing.message, "open /nonexistent/x.tar: no such file or directory");
  const { where, cleanup } = await tempEngineStore();
  try {
    const bad = await assertRejects(
      () => importImage(where, { source: "/nonexistent/rootfs.tar" }),
      InvalidArgumentError,
    );
    assertEquals(bad.message, "open /nonexistent/rootfs.tar: no such file or directory");
    await assertRejects(
      () => importImage(where, { source: "-", platform: "linux/nonsense/x/y" }),
      InvalidArgumentError,
    );
  } finally {
    await cleanup();
  }
});

/** A tar archive of regular files. */
function tarOf(files: Record<string, string>): Uint8Array<ArrayBuffer> {
  const parts: Uint8Array[] = [];
  for (const [name, text] of Object.entries(files)) {
    const data = new TextEncoder().encode(text);
    parts.push(
      encodeTarHeader({ name, type: "file", mode: 0o644, size: data.length, mtime: 0 }),
      data,
      tarPadding(data.length),
    );
  }
  parts.push(new Uint8Array(1024));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** A tar archive holding one file. */
function oneFileTar(name: string, text: string): Uint8Array<ArrayBuffer> {
  return tarOf({ [name]: text });
}

Deno.test("import: a file or standard input becomes a tagged one-layer image", async () => {
  const { where, store, cleanup } = await tempEngineStore();
  const dir = await Deno.makeTempDir();
  try {
    const tar = oneFileTar("hello.txt", "hello\n");
    await Deno.writeFile(`${dir}/rootfs.tar`, tar);
    const rec = await importImage(where, {
      source: `${dir}/rootfs.tar`,
      tag: importTag("mine:1"),
      changes: ['CMD ["/hello"]'],
      message: "from a test",
    });
    assertEquals(rec.layers.length, 1);
    assertEquals((await readTags(store))["docker.io/library/mine:1"], rec.id);
    const config = await readImageConfig(store, rec);
    assertEquals(config.config?.Cmd, ["/hello"]);
    assertEquals(config.history?.[0].comment, "from a test");
    const fromStdin = await importImage(where, {
      source: "-",
      stdin: () => ReadableStream.from([tar]),
    });
    assertEquals(fromStdin.layers[0].diffId, rec.layers[0].diffId);
    const history = (await readImageConfig(store, fromStdin)).history ?? [];
    assertEquals(history[0].comment, "Imported from -");
  } finally {
    await Deno.remove(dir, { recursive: true });
    await cleanup();
  }
});

Deno.test("import: from an http URL; a missing one is an HTTP error", async () => {
  const { where, store, cleanup } = await tempEngineStore();
  const tar = oneFileTar("etc/motd", "hi\n");
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) =>
      new URL(req.url).pathname === "/rootfs.tar"
        ? new Response(tar)
        : new Response("no", { status: 404 }),
  );
  try {
    const base = `http://127.0.0.1:${server.addr.port}`;
    const rec = await importImage(where, { source: `${base}/rootfs.tar`, tag: importTag("web") });
    assertEquals((await readTags(store))["docker.io/library/web:latest"], rec.id);
    const err = await assertRejects(
      () => importImage(where, { source: `${base}/missing.tar` }),
      UnavailableError,
    );
    assertEquals(err.message, `cannot fetch ${base}/missing.tar: HTTP 404`);
  } finally {
    await server.shutdown();
    await cleanup();
  }
});

Deno.test("save by id: the image goes without a name and loads untagged", async () => {
  const from = await tempEngineStore();
  const to = await tempEngineStore();
  try {
    const img = await addImage(from.store, { tags: ["docker.io/library/app:1"] });
    const short = img.id.slice(7, 19);
    const { reports, archive } = await saveImages(from.where, [short], "docker-archive");
    assertEquals(reports, [{ target: short, ok: true, value: img.id }]);
    assertEquals(await loadImages(to.where, archive!), [{ id: img.id, names: [] }]);
    assertEquals(await readTags(to.store), {});
  } finally {
    await from.cleanup();
    await to.cleanup();
  }
});

Deno.test("load: an archive naming a path outside itself is refused; nothing is stored", async () => {
  const { where, store, cleanup } = await tempEngineStore();
  try {
    const archive = tarOf({
      "manifest.json": JSON.stringify([{
        Config: "../../../etc/passwd",
        RepoTags: ["evil:latest"],
        Layers: [],
      }]),
    });
    const err = await assertRejects(
      () => loadImages(where, ReadableStream.from([archive])),
      InvalidArgumentError,
    );
    assertEquals(err.message, 'invalid archive: path "../../../etc/passwd" contains ".."');
    assertEquals(await readTags(store), {});
    assertEquals(await listImages(store), []);
  } finally {
    await cleanup();
  }
});
