/**
 * Tar writing: a round trip writeTar → unpackLayer keeps every kind of entry
 * and its metadata; GNU tar reads what we write; small in-memory archives.
 * Run as root (devices, owners).
 */
import { assert, assertEquals, assertRejects } from "../helpers/assert.ts";
import { unpackLayer } from "../../src/image/unpack.ts";
import { splitDev, writeTar, writeTarEntries } from "../../src/image/tar_write.ts";
import { lchown, lgetxattr, lsetxattr, lutimes, mknod } from "../../src/sys/fs.ts";

const isRoot = Deno.uid() === 0;
const T = 1_600_000_000;

async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function gnuTarList(tar: Uint8Array, ...args: string[]): Promise<string> {
  const child = new Deno.Command("tar", {
    args: ["-tv", "--numeric-owner", ...args, "-f", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(tar);
  await w.close();
  const out = await child.output();
  const err = new TextDecoder().decode(out.stderr);
  assert(out.success, `GNU tar failed: ${err}`);
  return new TextDecoder().decode(out.stdout);
}

/** A tree with every entry kind and unusual metadata. */
async function buildTree(root: string): Promise<void> {
  await Deno.mkdir(`${root}/d/sub`, { recursive: true });
  await Deno.writeTextFile(`${root}/d/f`, "hello");
  await Deno.chmod(`${root}/d/f`, 0o4755);
  lsetxattr(`${root}/d/f`, "user.bin", new Uint8Array([0, 0xff, 0x80, 10, 61]));
  lsetxattr(`${root}/d/f`, "user.text", new TextEncoder().encode("v=1 x"));
  await Deno.link(`${root}/d/f`, `${root}/d/hard`);
  await Deno.symlink("../d/f", `${root}/d/link`);
  await Deno.symlink("/etc/nowhere", `${root}/abs`);
  await Deno.mkdir(`${root}/tmp`);
  await Deno.chmod(`${root}/tmp`, 0o1777);
  await Deno.writeFile(`${root}/d/sub/big`, new Uint8Array(70_000).map((_, i) => i % 251));
  const long = `${"x".repeat(90)}/${"y".repeat(90)}/${"z".repeat(120)}`;
  await Deno.mkdir(`${root}/${long}`, { recursive: true });
  await Deno.writeTextFile(`${root}/${long}/file-with-a-long-path`, "long");
  await Deno.writeTextFile(`${root}/empty`, "");
  if (isRoot) {
    await Deno.mkdir(`${root}/dev`);
    mknod(`${root}/dev/null`, 0o020666, 1, 3);
    mknod(`${root}/dev/loop0`, 0o060660, 7, 0);
    mknod(`${root}/fifo`, 0o010644, 0, 0);
    lchown(`${root}/d`, 1000, 1001);
    lchown(`${root}/d/f`, 1000, 1000);
    await Deno.chmod(`${root}/d/f`, 0o4755); // chown cleared setuid
    lchown(`${root}/d/link`, 5, 6);
    lchown(`${root}/empty`, 3_000_000, 3_000_001); // beyond ustar's 7 octal digits
  }
  for (const p of ["d/f", "d/link", "abs", "empty", "d/sub/big", "tmp", "d/sub", "d"]) {
    lutimes(`${root}/${p}`, T, T + p.length);
  }
}

function sameMeta(a: Deno.FileInfo, b: Deno.FileInfo, path: string): void {
  assertEquals(b.mode, a.mode, `${path} mode`);
  assertEquals(b.uid, a.uid, `${path} uid`);
  assertEquals(b.gid, a.gid, `${path} gid`);
  assertEquals(b.isSymlink, a.isSymlink, `${path} symlink`);
  assertEquals(b.isDirectory, a.isDirectory, `${path} dir`);
  if (!a.isDirectory) assertEquals(b.size, a.size, `${path} size`);
  assertEquals(
    Math.floor(b.mtime!.getTime() / 1000),
    Math.floor(a.mtime!.getTime() / 1000),
    `${path} mtime`,
  );
  if (a.isCharDevice || a.isBlockDevice) assertEquals(b.rdev, a.rdev, `${path} rdev`);
}

async function* walk(root: string, rel = ""): AsyncGenerator<string> {
  for await (const e of Deno.readDir(rel ? `${root}/${rel}` : root)) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    yield p;
    if (e.isDirectory) yield* walk(root, p);
  }
}

Deno.test("writeTar → unpackLayer keeps files, links, devices, owners, modes, xattrs, mtimes", async () => {
  const src = await Deno.makeTempDir({ prefix: "skiff-tarw-" });
  const dest = await Deno.makeTempDir({ prefix: "skiff-tarw-" });
  try {
    await buildTree(src);
    const tar = await bytesOf(writeTar(src));
    const { size } = await unpackLayer(new Blob([tar as Uint8Array<ArrayBuffer>]).stream(), dest);
    assertEquals(size, tar.length);
    const paths = [];
    for await (const p of walk(src)) paths.push(p);
    const got = [];
    for await (const p of walk(dest)) got.push(p);
    assertEquals(got.sort(), paths.sort());
    for (const p of paths) {
      sameMeta(await Deno.lstat(`${src}/${p}`), await Deno.lstat(`${dest}/${p}`), p);
    }
    assertEquals(await Deno.readTextFile(`${dest}/d/f`), "hello");
    assertEquals(await Deno.readLink(`${dest}/d/link`), "../d/f");
    assertEquals(await Deno.readLink(`${dest}/abs`), "/etc/nowhere");
    assertEquals(await Deno.readFile(`${dest}/d/sub/big`), await Deno.readFile(`${src}/d/sub/big`));
    assertEquals((await Deno.lstat(`${dest}/d/hard`)).ino, (await Deno.lstat(`${dest}/d/f`)).ino);
    assertEquals(lgetxattr(`${dest}/d/f`, "user.bin"), new Uint8Array([0, 0xff, 0x80, 10, 61]));
    assertEquals(lgetxattr(`${dest}/d/f`, "user.text"), new TextEncoder().encode("v=1 x"));
    if (isRoot) {
      const info = await Deno.lstat(`${dest}/dev/null`);
      assert(info.isCharDevice);
      assertEquals(splitDev(info.rdev!), [1, 3]);
      assert((await Deno.lstat(`${dest}/dev/loop0`)).isBlockDevice);
      assert((await Deno.lstat(`${dest}/fifo`)).isFifo);
      assertEquals((await Deno.lstat(`${dest}/d/f`)).mode! & 0o7777, 0o4755);
    }
  } finally {
    await Deno.remove(src, { recursive: true });
    await Deno.remove(dest, { recursive: true });
  }
});

Deno.test("writeTar is deterministic, sorted, and GNU tar reads it", async () => {
  const src = await Deno.makeTempDir({ prefix: "skiff-tarw-" });
  try {
    await buildTree(src);
    const a = await bytesOf(writeTar(src, { prefix: "rootfs" }));
    const b = await bytesOf(writeTar(src, { prefix: "rootfs" }));
    assertEquals(a.length % 512, 0);
    assert(a.every((v, i) => v === b[i]) && a.length === b.length, "same bytes twice");
    const listing = await gnuTarList(a);
    const names = listing.trim().split("\n").map((l) => l.split(/\s+/).slice(5).join(" "));
    assertEquals(names[0], "rootfs/abs -> /etc/nowhere");
    assert(names.includes("rootfs/d/hard link to rootfs/d/f"), listing);
    assert(listing.includes("file-with-a-long-path"), "long names via PAX");
    if (isRoot) assert(listing.includes("3000000/3000001"), "large ids via PAX");
    const xattrs = await gnuTarList(a, "--xattrs", "--xattrs-include=*");
    assert(/^-rwsr-xr-x\* .* rootfs\/d\/f$/m.test(xattrs), `GNU tar sees the xattrs: ${xattrs}`);
  } finally {
    await Deno.remove(src, { recursive: true });
  }
});

Deno.test("writeTar excludes paths and everything below them", async () => {
  const src = await Deno.makeTempDir({ prefix: "skiff-tarw-" });
  try {
    await Deno.mkdir(`${src}/proc/1`, { recursive: true });
    await Deno.mkdir(`${src}/etc`);
    await Deno.writeTextFile(`${src}/etc/hosts`, "x");
    await Deno.writeTextFile(`${src}/etc/passwd`, "x");
    const listing = await gnuTarList(
      await bytesOf(writeTar(src, { excludes: ["/proc", "etc/hosts"] })),
    );
    const names = listing.trim().split("\n").map((l) => l.split(/\s+/).at(-1));
    assertEquals(names, ["etc/", "etc/passwd"]);
  } finally {
    await Deno.remove(src, { recursive: true });
  }
});

Deno.test("writeTarEntries builds small archives from data and streams", async () => {
  const blob = new Uint8Array(1000).fill(42);
  const tar = await bytesOf(writeTarEntries([
    { name: "blobs/sha256", type: "dir" },
    { name: "index.json", data: '{"schemaVersion":2}' },
    { name: "blobs/sha256/abc", stream: new Blob([blob]).stream(), size: 1000 },
    { name: "oci-layout", data: "{}", mode: 0o600, mtime: T },
  ]));
  const dest = await Deno.makeTempDir({ prefix: "skiff-tarw-" });
  try {
    await unpackLayer(new Blob([tar as Uint8Array<ArrayBuffer>]).stream(), dest, { chown: false });
    assertEquals(await Deno.readTextFile(`${dest}/index.json`), '{"schemaVersion":2}');
    assertEquals(await Deno.readFile(`${dest}/blobs/sha256/abc`), blob);
    const layout = await Deno.lstat(`${dest}/oci-layout`);
    assertEquals(layout.mode! & 0o777, 0o600);
    assertEquals(layout.mtime!.getTime(), T * 1000);
    const listing = await gnuTarList(tar);
    assert(listing.includes("blobs/sha256/abc"), listing);
  } finally {
    await Deno.remove(dest, { recursive: true });
  }
  await assertRejects(
    () => bytesOf(writeTarEntries([{ name: "x", stream: new Blob([blob]).stream(), size: 5 }])),
    Error,
  );
});

Deno.test("unpackLayer reads binary xattrs from a GNU tar archive", async () => {
  const src = await Deno.makeTempDir({ prefix: "skiff-tarw-" });
  const dest = await Deno.makeTempDir({ prefix: "skiff-tarw-" });
  try {
    const value = new Uint8Array([1, 0, 0, 2, 0xc3, 0x28, 0xff, 0xfe]);
    await Deno.writeTextFile(`${src}/cap`, "x");
    lsetxattr(`${src}/cap`, "user.binary", value);
    const out = await new Deno.Command("tar", {
      args: ["--xattrs", "--xattrs-include=*", "--format=pax", "-cf", "-", "-C", src, "."],
      stdout: "piped",
    }).output();
    assert(out.success, "GNU tar ran");
    await unpackLayer(new Blob([out.stdout]).stream(), dest);
    assertEquals(lgetxattr(`${dest}/cap`, "user.binary"), value);
  } finally {
    await Deno.remove(src, { recursive: true });
    await Deno.remove(dest, { recursive: true });
  }
});

Deno.test("a tree changed while it is archived never leads the archive outside it", async () => {
  const base = await Deno.makeTempDir({ prefix: "skiff-tarswap-" });
  try {
    const root = `${base}/root`, outside = `${base}/outside`;
    await Deno.mkdir(`${root}/a`, { recursive: true });
    await Deno.writeTextFile(`${root}/a/mine`, "mine");
    await Deno.writeTextFile(`${root}/f`, "mine too");
    await Deno.mkdir(outside);
    await Deno.writeTextFile(`${outside}/host-secret`, "secret");
    // the container swaps what was listed for symlinks to host paths just after each lstat
    const swapped = (what: string) => (_h: unknown, path: string) => {
      if (path === what) {
        Deno.renameSync(`${root}/${what}`, `${root}/${what}.old`);
        Deno.symlinkSync(what === "a" ? outside : `${outside}/host-secret`, `${root}/${what}`);
      }
      return undefined;
    };
    for (const what of ["a", "f"]) {
      let tar: Uint8Array = new Uint8Array();
      const err = await assertRejects(async () => {
        tar = await bytesOf(writeTar(root, { transform: swapped(what) }));
      }, Error);
      assert(!new TextDecoder().decode(tar).includes("secret"), "the host's file was archived");
      assert(String(err).includes(`Cannot archive ${root}/`), String(err));
      await Deno.remove(`${root}/${what}`);
      await Deno.rename(`${root}/${what}.old`, `${root}/${what}`);
    }
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
