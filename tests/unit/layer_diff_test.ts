/**
 * Overlay upper directory → OCI layer and `docker diff` changes, both on a
 * hand-made upper directory and on one written by a real overlay mount.
 * Run as root (whiteout devices, trusted.* xattrs, mount).
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { diffChanges, diffLayerTar, isOpaqueDir } from "../../src/image/layer_diff.ts";
import { unpackLayer } from "../../src/image/unpack.ts";
import { lgetxattr, lsetxattr, mknod } from "../../src/sys/fs.ts";
import tar from "tar-stream";
import { skipUnless } from "../helpers/requires.ts";

const isRoot = Deno.uid() === 0;
const y = new TextEncoder().encode("y");

/** Lists (name, type, size) of every entry of a tar, read with tar-stream. */
async function listTar(stream: ReadableStream<Uint8Array>): Promise<string[]> {
  const extract = tar.extract();
  const names: string[] = [];
  const feeding = (async () => {
    for await (const chunk of stream) {
      if (!extract.write(chunk)) await new Promise((r) => extract.once("drain", r));
    }
    extract.end();
  })();
  for await (const entry of extract) {
    names.push(`${entry.header.type} ${entry.header.name}`);
    entry.resume();
  }
  await feeding;
  return names;
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name: "diffLayerTar turns overlay whiteouts and opaque dirs into OCI ones, and back",
  ignore: skipUnless(isRoot),
  fn: async () => {
    const upper = await Deno.makeTempDir({ prefix: "skiff-diff-" });
    const dest = await Deno.makeTempDir({ prefix: "skiff-diff-" });
    try {
      await Deno.mkdir(`${upper}/etc`);
      await Deno.writeTextFile(`${upper}/etc/hostname`, "box");
      mknod(`${upper}/etc/motd`, 0o020000, 0, 0);
      await Deno.mkdir(`${upper}/var/cache`, { recursive: true });
      lsetxattr(`${upper}/var/cache`, "trusted.overlay.opaque", y);
      lsetxattr(`${upper}/var/cache`, "user.keep", y);
      await Deno.writeTextFile(`${upper}/var/cache/new`, "n");
      mknod(`${upper}/gone`, 0o020000, 0, 0);

      const names = await listTar(diffLayerTar(upper));
      assertEquals(names, [
        "directory etc/",
        "file etc/hostname",
        "file etc/.wh.motd",
        "file .wh.gone",
        "directory var/",
        "directory var/cache/",
        "file var/cache/.wh..wh..opq",
        "file var/cache/new",
      ]);
      assert(!names.some((n) => n.includes("character-device")), "no whiteout devices");

      await unpackLayer(diffLayerTar(upper), dest);
      for (const p of ["etc/motd", "gone"]) {
        const info = await Deno.lstat(`${dest}/${p}`);
        assert(info.isCharDevice && info.rdev === 0, `${p} is a whiteout again`);
      }
      assert(isOpaqueDir(`${dest}/var/cache`), "opaque again");
      assertEquals(lgetxattr(`${dest}/var/cache`, "user.keep"), y);
      assertEquals(await Deno.readTextFile(`${dest}/var/cache/new`), "n");
      assert(!exists(`${dest}/var/cache/.wh..wh..opq`));
    } finally {
      await Deno.remove(upper, { recursive: true });
      await Deno.remove(dest, { recursive: true });
    }
  },
});

Deno.test({
  name: "diffChanges lists A, C and D as docker diff does",
  ignore: skipUnless(isRoot),
  fn: async () => {
    const upper = await Deno.makeTempDir({ prefix: "skiff-diff-" });
    try {
      await Deno.mkdir(`${upper}/etc`);
      await Deno.writeTextFile(`${upper}/etc/hostname`, "box");
      await Deno.writeTextFile(`${upper}/etc/new.conf`, "x");
      mknod(`${upper}/etc/motd`, 0o020000, 0, 0);
      await Deno.mkdir(`${upper}/srv/app`, { recursive: true });
      const lower = new Set(["/etc", "/etc/hostname", "/etc/motd"]);
      const changes = await diffChanges(upper, (p) => lower.has(p));
      assertEquals(changes.map((c) => `${c.kind} ${c.path}`), [
        "C /etc",
        "C /etc/hostname",
        "D /etc/motd",
        "A /etc/new.conf",
        "A /srv",
        "A /srv/app",
      ]);
    } finally {
      await Deno.remove(upper, { recursive: true });
    }
  },
});

