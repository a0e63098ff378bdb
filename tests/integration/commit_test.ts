/**
 * A container's file system as a whole (root only): `diff` lists its
 * changes, `export` writes it as a tar, `commit` turns it into an image that
 * a new container runs with the changes and the `--change` instructions.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ok, withBusyboxStore } from "../helpers/busybox_store.ts";
import { mountsUnder, SKIFF_BIN, type TempStore } from "../helpers/skiff.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";
import { until } from "../helpers/wait.ts";

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: skipUnless(IS_ROOT) };

async function tarList(store: TempStore, args: string[]): Promise<string[]> {
  const out = await new Deno.Command("bash", {
    args: [
      "-c",
      `${SKIFF_BIN} --root ${store.root} --runroot ${store.runroot} ${args.join(" ")} | tar -t`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim().split("\n");
}

Deno.test("diff: added, changed and deleted paths", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    await ok(sk, ["run", "--name", "d", "busybox", "sh", "-c", "touch /new; rm /etc/group"]);
    const lines = (await ok(sk, ["diff", "d"])).trim().split("\n");
    assertEquals(lines, ["C /etc", "D /etc/group", "A /new"]);
    const missing = await sk(["diff", "nope"]);
    assertEquals(missing.code, 1);
    assertStringIncludes(missing.stderr, "No such container: nope");
  });
});

Deno.test(
  "diff: a container that changed nothing lists nothing; /.dockerenv exists",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      // docker's marker, empty and executable, in every container (scripts look for it)
      const env = await ok(sk, ["run", "--name", "q", "busybox", "ls", "-ln", "/.dockerenv"]);
      assert(/^-rwxr-xr-x\s+1\s+0\s+0\s+0 /.test(env), env);
      // /etc holds skiff's mount points (hosts, hostname, resolv.conf) and /.dockerenv is
      // skiff's: none of them is a change of the container's
      assertEquals(await ok(sk, ["diff", "q"]), "");
      await ok(sk, ["commit", "q", "quiet"]);
      assertEquals(await ok(sk, ["run", "--rm", "--name", "q2", "quiet", "true"]), "");
      const layer = await ok(sk, [
        "image",
        "inspect",
        "--format",
        "{{len .RootFS.Layers}}",
        "quiet",
      ]);
      const base = await ok(sk, [
        "image",
        "inspect",
        "--format",
        "{{len .RootFS.Layers}}",
        "busybox",
      ]);
      assertEquals(Number(layer), Number(base) + 1);
      await ok(sk, ["run", "--name", "q3", "quiet", "true"]);
      assertEquals(await ok(sk, ["diff", "q3"]), "");
      // A container that writes its own /.dockerenv (a link to a host file) keeps it as it is.
      await ok(sk, [
        "run",
        "--name",
        "l",
        "busybox",
        "sh",
        "-c",
        "rm /.dockerenv; ln -s /etc/shadow /.dockerenv",
      ]);
      await ok(sk, ["start", "-a", "l"]);
      assertEquals(await ok(sk, ["diff", "l"]), "A /.dockerenv\n");
    });
  },
);

Deno.test("diff: a running container", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    await ok(sk, ["run", "-d", "--name", "r", "busybox", "sh", "-c", "mkdir -p /srv/x; sleep 600"]);
    await until(
      "/srv/x in the container",
      async () => (await ok(sk, ["diff", "r"])).includes("A /srv/x"),
    );
    assertStringIncludes(await ok(sk, ["container", "diff", "r"]), "A /srv\nA /srv/x\n");
  });
});

Deno.test("export: the whole file system, to stdout and to a file", opts, async () => {
  await withBusyboxStore(async (store, sk) => {
    await ok(sk, ["run", "--name", "e", "busybox", "sh", "-c", "echo hi > /new; rm /etc/group"]);
    const names = await tarList(store, ["export", "e"]);
    assert(names.includes("bin/busybox"), "bin/busybox missing");
    assert(names.includes("new"), "the container's new file is missing");
    assert(!names.includes("etc/group"), "a deleted file was exported");
    const file = `${store.root}/../e.tar`;
    await ok(sk, ["export", "-o", file, "e"]);
    const listed = await new Deno.Command("tar", { args: ["-tf", file], stdout: "piped" }).output();
    assertStringIncludes(new TextDecoder().decode(listed.stdout), "bin/busybox");
    assertEquals(await mountsUnder(store.root), [], "export left a mount behind");
  });
});

Deno.test("commit: the new image has the changes and the --change config", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    await ok(sk, ["run", "--name", "c", "busybox", "sh", "-c", "echo committed > /committed"]);
    const id = (await ok(sk, [
      "commit",
      "-a",
      "Ada <ada@example.com>",
      "-m",
      "first commit",
      "-c",
      "ENV X=1",
      "-c",
      'CMD ["sh", "-c", "cat /committed; echo X=$X"]',
      "c",
      "mine:v1",
    ])).trim();
    assert(/^sha256:[0-9a-f]{64}$/.test(id), id);
    assertEquals(await ok(sk, ["run", "--rm", "mine:v1"]), "committed\nX=1\n");
    const info = await ok(sk, [
      "image",
      "inspect",
      "-f",
      "{{.Id}}|{{.Author}}|{{.Comment}}|{{len .RootFS.Layers}}",
      "mine:v1",
    ]);
    assertEquals(info.trim(), `${id}|Ada <ada@example.com>|first commit|2`);
    const hist = await ok(sk, ["history", "--format", "{{.Comment}}", "mine:v1"]);
    assertStringIncludes(hist, "first commit");
    // The base rows belong to busybox, which is local: its id, not <missing> (as docker shows
    // for a committed image, whose Parent is the container's image).
    const busybox = (await ok(sk, ["image", "inspect", "-f", "{{.Id}}", "busybox"])).trim();
    assertEquals(
      await ok(sk, ["image", "inspect", "-f", "{{.Parent}}", "mine:v1"]),
      `${busybox}\n`,
    );
    const rows =
      (await ok(sk, ["history", "--no-trunc", "--format", "{{.ID}} {{.CreatedAt}}", "mine:v1"]))
        .trim().split("\n").map((l) => l.split(" "));
    assertEquals(rows.map((r) => r[0]), [id, busybox]);
    for (const [, at] of rows) assert(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(at), at);
    const plain = (await ok(sk, ["history", "-H=false", "mine:v1"])).split("\n");
    assert(/^IMAGE\s+CREATED AT\s+CREATED BY\s+SIZE\s+COMMENT$/.test(plain[0].trim()), plain[0]);
    assertStringIncludes(plain[1], rows[0][1]);
    // An untagged commit of a running container; its image runs too.
    await ok(sk, ["run", "-d", "--name", "r", "busybox", "sh", "-c", "touch /live; sleep 600"]);
    await until(
      "/live in the container",
      async () => (await ok(sk, ["diff", "r"])).includes("A /live"),
    );
    const untagged = (await ok(sk, ["container", "commit", "r"])).trim();
    assertEquals(await ok(sk, ["run", "--rm", untagged, "ls", "/live"]), "/live\n");
    assertEquals((await ok(sk, ["inspect", "-f", "{{.State.Status}}", "r"])).trim(), "running");
    const bad = await sk(["commit", "-c", "BOGUS x", "c"]);
    assertEquals(bad.code, 1);
  });
});

/** Adds up what a walk of a directory finds, as Docker sizes a layer: regular files' and
 * symlinks' sizes, each inode once. */
