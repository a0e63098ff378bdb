/**
 * Where skiff finds its native parts, and the private copy a compiled binary writes before
 * loading them: what lands on disk, and the planted names, symlinks and loose modes another
 * local user could use to make it load their code.
 */
import { assert, assertEquals, assertThrows } from "../helpers/assert.ts";
import { assetPath, extractAsset, isCompiled } from "../../src/sys/assets.ts";
import { skiffArgv } from "../../src/runtime/self.ts";
import { FailedPreconditionError } from "../../src/errors.ts";

const uid = Deno.uid() ?? 0;
const data = new TextEncoder().encode("#!/bin/sh\necho native part\n");

/** The SHA-256 of `bytes`, computed independently of skiff (sha256sum). */
async function sha256sum(bytes: Uint8Array): Promise<string> {
  const child = new Deno.Command("sha256sum", { stdin: "piped", stdout: "piped" }).spawn();
  const w = child.stdin.getWriter();
  await w.write(bytes);
  await w.close();
  return new TextDecoder().decode((await child.output()).stdout).split(" ")[0];
}

async function withBase(fn: (base: string) => Promise<void>): Promise<void> {
  const base = await Deno.makeTempDir({ prefix: "skiff-assets-" });
  try {
    await fn(base);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

Deno.test("isCompiled: a checkout's file: URL is not, a deno compile URL is", () => {
  assertEquals(isCompiled("file:///home/u/skiff/src/sys/assets.ts"), false);
  assertEquals(isCompiled("file:///tmp/deno-compile-skiff/src/sys/assets.ts"), true);
  assertEquals(isCompiled("https://example.com/src/sys/assets.ts"), true);
  assertEquals(isCompiled(), false); // these tests run from the checkout
});

Deno.test("assetPath: SKIFF_LIBDIR wins; otherwise the checkout's ffi/build", () => {
  const saved = Deno.env.get("SKIFF_LIBDIR");
  try {
    Deno.env.set("SKIFF_LIBDIR", "/opt/skiff/lib");
    assertEquals(assetPath("libskiff.so"), "/opt/skiff/lib/libskiff.so");
    Deno.env.delete("SKIFF_LIBDIR");
    const built = new URL("../../ffi/build/skiff-monitor", import.meta.url).pathname;
    assertEquals(assetPath("skiff-monitor"), built);
  } finally {
    if (saved === undefined) Deno.env.delete("SKIFF_LIBDIR");
    else Deno.env.set("SKIFF_LIBDIR", saved);
  }
});

Deno.test("extractAsset: a private directory named by the content's SHA-256, written once", async () => {
  await withBase(async (base) => {
    const hash = await sha256sum(data);
    const path = extractAsset(data, "skiff-monitor", base, uid);
    assertEquals(path, `${base}/skiff-native-${uid}-${hash}/skiff-monitor`);
    assertEquals(await Deno.readFile(path), data);
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o755);
    assertEquals((await Deno.stat(`${base}/skiff-native-${uid}-${hash}`)).mode! & 0o777, 0o700);
    // The copy runs (exec needs a real file).
    const out = await new Deno.Command(path, { stdout: "piped" }).output();
    assertEquals(new TextDecoder().decode(out.stdout), "native part\n");
    // A second call finds it whole and leaves it alone.
    const before = await Deno.stat(path);
    assertEquals(extractAsset(data, "skiff-monitor", base, uid), path);
    assertEquals((await Deno.stat(path)).ino, before.ino);
    // Other content goes to another directory.
    const other = extractAsset(new TextEncoder().encode("other"), "skiff-monitor", base, uid);
    assert(other !== path && other.startsWith(`${base}/skiff-native-${uid}-`), other);
  });
});

Deno.test("extractAsset: a changed, loosened or symlinked copy is written again", async () => {
  await withBase(async (base) => {
    const path = extractAsset(data, "libskiff.so", base, uid);
    // Changed content (same size, so only the digest tells).
    await Deno.writeFile(path, data.map((b, i) => i === 3 ? b ^ 1 : b));
    assertEquals(extractAsset(data, "libskiff.so", base, uid), path);
    assertEquals(await Deno.readFile(path), data);
    // Writable by the group: someone else could change it after the check.
    await Deno.chmod(path, 0o775);
    extractAsset(data, "libskiff.so", base, uid);
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o755);
    // A symlink to a file of the attacker's: replaced by a real file, their file untouched.
    const theirs = `${base}/theirs.so`;
    await Deno.writeTextFile(theirs, "attacker's library");
    await Deno.remove(path);
    await Deno.symlink(theirs, path);
    extractAsset(data, "libskiff.so", base, uid);
    assert((await Deno.lstat(path)).isFile, "the symlink was kept");
    assertEquals(await Deno.readFile(path), data);
    assertEquals(await Deno.readTextFile(theirs), "attacker's library");
  });
});

