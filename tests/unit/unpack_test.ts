/**
 * Layer unpacking: safety against malicious tars, whiteouts, compression
 * formats, and a many-file layer. Run as root (devices, owners, trusted.* xattrs).
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../helpers/assert.ts";
import { buildTar, maliciousLayers } from "../fixtures/tar/build.ts";
import { cleanEntryPath, unpackLayer } from "../../src/image/unpack.ts";
import { compressGzip, decompressStream, sniffCompression } from "../../src/image/decompress.ts";
import { InvalidArgumentError } from "../../src/errors.ts";
import { lgetxattr } from "../../src/sys/fs.ts";
import { skipUnless } from "../helpers/requires.ts";

const isRoot = Deno.uid() === 0;

function streamOf(bytes: Uint8Array, chunk = 7000): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream({
    pull(c) {
      if (off >= bytes.length) return c.close();
      c.enqueue(bytes.slice(off, off + chunk));
      off += chunk;
    },
  });
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return "sha256:" + Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

async function withScratch(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "skiff-unpack-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("cleanEntryPath strips leading slashes and refuses escapes", () => {
  assertEquals(cleanEntryPath("/a/./b//c/"), ["a", "b", "c"]);
  assertEquals(cleanEntryPath("./a/x/../b"), ["a", "b"]);
  assertEquals(cleanEntryPath("./"), []);
  for (const bad of ["../x", "a/../../x", "/.."]) {
    let threw = false;
    try {
      cleanEntryPath(bad);
    } catch (err) {
      threw = err instanceof InvalidArgumentError;
    }
    assert(threw, `${bad} must be refused`);
  }
});

for (const layer of maliciousLayers("OUTSIDE")) {
  Deno.test(`unpackLayer refuses a malicious layer: ${layer.name}`, async () => {
    await withScratch(async (scratch) => {
      const dest = `${scratch}/dest`;
      await Deno.mkdir(dest);
      await Deno.mkdir(`${scratch}/target`);
      await Deno.writeTextFile(`${scratch}/target/secret`, "secret");
      const { entries, target } = maliciousLayers(scratch).find((l) => l.name === layer.name)!;
      const tar = await buildTar(entries);
      const err = await assertRejects(() => unpackLayer(streamOf(tar), dest), InvalidArgumentError);
      assertStringIncludes(err.message, "Layer entry");
      assert(!err.message.includes("\n"), "one-line message");
      assert(!exists(target), `${target} must not exist`);
      assert(!exists(`${scratch}/x`), "nothing next to dest");
      assertEquals(Array.from(Deno.readDirSync(`${scratch}/target`)).map((e) => e.name), [
        "secret",
      ]);
    });
  });
}

Deno.test("unpackLayer: a whiteout never follows a symlink", async () => {
  await withScratch(async (scratch) => {
    const dest = `${scratch}/dest`;
    await Deno.mkdir(dest);
    await Deno.mkdir(`${scratch}/target`);
    await Deno.writeTextFile(`${scratch}/target/secret`, "secret");
    const tar = await buildTar([
      { name: "evil", type: "symlink", linkname: `${scratch}/target` },
      { name: "evil/.wh.secret", data: "" },
    ]);
    await assertRejects(() => unpackLayer(streamOf(tar), dest), InvalidArgumentError);
    assertEquals(await Deno.readTextFile(`${scratch}/target/secret`), "secret");
  });
});

Deno.test("unpackLayer: symlinks are stored as-is, and later entries replace earlier ones", async () => {
  await withScratch(async (dest) => {
    const tar = await buildTar([
      { name: "/etc/", type: "directory" },
      { name: "etc/abs", type: "symlink", linkname: "/etc/passwd" },
      { name: "etc/up", type: "symlink", linkname: "../../../../x" },
      { name: "etc/f", data: "one" },
      { name: "etc/f", data: "two" },
      { name: "etc/d/", type: "directory" },
      { name: "etc/d/inner", data: "gone" },
      { name: "etc/d", data: "now a file" },
      { name: "etc/s", data: "was a file" },
      { name: "etc/s", type: "symlink", linkname: "f" },
      { name: "etc/s/", type: "directory" },
    ]);
    await unpackLayer(streamOf(tar), dest);
    assertEquals(await Deno.readLink(`${dest}/etc/abs`), "/etc/passwd");
    assertEquals(await Deno.readLink(`${dest}/etc/up`), "../../../../x");
    assertEquals(await Deno.readTextFile(`${dest}/etc/f`), "two");
    assertEquals(await Deno.readTextFile(`${dest}/etc/d`), "now a file");
    assert((await Deno.lstat(`${dest}/etc/s`)).isDirectory, "dir replaced the symlink");
    assertEquals(await Deno.readTextFile(`${dest}/etc/f`), "two");
  });
});

Deno.test("unpackLayer: hard links within the layer, also to symlinks", async () => {
  await withScratch(async (dest) => {
    const tar = await buildTar([
      { name: "a/f", data: "data", mode: 0o600 },
      { name: "b/h", type: "link", linkname: "a/f" },
      { name: "a/s", type: "symlink", linkname: "/nowhere" },
      { name: "hs", type: "link", linkname: "/a/s" },
    ]);
    const { contentSize } = await unpackLayer(streamOf(tar), dest);
    // a hard link is counted once, as a walk of the directory counts an inode
    assertEquals(contentSize, "data".length + "/nowhere".length);
    const f = await Deno.lstat(`${dest}/a/f`), h = await Deno.lstat(`${dest}/b/h`);
    assertEquals(f.ino, h.ino);
    assertEquals(f.nlink, 2);
    assertEquals(await Deno.readLink(`${dest}/hs`), "/nowhere");
    assertEquals((await Deno.lstat(`${dest}/hs`)).ino, (await Deno.lstat(`${dest}/a/s`)).ino);
  });
});

Deno.test("unpackLayer: a hard link to a missing file is refused", async () => {
  await withScratch(async (dest) => {
    const tar = await buildTar([{ name: "h", type: "link", linkname: "missing" }]);
    const err = await assertRejects(() => unpackLayer(streamOf(tar), dest), InvalidArgumentError);
    assertStringIncludes(err.message, '"h"');
  });
});

Deno.test({
  name: "unpackLayer: OCI whiteouts become overlay whiteouts and opaque dirs",
  ignore: skipUnless(isRoot),
  fn: async () => {
    await withScratch(async (dest) => {
      await Deno.mkdir(`${dest}/a/old`, { recursive: true });
      await Deno.writeTextFile(`${dest}/a/old/file`, "x");
      const tar = await buildTar([
        { name: "a/", type: "directory" },
        { name: "a/.wh.old", data: "" },
        { name: "a/.wh.never", data: "" },
        { name: "o/", type: "directory" },
        { name: "o/kept", data: "k" },
        { name: "o/.wh..wh..opq", data: "" },
      ]);
      await unpackLayer(streamOf(tar), dest);
      for (const p of ["a/old", "a/never"]) {
        const info = await Deno.lstat(`${dest}/${p}`);
        assert(info.isCharDevice, `${p} is a char device`);
        assertEquals(info.rdev, 0);
      }
      assert(!exists(`${dest}/a/.wh.old`));
      assert(!exists(`${dest}/o/.wh..wh..opq`));
      assertEquals(lgetxattr(`${dest}/o`, "trusted.overlay.opaque"), new TextEncoder().encode("y"));
      assertEquals(await Deno.readTextFile(`${dest}/o/kept`), "k");
    });
  },
});

Deno.test("unpackLayer: rootless opaque dirs use user.overlay.opaque when asked", async () => {
  await withScratch(async (dest) => {
    const tar = await buildTar([{ name: "o/.wh..wh..opq", data: "" }]);
    await unpackLayer(streamOf(tar), dest, { overlayXattrPrefix: "user.", chown: false });
    assertEquals(lgetxattr(`${dest}/o`, "user.overlay.opaque"), new TextEncoder().encode("y"));
  });
});

Deno.test("unpackLayer: truncated tar is an InvalidArgumentError", async () => {
  await withScratch(async (dest) => {
    const tar = await buildTar([{ name: "big", data: new Uint8Array(10000) }]);
    const err = await assertRejects(
      () => unpackLayer(streamOf(tar.slice(0, 3000)), dest),
      InvalidArgumentError,
    );
    assertStringIncludes(err.message, "Invalid layer tar");
  });
});

async function zstdCompress(data: Uint8Array): Promise<Uint8Array> {
  const child = new Deno.Command("zstd", { args: ["-q", "-c"], stdin: "piped", stdout: "piped" })
    .spawn();
  const w = child.stdin.getWriter();
  await w.write(data);
  await w.close();
  const out = await child.output();
  assert(out.success, "zstd ran");
  return out.stdout;
}

async function gzipCli(data: Uint8Array): Promise<Uint8Array> {
  const child = new Deno.Command("gzip", { args: ["-c"], stdin: "piped", stdout: "piped" }).spawn();
  const w = child.stdin.getWriter();
  await w.write(data);
  await w.close();
  return (await child.output()).stdout;
}

Deno.test("decompressStream: plain, gzip, multi-member gzip and zstd", async () => {
  const tar = await buildTar([
    { name: "f", data: "hello" },
    { name: "g", data: new Uint8Array(200_000).fill(7) },
  ]);
  const half = tar.length / 2;
  const multi = new Uint8Array([
    ...await gzipCli(tar.slice(0, half)),
    ...await gzipCli(tar.slice(half)),
  ]);
  const webGzip = new Uint8Array(
    await new Response(compressGzip(streamOf(tar))).arrayBuffer(),
  );
  const zstd = await zstdCompress(tar);
  const inputs: [string, Uint8Array, string][] = [
    ["plain", tar, "none"],
    ["gzip", await gzipCli(tar), "gzip"],
    ["multi-member gzip", multi, "gzip"],
    ["compressGzip", webGzip, "gzip"],
    ["zstd", zstd, "zstd"],
  ];
  const expected = await sha256(tar);
  for (const [label, data, kind] of inputs) {
    assertEquals(sniffCompression(data), kind, label);
    await withScratch(async (dest) => {
      const { size, diffId, contentSize } = await unpackLayer(
        await decompressStream(streamOf(data, 1)),
        dest,
      );
      assertEquals(size, tar.length, label);
      // the files' sizes, not the tar's length (Docker's layer size)
      assertEquals(contentSize, 5 + 200_000, label);
      assertEquals(diffId, expected, label);
      assertEquals(await Deno.readTextFile(`${dest}/f`), "hello", label);
      assertEquals((await Deno.stat(`${dest}/g`)).size, 200_000, label);
    });
  }
});

Deno.test("decompressStream: corrupt gzip errors the stream", async () => {
  const bad = new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8]);
  await withScratch(async (dest) => {
    await assertRejects(
      async () => unpackLayer(await decompressStream(streamOf(bad)), dest),
      InvalidArgumentError,
    );
  });
});

Deno.test("unpackLayer: 5000 small files", async () => {
  const entries = [];
  for (let d = 0; d < 50; d++) {
    entries.push({ name: `d${d}/`, type: "directory" as const });
    for (let f = 0; f < 100; f++) entries.push({ name: `d${d}/f${f}`, data: `file ${d}/${f}` });
  }
  const tar = await buildTar(entries);
  await withScratch(async (dest) => {
    const start = performance.now();
    await unpackLayer(streamOf(tar, 65536), dest);
    const ms = performance.now() - start;
    console.log(`  5000 files, ${tar.length} bytes: ${ms.toFixed(0)} ms`);
    assertEquals(await Deno.readTextFile(`${dest}/d49/f99`), "file 49/99");
  });
});

Deno.test("unpackLayer: directory times never reach through a later symlink", async () => {
  await withScratch(async (scratch) => {
    const dest = `${scratch}/dest`;
    await Deno.mkdir(dest);
    await Deno.mkdir(`${scratch}/target/b`, { recursive: true });
    const before = (await Deno.lstat(`${scratch}/target/b`)).mtime!.getTime();
    const tar = await buildTar([
      { name: "a/", type: "directory" },
      { name: "a/b/", type: "directory", mtime: new Date(1_000_000_000) },
      { name: "a", type: "symlink", linkname: `${scratch}/target` },
    ]);
    await unpackLayer(streamOf(tar), dest);
    assertEquals(await Deno.readLink(`${dest}/a`), `${scratch}/target`);
    assertEquals((await Deno.lstat(`${scratch}/target/b`)).mtime!.getTime(), before);
  });
});

Deno.test("unpackLayer: overlay xattrs in a layer are dropped, others kept", async () => {
  await withScratch(async (dest) => {
    const tar = await buildTar([{
      name: "d/",
      type: "directory",
      pax: {
        "SCHILY.xattr.trusted.overlay.redirect": "/etc",
        "SCHILY.xattr.user.overlay.opaque": "y",
        "SCHILY.xattr.user.ok": "1",
      },
    }]);
    await unpackLayer(streamOf(tar), dest);
    assertEquals(lgetxattr(`${dest}/d`, "trusted.overlay.redirect"), undefined);
    assertEquals(lgetxattr(`${dest}/d`, "user.overlay.opaque"), undefined);
    assertEquals(lgetxattr(`${dest}/d`, "user.ok"), new TextEncoder().encode("1"));
  });
});

async function gnuTar(src: string, ...args: string[]): Promise<Uint8Array> {
  const out = await new Deno.Command("tar", {
    args: [...args, "-cf", "-", "-C", src, "."],
    stdout: "piped",
  }).output();
  assert(out.success, "GNU tar ran");
  return out.stdout;
}

Deno.test("unpackLayer: GNU long names and link targets, and a global PAX header", async () => {
  await withScratch(async (scratch) => {
    const src = `${scratch}/src`;
    const long = `${"d".repeat(120)}/${"e".repeat(120)}`;
    await Deno.mkdir(`${src}/${long}`, { recursive: true });
    await Deno.writeTextFile(`${src}/${long}/${"f".repeat(150)}`, "deep");
    await Deno.symlink("t".repeat(200), `${src}/s`);
    await Deno.link(`${src}/${long}/${"f".repeat(150)}`, `${src}/h`);
    const gnu = await gnuTar(src, "--format=gnu");
    const pax = await gnuTar(src, "--format=pax", "--pax-option=uid=4242,gid=4343");
    for (const [label, tar] of [["gnu", gnu], ["pax", pax]] as const) {
      const dest = `${scratch}/${label}`;
      await Deno.mkdir(dest);
      await unpackLayer(streamOf(tar), dest);
      assertEquals(await Deno.readTextFile(`${dest}/${long}/${"f".repeat(150)}`), "deep", label);
      assertEquals(await Deno.readLink(`${dest}/s`), "t".repeat(200), label);
      const h = await Deno.lstat(`${dest}/h`);
      assertEquals(h.ino, (await Deno.lstat(`${dest}/${long}/${"f".repeat(150)}`)).ino, label);
      if (isRoot && label === "pax") assertEquals([h.uid, h.gid], [4242, 4343], "global uid, gid");
    }
  });
});

Deno.test("unpackLayer: the same tree whatever the chunk sizes", async () => {
  const entries = [
    { name: "a/", type: "directory" as const, mtime: new Date(1_500_000_000_000) },
    { name: "a/big", data: new Uint8Array(70_000).map((_, i) => i % 251) },
    { name: "a/empty", data: "" },
    { name: "a/l", type: "symlink" as const, linkname: "big" },
    { name: "x".repeat(180), data: "long", pax: { "SCHILY.xattr.user.k": "v" } },
    { name: "a/.wh.gone", data: "" },
  ];
  const tar = await buildTar(entries);
  const listings: string[] = [];
  for (const chunk of [1, 511, 512, 513, 100_000]) {
    await withScratch(async (dest) => {
      const { size, contentSize } = await unpackLayer(streamOf(tar, chunk), dest, { chown: false });
      assertEquals(size, tar.length);
      // files and symlink targets: 70000 + "big" + "long"; the empty file and whiteout add 0
      assertEquals(contentSize, 70_000 + 3 + 4);
      const big = await Deno.readFile(`${dest}/a/big`);
      assertEquals(big, entries[1].data as Uint8Array);
      assertEquals((await Deno.lstat(`${dest}/a`)).mtime!.getTime(), 1_500_000_000_000);
      assertEquals(
        lgetxattr(`${dest}/${"x".repeat(180)}`, "user.k"),
        new TextEncoder().encode("v"),
      );
      listings.push(Array.from(Deno.readDirSync(`${dest}/a`)).map((e) => e.name).sort().join());
    });
  }
  assert(listings.every((l) => l === listings[0]), listings.join(" | "));
});

Deno.test({
  name: "unpackLayer: owners go through the id maps; unmapped ids refuse the layer",
  ignore: skipUnless(isRoot),
  fn: async () => {
    const maps = {
      uidMappings: [{ containerID: 0, hostID: 200000, size: 1000 }],
      gidMappings: [{ containerID: 0, hostID: 300000, size: 1000 }],
    };
    await withScratch(async (dest) => {
      const tar = await buildTar([{ name: "d/f", data: "x", uid: 5, gid: 7 }]);
      await unpackLayer(streamOf(tar), dest, { chown: true, ...maps });
      const info = await Deno.lstat(`${dest}/d/f`);
      assertEquals([info.uid, info.gid], [200005, 300007]);
    });
    await withScratch(async (dest) => {
      const tar = await buildTar([{ name: "f", data: "x", uid: 5000 }]);
      const err = await assertRejects(
        () => unpackLayer(streamOf(tar), dest, { chown: true, ...maps }),
        InvalidArgumentError,
      );
      assertStringIncludes(err.message, 'Layer entry "f": uid 5000 is not in the id map');
    });
  },
});

Deno.test("unpackLayer: a corrupt header is an InvalidArgumentError", async () => {
  await withScratch(async (dest) => {
    const tar = await buildTar([{ name: "a", data: "1" }, { name: "b", data: "2" }]);
    tar[1024 + 10] ^= 0xff; // inside the second header's name
    const err = await assertRejects(() => unpackLayer(streamOf(tar), dest), InvalidArgumentError);
    assertStringIncludes(err.message, "Invalid layer tar");
    assert(!err.message.includes("\n"), "one-line message");
  });
});

Deno.test("unpackLayer: a directory replaced by a symlink is never written through", async () => {
  await withScratch(async (scratch) => {
    const dest = `${scratch}/dest`;
    await Deno.mkdir(dest);
    await Deno.mkdir(`${scratch}/target`);
    const tar = await buildTar([
      { name: "a/", type: "directory" },
      { name: "a/b/", type: "directory" },
      { name: "a/b/x", data: "in" },
      { name: "a", type: "symlink", linkname: `${scratch}/target` },
      { name: "a/b/y", data: "pwned" },
    ]);
    const err = await assertRejects(() => unpackLayer(streamOf(tar), dest), InvalidArgumentError);
    assertStringIncludes(err.message, 'Layer entry "a/b/y" goes through the symlink "a"');
    assertEquals(Array.from(Deno.readDirSync(`${scratch}/target`)), []);
  });
});
