/**
 * Images and containers that try to reach host files through volumes. A new
 * volume is filled from the image's content at its target, which is looked
 * up inside the container's root (symlinks included) with the image's
 * whiteouts applied; a symlink an image or container planted can never make
 * skiff copy a host directory into a volume.
 */
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";
import { assert, assertEquals } from "../helpers/assert.ts";
import { ok, withBusyboxStore } from "../helpers/busybox_store.ts";

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: skipUnless(IS_ROOT) };

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

Deno.test("filling a new volume never follows an image's symlink to the host", opts, async () => {
  const host = await Deno.makeTempDir({ prefix: "skiff-hostile-" });
  try {
    await Deno.mkdir(`${host}/secret`);
    await Deno.writeTextFile(`${host}/secret/host-only`, "host data\n");
    await withBusyboxStore(async (store, sk) => {
      // the image's /evil points at the host directory's path, and /link at a directory of its own
      await ok(sk, [
        "run",
        "--name",
        "maker",
        "busybox",
        "sh",
        "-c",
        `ln -s ${host} /evil && mkdir -p /opt/real/data && echo image > /opt/real/data/inside` +
        ` && ln -s /opt/real /link`,
      ]);
      await ok(sk, ["commit", "maker", "hostile"]);

      await sk(["run", "--rm", "-v", "stolen:/evil/secret", "hostile", "true"]);
      const stolen = `${store.root}/volumes/stolen/_data`;
      assertEquals(await names(stolen), [], "host files were copied into the volume");

      // a symlink inside the image is followed inside the image
      const inside = await ok(sk, [
        "run",
        "--rm",
        "-v",
        "inside:/link/data",
        "hostile",
        "cat",
        "/link/data/inside",
      ]);
      assertEquals(inside, "image\n");
      assertEquals(await names(`${store.root}/volumes/inside/_data`), ["inside"]);
    });
  } finally {
    await Deno.remove(host, { recursive: true });
  }
});

Deno.test("a new volume gets the image's content with its whiteouts applied", opts, async () => {
  await withBusyboxStore(async (store, sk) => {
    await ok(sk, [
      "run",
      "--name",
      "lower",
      "busybox",
      "sh",
      "-c",
      "mkdir -p /data/sub && echo 1 > /data/a && echo 2 > /data/b && echo 3 > /data/sub/old",
    ]);
    await ok(sk, ["commit", "lower", "lower"]);
    // the upper layer deletes a file and replaces a directory (an opaque directory)
    await ok(sk, [
      "run",
      "--name",
      "upper",
      "lower",
      "sh",
      "-c",
      "rm /data/a && rm -r /data/sub && mkdir /data/sub && echo 4 > /data/sub/new",
    ]);
    await ok(sk, ["commit", "upper", "upper"]);

    const listing = await ok(sk, ["run", "--rm", "-v", "wh:/data", "upper", "ls", "-R", "/data"]);
    assertEquals(listing, "/data:\nb\nsub\n\n/data/sub:\nnew\n");
    const data = `${store.root}/volumes/wh/_data`;
    assertEquals(await names(data), ["b", "sub"]);
    assertEquals(await names(`${data}/sub`), ["new"]);
    const st = await Deno.lstat(`${data}/b`);
    assert(st.isFile);
  });
});

Deno.test("a volume subpath never follows a symlink a container planted", opts, async () => {
  const host = await Deno.makeTempDir({ prefix: "skiff-hostile-" });
  try {
    await Deno.mkdir(`${host}/a`);
    await Deno.writeTextFile(`${host}/a/host-only`, "host data\n");
    await withBusyboxStore(async (_store, sk) => {
      // a first container plants symlinks to host paths in the volume, and a real directory
      await ok(sk, [
        "run",
        "--rm",
        "-v",
        "shared:/data",
        "busybox",
        "sh",
        "-c",
        `ln -s / /data/sub && ln -s ${host} /data/a && ln -s ../../.. /data/up` +
        ` && mkdir /data/real && echo mine > /data/real/f && ln -s real /data/rel`,
      ]);
      const mount = (sub: string) => `type=volume,source=shared,target=/mnt,volume-subpath=${sub}`;
      for (const sub of ["sub", "a", "up", "sub/etc", "a/a"]) {
        const r = await sk(["run", "--rm", "--mount", mount(sub), "busybox", "ls", "-A", "/mnt"]);
        assert(r.code !== 0, `subpath ${sub}: ${r.stdout}`);
        assertEquals(r.stdout, "", `subpath ${sub} reached a host directory`);
        assert(r.stderr.includes("outside the volume"), r.stderr);
      }
      // a directory of the volume, or a symlink that stays inside it, works
      for (const sub of ["real", "rel"]) {
        const r = await ok(sk, ["run", "--rm", "--mount", mount(sub), "busybox", "cat", "/mnt/f"]);
        assertEquals(r, "mine\n");
      }
      const missing = await sk(["run", "--rm", "--mount", mount("nope"), "busybox", "true"]);
      assert(missing.code !== 0);
      assert(missing.stderr.includes("nope"), missing.stderr);
    });
  } finally {
    await Deno.remove(host, { recursive: true });
  }
});