Deno.test("extractAsset: a planted or loose directory is refused with a one-line reason", async () => {
  await withBase(async (base) => {
    const hash = await sha256sum(data);
    const dir = `${base}/skiff-native-${uid}-${hash}`;
    // A symlink planted at the name, to a directory the attacker controls.
    await Deno.mkdir(`${base}/elsewhere`);
    await Deno.symlink(`${base}/elsewhere`, dir);
    let e = assertThrows(
      () => extractAsset(data, "libskiff.so", base, uid),
      FailedPreconditionError,
    );
    assertEquals(e.message, `Refusing to use ${dir}: it is a symbolic link`);
    assertEquals([...Deno.readDirSync(`${base}/elsewhere`)], []);
    await Deno.remove(dir);
    // A directory anyone can write to.
    await Deno.mkdir(dir);
    await Deno.chmod(dir, 0o777);
    e = assertThrows(() => extractAsset(data, "libskiff.so", base, uid), FailedPreconditionError);
    assertEquals(e.message, `Refusing to use ${dir}: it is writable by other users (mode 0777)`);
    // A directory of another user (here: the directory is ours, the caller says it is not).
    await Deno.chmod(dir, 0o700);
    e = assertThrows(
      () => extractAsset(data, "libskiff.so", base, uid + 1),
      FailedPreconditionError,
    );
    assertEquals(
      e.message,
      `Refusing to use ${base}/skiff-native-${uid + 1}-${hash}: it is owned by uid ${uid}, not ${
        uid + 1
      }`,
    );
    // A file at the name.
    await Deno.remove(dir);
    await Deno.writeTextFile(dir, "");
    e = assertThrows(() => extractAsset(data, "libskiff.so", base, uid), FailedPreconditionError);
    assertEquals(e.message, `Refusing to use ${dir}: it is not a directory`);
  });
});

Deno.test("extractAsset: a shared base that is not sticky is refused; read bits are dropped", async () => {
  await withBase(async (base) => {
    const hash = await sha256sum(data);
    await Deno.chmod(base, 0o777); // anyone could rename our directory away and plant another
    const dir = `${base}/skiff-native-${uid}-${hash}`;
    const e = assertThrows(
      () => extractAsset(data, "libskiff.so", base, uid),
      FailedPreconditionError,
    );
    assertEquals(
      e.message,
      `Refusing to use ${dir}: its parent can be changed by another user (uid ${uid}, mode 0777)`,
    );
    await Deno.chmod(base, 0o1777); // like /tmp: sticky, so fine
    await Deno.mkdir(dir, { mode: 0o755 });
    await Deno.chmod(dir, 0o755);
    extractAsset(data, "libskiff.so", base, uid);
    assertEquals((await Deno.stat(dir)).mode! & 0o777, 0o700);
  });
});

Deno.test("skiffArgv: runs this skiff from the checkout with the same store", async () => {
  const argv = skiffArgv({ root: "/tmp/skiff-root-x", runroot: "/tmp/skiff-run-x" });
  const main = new URL("../../main.ts", import.meta.url).pathname;
  assertEquals(argv, [
    Deno.execPath(),
    "run",
    "-A",
    "--no-check",
    "--quiet",
    main,
    "--root",
    "/tmp/skiff-root-x",
    "--runroot",
    "/tmp/skiff-run-x",
  ]);
  // The command really is skiff, and takes the store flags: it answers `version`.
  const out = await new Deno.Command(argv[0], {
    args: [...argv.slice(1), "version"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  assert(/^ Version: +\d/m.test(new TextDecoder().decode(out.stdout)), "not skiff's version");
});