async function run(cmd: string, ...args: string[]): Promise<boolean> {
  const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output();
  return out.success;
}

Deno.test({
  name: "diffLayerTar on a real overlay mount matches the changes made",
  ignore: skipUnless(isRoot),
  fn: async () => {
    const base = await Deno.makeTempDir({ prefix: "skiff-ovl-" });
    const [lower, upper, work, merged, dest] = ["lower", "upper", "work", "merged", "dest"]
      .map((d) => `${base}/${d}`);
    for (const d of [lower, upper, work, merged, dest]) await Deno.mkdir(d);
    await Deno.mkdir(`${lower}/etc`);
    await Deno.writeTextFile(`${lower}/etc/motd`, "hi");
    await Deno.writeTextFile(`${lower}/etc/hostname`, "old");
    await Deno.mkdir(`${lower}/cache`);
    await Deno.writeTextFile(`${lower}/cache/a`, "a");
    const opts = `lowerdir=${lower},upperdir=${upper},workdir=${work}`;
    if (!await run("mount", "-t", "overlay", "overlay", "-o", opts, merged)) {
      await Deno.remove(base, { recursive: true });
      throw new Error("mounting overlay failed (root with overlayfs is required here)");
    }
    try {
      await Deno.remove(`${merged}/etc/motd`);
      await Deno.writeTextFile(`${merged}/etc/hostname`, "new");
      await Deno.remove(`${merged}/cache`, { recursive: true });
      await Deno.mkdir(`${merged}/cache`);
      await Deno.writeTextFile(`${merged}/cache/b`, "b");
      await Deno.writeTextFile(`${merged}/added`, "+");
    } finally {
      await run("umount", merged);
    }
    try {
      const names = await listTar(diffLayerTar(upper));
      for (const n of ["file etc/.wh.motd", "file etc/hostname", "file cache/.wh..wh..opq"]) {
        assert(names.includes(n), `${n} in ${names.join(", ")}`);
      }
      const changes = await diffChanges(upper, (p) => exists(`${lower}${p}`));
      assertEquals(changes.map((c) => `${c.kind} ${c.path}`), [
        "A /added",
        "C /cache",
        "A /cache/b",
        "C /etc",
        "C /etc/hostname",
        "D /etc/motd",
      ]);
      // Applying the diff over a copy of the lower layer gives the merged view.
      await unpackLayer(diffLayerTar(upper), dest);
      assert((await Deno.lstat(`${dest}/etc/motd`)).isCharDevice);
      assert(isOpaqueDir(`${dest}/cache`));
      assertEquals(await Deno.readTextFile(`${dest}/etc/hostname`), "new");
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  },
});

Deno.test("diffChanges never lists a host directory a running container swapped in", async () => {
  const base = await Deno.makeTempDir({ prefix: "skiff-diffswap-" });
  try {
    const upper = `${base}/upper`, outside = `${base}/outside`;
    await Deno.mkdir(`${upper}/srv`, { recursive: true });
    await Deno.writeTextFile(`${upper}/srv/mine`, "");
    await Deno.mkdir(outside);
    await Deno.writeTextFile(`${outside}/host-secret-name`, "");
    // just after /srv is looked at, the container replaces it with a symlink to a host path
    const lowerExists = (p: string) => {
      if (p === "/srv") {
        Deno.renameSync(`${upper}/srv`, `${upper}/srv.old`);
        Deno.symlinkSync(outside, `${upper}/srv`);
      }
      return false;
    };
    let listed: string[] = [];
    try {
      listed = (await diffChanges(upper, lowerExists)).map((c) => c.path);
    } catch (err) {
      assert(["ELOOP", "ENOTDIR"].includes((err as Error).name), String(err));
    }
    assert(!listed.includes("/srv/host-secret-name"), "a host directory was listed");
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