async function walkedSize(dir: string, seen = new Set<number>()): Promise<number> {
  let total = 0;
  for await (const e of Deno.readDir(dir)) {
    const st = await Deno.lstat(`${dir}/${e.name}`);
    if (st.isDirectory) total += await walkedSize(`${dir}/${e.name}`, seen);
    else if (!seen.has(st.ino!)) {
      seen.add(st.ino!);
      if (st.isFile || st.isSymlink) total += st.size;
    }
  }
  return total;
}

Deno.test(
  "image and layer sizes are the unpacked files' sizes, as Docker reports them",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      const image = JSON.parse(await ok(sk, ["image", "inspect", "busybox"]))[0];
      assertEquals(image.Size, await walkedSize(image.GraphDriver.Data.UpperDir));
      await ok(sk, ["run", "--name", "w", "busybox", "sh", "-c", "printf %080d 0 > /f"]);
      await ok(sk, ["commit", "w", "eighty"]);
      // one 80-byte file: an 80B layer (the tar holding it is 2 KiB or more)
      const sizes = await ok(sk, ["history", "--format", "{{.Size}}", "eighty"]);
      assertEquals(sizes.split("\n")[0], "80B");
      const committed = JSON.parse(await ok(sk, ["image", "inspect", "eighty"]))[0];
      assertEquals(committed.Size, image.Size + 80);
    });
  },
);
