/**
 * Predictable directories in /tmp (root only, to plant files as another
 * user): the compiled binary's copy of the C library and monitor, and the
 * rootless run root. The attacker is a local user who creates the name
 * first, as a directory of their own or a symlink, or swaps the library for
 * one of the same size.
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
  throws as assertThrows,
} from "node:assert/strict";
import { createHash } from "node:crypto";
import { extractAsset } from "../../src/sys/assets.ts";
import { skipUnless } from "../helpers/requires.ts";
import { asOtherUser, SHARED_SKIFF } from "../helpers/other_user.ts";

const isRoot = Deno.uid() === 0;
const opts = { ignore: skipUnless(isRoot), sanitizeResources: false, sanitizeOps: false };
const NOBODY = 65534;

/** A directory shared like /tmp (root, mode 1777), removed after `fn`. */
async function withSharedTmp(fn: (base: string) => Promise<void> | void): Promise<void> {
  const base = await Deno.makeTempDir({ prefix: "skiff-shared-" });
  await Deno.chmod(base, 0o1777);
  try {
    await fn(base);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

const library = Deno.readFileSync(new URL("../../ffi/build/libskiff.so", import.meta.url));
const digest = createHash("sha256").update(library).digest("hex");

Deno.test(
  "native assets: extracted into a private directory named by content hash",
  opts,
  () =>
    withSharedTmp((base) => {
      const path = extractAsset(library, "libskiff.so", base, 0);
      assertEquals(path, `${base}/skiff-native-0-${digest}/libskiff.so`);
      const dir = Deno.lstatSync(`${base}/skiff-native-0-${digest}`);
      assertEquals([dir.isDirectory, dir.uid, (dir.mode ?? 0) & 0o777], [true, 0, 0o700]);
      assertEquals(Deno.readFileSync(path), library);
      // a second run reuses it
      assertEquals(extractAsset(library, "libskiff.so", base, 0), path);
    }),
);

Deno.test(
  "native assets: a directory planted by another user is refused",
  opts,
  () =>
    withSharedTmp((base) => {
      const dir = `${base}/skiff-native-0-${digest}`;
      const evil = new Uint8Array(library.length).fill(0xcc);
      Deno.mkdirSync(dir, { mode: 0o700 });
      Deno.writeFileSync(`${dir}/libskiff.so`, evil, { mode: 0o755 });
      Deno.chownSync(`${dir}/libskiff.so`, NOBODY, NOBODY);
      Deno.chownSync(dir, NOBODY, NOBODY);
      assertThrows(
        () => extractAsset(library, "libskiff.so", base, 0),
        new RegExp(`Refusing to use ${dir}: it is owned by uid ${NOBODY}, not 0`),
      );
      assertEquals(Deno.readFileSync(`${dir}/libskiff.so`), evil);
    }),
);

Deno.test(
  "native assets: a symlink at the directory's name is refused",
  opts,
  () =>
    withSharedTmp((base) => {
      const attacker = `${base}/attacker`;
      Deno.mkdirSync(attacker, { mode: 0o777 });
      Deno.chownSync(attacker, NOBODY, NOBODY);
      const dir = `${base}/skiff-native-0-${digest}`;
      Deno.symlinkSync(attacker, dir);
      assertThrows(() => extractAsset(library, "libskiff.so", base, 0), /it is a symbolic link/);
      assertEquals([...Deno.readDirSync(attacker)], []);
    }),
);

Deno.test(
  "native assets: a directory of ours that others can write to is refused",
  opts,
  () =>
    withSharedTmp((base) => {
      const dir = `${base}/skiff-native-0-${digest}`;
      Deno.mkdirSync(dir);
      Deno.chmodSync(dir, 0o777);
      assertThrows(
        () => extractAsset(library, "libskiff.so", base, 0),
        /it is writable by other users \(mode 0777\)/,
      );
    }),
);

Deno.test(
  "native assets: a tampered library of the right size is replaced, not loaded",
  opts,
  () =>
    withSharedTmp((base) => {
      const path = extractAsset(library, "libskiff.so", base, 0);
      const tampered = library.slice();
      tampered[tampered.length - 1] ^= 0xff;
      Deno.writeFileSync(path, tampered);
      assertEquals(Deno.statSync(path).size, library.length);
      assertEquals(extractAsset(library, "libskiff.so", base, 0), path);
      assertEquals(createHash("sha256").update(Deno.readFileSync(path)).digest("hex"), digest);
      // and one that others may write to is replaced too
      Deno.chmodSync(path, 0o777);
      extractAsset(library, "libskiff.so", base, 0);
      assertEquals((Deno.statSync(path).mode ?? 0) & 0o777, 0o755);
    }),
);

/** Runs `bin/skiff ps` as `uid` without XDG_RUNTIME_DIR (so the run root is under /tmp). */
async function psAs(uid: number): Promise<{ code: number; stderr: string }> {
  const home = await Deno.makeTempDir({ prefix: "skiff-home-" });
  await Deno.chown(home, uid, uid);
  try {
    const [program, ...args] = asOtherUser(uid, [
      "env",
      "-u",
      "XDG_RUNTIME_DIR",
      "-u",
      "SKIFF_RUNROOT",
      "-u",
      "SKIFF_ROOT",
      "-u",
      "DENO_COVERAGE_DIR", // deno test's coverage directory is root's only
      `HOME=${home}`,
      SHARED_SKIFF,
      "ps",
    ]);
    const out = await new Deno.Command(program, {
      args,
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

Deno.test("rootless run root in /tmp: created private, refused when planted", opts, async () => {
  const uid = 3_000_000 + Math.floor(Math.random() * 1_000_000);
  const dir = `/tmp/skiff-run-${uid}`;
  try {
    // another user's directory at the name
    await Deno.mkdir(dir, { mode: 0o777 });
    await Deno.chmod(dir, 0o777);
    await Deno.chown(dir, NOBODY, NOBODY);
    const planted = await psAs(uid);
    assert(planted.code !== 0);
    assertEquals(
      planted.stderr.trim(),
      `Error: Refusing to use ${dir}: it is owned by uid ${NOBODY}, not ${uid}`,
    );
    assertEquals([...Deno.readDirSync(dir)], []);
    await Deno.remove(dir);

    // a symlink to a directory the attacker reads
    await Deno.symlink("/var/tmp", dir);
    const link = await psAs(uid);
    assert(link.code !== 0);
    assertEquals(link.stderr.trim(), `Error: Refusing to use ${dir}: it is a symbolic link`);
    await Deno.remove(dir);

    // nothing there: made private to the user
    const fresh = await psAs(uid);
    assertEquals(fresh.code, 0, fresh.stderr);
    const st = await Deno.lstat(dir);
    assertEquals([st.isDirectory, st.uid, (st.mode ?? 0) & 0o777], [true, uid, 0o700]);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
