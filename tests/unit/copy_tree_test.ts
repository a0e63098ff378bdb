/**
 * copyTreeInRoot: a tree copied between two roots keeps what `cp -a` keeps,
 * resolves the source path inside its root, and never follows a symlink the
 * source holds.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { copyTreeInRoot } from "../../src/runtime/copy_tree.ts";

async function withDirs(fn: (src: string, dest: string, outside: string) => Promise<void>) {
  const base = await Deno.makeTempDir({ prefix: "skiff-copytree-" });
  try {
    for (const d of ["src", "dest", "outside"]) await Deno.mkdir(`${base}/${d}`);
    await fn(`${base}/src`, `${base}/dest`, `${base}/outside`);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

Deno.test("a tree is copied with its modes, times, links and symlinks", async () => {
  await withDirs(async (src, dest) => {
    await Deno.mkdir(`${src}/data/sub`, { recursive: true });
    await Deno.writeTextFile(`${src}/data/a`, "a\n");
    await Deno.link(`${src}/data/a`, `${src}/data/sub/a-again`);
    await Deno.symlink("/etc", `${src}/data/sub/etc`);
    await Deno.writeTextFile(`${src}/data/script`, "#!/bin/sh\n");
    await Deno.chmod(`${src}/data/script`, 0o751);
    await Deno.chmod(`${src}/data/sub`, 0o710);
    await Deno.utime(`${src}/data/sub`, 1000, 2000);
    await Deno.chmod(`${src}/data`, 0o750);

    await copyTreeInRoot(src, "/data", dest);

    assertEquals(await Deno.readTextFile(`${dest}/a`), "a\n");
    const a = await Deno.lstat(`${dest}/a`), again = await Deno.lstat(`${dest}/sub/a-again`);
    assertEquals(a.ino, again.ino);
    assertEquals(a.nlink, 2);
    assertEquals(await Deno.readLink(`${dest}/sub/etc`), "/etc");
    assertEquals((await Deno.lstat(`${dest}/script`)).mode! & 0o7777, 0o751);
    const sub = await Deno.lstat(`${dest}/sub`);
    assertEquals(sub.mode! & 0o7777, 0o710);
    assertEquals(sub.mtime?.getTime(), 2000_000);
    // the destination's root takes the source directory's mode
    assertEquals((await Deno.lstat(dest)).mode! & 0o7777, 0o750);
  });
});

Deno.test("symlinks in the source path are resolved inside the source root", async () => {
  await withDirs(async (src, dest, outside) => {
    await Deno.writeTextFile(`${outside}/host-only`, "host\n");
    // /evil -> the outside directory's absolute path: inside the root, it names nothing
    await Deno.symlink(outside, `${src}/evil`);
    let refused = false;
    try {
      await copyTreeInRoot(src, "/evil", dest);
    } catch (err) {
      refused = (err as Error).name === "ENOENT";
    }
    assert(refused, "the source path was resolved outside its root");
    // /up -> ../../..: resolved inside the root, it is the root itself
    await Deno.mkdir(`${src}/real`);
    await Deno.writeTextFile(`${src}/real/inside`, "inside\n");
    await Deno.symlink("../../../real", `${src}/up`);
    await copyTreeInRoot(src, "/up", dest);
    assertEquals(await Deno.readTextFile(`${dest}/inside`), "inside\n");
    let entries = 0;
    for await (const _ of Deno.readDir(dest)) entries++;
    assertEquals(entries, 1);
  });
});
