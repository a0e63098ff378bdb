/**
 * Volumes (root only): the `volume` verbs with docker's output, a volume in
 * use refused by `rm`, prune's anonymous-only default, data kept across
 * containers, and a new named volume filled from the image's content.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ok, type Sk, withBusyboxStore } from "../helpers/busybox_store.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: skipUnless(IS_ROOT) };

Deno.test("volume create, ls, inspect, rm", opts, async () => {
  await withBusyboxStore(async (store, sk) => {
    assertEquals(await ok(sk, ["volume", "create", "data"]), "data\n");
    assertEquals(await ok(sk, ["volume", "create", "--label", "tier=db", "--name", "db"]), "db\n");
    assertEquals(await ok(sk, ["volume", "create", "data"]), "data\n"); // idempotent
    const anon = (await ok(sk, ["volume", "create"])).trim();
    assert(/^[0-9a-f]{64}$/.test(anon), anon);
    const table = (await ok(sk, ["volume", "ls"])).split("\n");
    assertEquals(table[0].split(/\s+/), ["DRIVER", "VOLUME", "NAME"]);
    assertEquals(
      table.slice(1).filter(Boolean).map((l) => l.split(/\s+/)).sort(),
      [
        ["local", anon],
        ["local", "data"],
        ["local", "db"],
      ].sort(),
    );
    assertEquals(await ok(sk, ["volume", "ls", "-q", "--filter", "name=dat"]), "data\n");
    assertEquals(await ok(sk, ["volume", "ls", "-q", "--filter", "label=tier=db"]), "db\n");
    assertEquals(
      await ok(sk, [
        "volume",
        "ls",
        "--format",
        "{{.Name}} {{.Driver}} {{.Labels}}",
        "-f",
        "label=tier",
      ]),
      "db local tier=db\n",
    );
    const [obj] = JSON.parse(await ok(sk, ["volume", "inspect", "db"]));
    assertEquals(Object.keys(obj).sort(), [
      "CreatedAt",
      "Driver",
      "Labels",
      "Mountpoint",
      "Name",
      "Options",
      "Scope",
    ]);
    assertEquals(obj.Name, "db");
    assertEquals(obj.Driver, "local");
    assertEquals(obj.Scope, "local");
    assertEquals(obj.Labels, { tier: "db" });
    assertEquals(obj.Mountpoint, `${store.root}/volumes/db/_data`);
    assertEquals(
      await ok(sk, ["volume", "inspect", "-f", "{{.Mountpoint}}", "data"]),
      `${store.root}/volumes/data/_data\n`,
    );
    const missing = await sk(["volume", "inspect", "nope"]);
    assertEquals(missing.code, 1);
    assertStringIncludes(missing.stderr, "No such volume: nope");

    // In use by a container (even a stopped one): refused, -f too.
    await ok(sk, ["run", "--name", "user", "-v", "data:/data", "busybox", "true"]);
    const id = (await ok(sk, ["inspect", "-f", "{{.Id}}", "user"])).trim();
    for (const args of [["volume", "rm", "data"], ["volume", "rm", "-f", "data"]]) {
      const r = await sk(args);
      assertEquals(r.code, 1);
      assertStringIncludes(r.stderr, `volume is in use - [${id}]`);
    }
    assertEquals(await ok(sk, ["volume", "ls", "-q", "--filter", "dangling=false"]), "data\n");
    assert(!(await ok(sk, ["volume", "ls", "-q", "--filter", "dangling=true"])).includes("data"));
    await ok(sk, ["rm", "user"]);
    assertEquals(await ok(sk, ["volume", "rm", "data", "db"]), "data\ndb\n");
    const gone = await sk(["volume", "rm", "data"]);
    assertEquals(gone.code, 1);
    assertStringIncludes(gone.stderr, "No such volume: data");
    assertEquals((await sk(["volume", "rm", "-f", "data"])).code, 0);
    assertEquals(await ok(sk, ["volume", "ls", "-q"]), `${anon}\n`);
  });
});

/** The name skiff gives a container's anonymous volume: sha256 of `<id>:<target>`. */
async function anonymousName(sk: Sk, container: string, target: string): Promise<string> {
  const id = (await ok(sk, ["inspect", "-f", "{{.Id}}", container])).trim();
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${id}:${target}`));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test(
  "volume prune: every unused volume, as docker 20.10; all=false keeps named ones",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      await ok(sk, ["volume", "create", "named"]);
      const unnamed = (await ok(sk, ["volume", "create"])).trim();
      await ok(sk, ["run", "--name", "keeper", "-v", "/kept", "busybox", "true"]);
      await ok(sk, ["run", "--name", "gone", "-v", "/gone", "busybox", "true"]);
      const keptName = await anonymousName(sk, "keeper", "/kept");
      const goneName = await anonymousName(sk, "gone", "/gone");
      await ok(sk, ["rm", "gone"]);
      // docker 23's default: anonymous volumes only (those of containers and `volume create`
      // without a name)
      const anon = await ok(sk, ["volume", "prune", "-f", "--filter", "all=false"]);
      assertEquals(anon.split("\n")[0], "Deleted Volumes:");
      assertEquals(anon.split("\n").slice(1, 3).sort(), [goneName, unnamed].sort());
      assertStringIncludes(anon, "Total reclaimed space:");
      const left = (await ok(sk, ["volume", "ls", "-q"])).trim().split("\n").sort();
      assertEquals(left, [keptName, "named"].sort());
      const all = await ok(sk, ["volume", "prune", "-f"]);
      assertStringIncludes(all, "named");
      assert(!all.includes(keptName), "a volume in use was pruned");
      assertEquals((await ok(sk, ["volume", "ls", "-q"])).trim(), keptName);
      assertEquals(await ok(sk, ["volume", "prune", "-a", "-f"]), "Total reclaimed space: 0B\n");
    });
  },
);

Deno.test(
  "volume data persists across containers; a new volume gets the image's content",
  opts,
  async () => {
    await withBusyboxStore(async (store, sk) => {
      await ok(sk, [
        "run",
        "--rm",
        "-v",
        "shared:/data",
        "busybox",
        "sh",
        "-c",
        "echo kept > /data/f",
      ]);
      assertEquals(
        await ok(sk, ["run", "--rm", "-v", "shared:/data", "busybox", "cat", "/data/f"]),
        "kept\n",
      );
      const listing = await ok(sk, ["run", "--rm", "-v", "etcvol:/etc", "busybox", "ls", "/etc"]);
      assertStringIncludes(listing, "passwd");
      const passwd = await Deno.readTextFile(`${store.root}/volumes/etcvol/_data/passwd`);
      assertStringIncludes(passwd, "root:");
      // Data written by one container is seen by the next through the copied content.
      await ok(sk, [
        "run",
        "--rm",
        "-v",
        "etcvol:/etc",
        "busybox",
        "sh",
        "-c",
        "echo x >> /etc/motd",
      ]);
      assertEquals(await Deno.readTextFile(`${store.root}/volumes/etcvol/_data/motd`), "x\n");
    });
  },
);
