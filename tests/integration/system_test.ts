/**
 * The `system` group (root only): df's summary and verbose tables, prune asking first and
 * removing stopped containers, unused networks, volumes and images, `system info`, and
 * Podman's `system reset` leaving no store, bridge or firewall rule behind.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ok, withBusyboxStore } from "../helpers/busybox_store.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: skipUnless(IS_ROOT) };

Deno.test("system df: Docker's summary, --format and -v", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    await ok(sk, ["run", "-d", "--name", "up", "-v", "used:/data", "busybox", "sleep", "60"]);
    await ok(sk, ["run", "--name", "done", "busybox", "sh", "-c", "head -c 100000 /dev/zero > /f"]);
    await ok(sk, ["volume", "create", "idle"]);
    const lines = (await ok(sk, ["system", "df"])).trimEnd().split("\n");
    assertEquals(lines[0].split(/\s{2,}/), ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]);
    assertEquals(lines.slice(1).map((l) => l.split(/\s{2,}/).slice(0, 3)), [
      ["Images", "1", "1"],
      ["Containers", "2", "1"],
      ["Local Volumes", "2", "1"],
      ["Build Cache", "0", "0"],
    ]);
    // the stopped container's 100 kB are what a prune would give back
    const containers = lines[2].split(/\s{2,}/);
    assertEquals(containers[3], containers[4].replace(/ \(\d+%\)$/, ""));
    assertStringIncludes(containers[4], "(100%)");
    const json = (await ok(sk, ["system", "df", "--format", "{{json .}}"])).trim().split("\n")
      .map((l) => JSON.parse(l));
    assertEquals(Object.keys(json[0]).sort(), [
      "Active",
      "Reclaimable",
      "Size",
      "TotalCount",
      "Type",
    ]);
    assertEquals(json.map((j) => j.Type), [
      "Images",
      "Containers",
      "Local Volumes",
      "Build Cache",
    ]);
    const verbose = await ok(sk, ["system", "df", "-v"]);
    for (
      const part of [
        "Images space usage:",
        "Containers space usage:",
        "Local Volumes space usage:",
        "Build cache usage: 0B",
      ]
    ) assertStringIncludes(verbose, part);
    assert(/\nidle\s+0\s+0B\n/.test(verbose), verbose);
    assert(/\nused\s+1\s+/.test(verbose), verbose);
    assert(/ done\n/.test(verbose), verbose);
  });
});

Deno.test("system prune asks first, then removes what is unused", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    await ok(sk, ["run", "-d", "--name", "keep", "busybox", "sleep", "60"]);
    await ok(sk, ["create", "--name", "gone", "busybox", "true"]);
    await ok(sk, ["network", "create", "unusednet"]);
    await ok(sk, ["volume", "create", "spare"]);
    // no answer: nothing removed
    const no = await sk(["system", "prune"], { stdin: "n\n" });
    assertEquals(no.code, 0, no.stderr);
    assertStringIncludes(no.stdout, "WARNING! This will remove:\n  - all stopped containers\n");
    assertStringIncludes(no.stdout, "Are you sure you want to continue? [y/N]");
    assertEquals((await ok(sk, ["ps", "-aq"])).trim().split("\n").length, 2);
    const yes = await sk(["system", "prune", "--volumes"], { stdin: "y\n" });
    assertEquals(yes.code, 0, yes.stderr);
    assertStringIncludes(yes.stdout, "  - all volumes not used by at least one container\n");
    assertStringIncludes(yes.stdout, "Deleted Containers:\n");
    assertStringIncludes(yes.stdout, "Deleted Networks:\nunusednet\n");
    assertStringIncludes(yes.stdout, "Deleted Volumes:\nspare\n");
    assert(/Total reclaimed space: \S+\n$/.test(yes.stdout), yes.stdout);
    assertEquals(await ok(sk, ["ps", "-a", "--format", "{{.Names}}"]), "keep\n");
    assertEquals(await ok(sk, ["volume", "ls", "-q"]), "");
    // the image is used by "keep": -a keeps it
    await ok(sk, ["system", "prune", "-a", "-f"]);
    assertEquals((await ok(sk, ["images", "-q"])).trim().length, 12);
    await ok(sk, ["rm", "-f", "keep"]);
    const all = await ok(sk, ["system", "prune", "-a", "-f"]);
    assert(/Deleted Images:\nuntagged: \S*busybox:latest\ndeleted: sha256:/.test(all), all);
    assertEquals(await ok(sk, ["images", "-q"]), "");
    const bad = await sk(["system", "prune", "-f", "--volumes", "--filter", "until=1h"]);
    assertEquals(bad.code, 125);
    assertStringIncludes(bad.stderr, 'The "until" filter is not supported with "--volumes"');
  });
});

Deno.test("system prune --filter label= keeps what does not match", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    await ok(sk, ["create", "--name", "a", "--label", "tmp=1", "busybox", "true"]);
    await ok(sk, ["create", "--name", "b", "busybox", "true"]);
    await ok(sk, ["system", "prune", "-f", "--filter", "label=tmp"]);
    assertEquals(await ok(sk, ["ps", "-a", "--format", "{{.Names}}"]), "b\n");
  });
});

Deno.test("system info is info", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    assertEquals(
      await ok(sk, ["system", "info", "--format", "{{.Images}}"]),
      await ok(sk, ["info", "--format", "{{.Images}}"]),
    );
  });
});

async function bridges(): Promise<string[]> {
  const out = await new Deno.Command("ip", { args: ["-o", "link", "show", "type", "bridge"] })
    .output();
  return new TextDecoder().decode(out.stdout).split("\n").flatMap((l) => {
    const m = /^\d+: ([^:@]+)/.exec(l);
    return m ? [m[1]] : [];
  });
}

async function nftRules(): Promise<string> {
  const out = await new Deno.Command("nft", { args: ["list", "ruleset"] }).output();
  return new TextDecoder().decode(out.stdout);
}

Deno.test("system reset removes the store, its networks' bridges and rules", opts, async () => {
  await withBusyboxStore(async (store, sk) => {
    await ok(sk, ["network", "create", "resetnet"]);
    await ok(sk, ["run", "-d", "--name", "r1", "--network", "resetnet", "busybox", "sleep", "60"]);
    await ok(sk, ["run", "-d", "--name", "r2", "-p", "18093:80", "busybox", "sleep", "60"]);
    await ok(sk, ["network", "ls"]); // the default network exists too
    const names: string[] = [];
    for await (const e of Deno.readDir(`${store.root}/networks`)) {
      const rec = JSON.parse(
        await Deno.readTextFile(`${store.root}/networks/${e.name}/network.json`),
      );
      names.push(rec.Bridge);
    }
    assertEquals(names.length, 2);
    const before = await bridges();
    for (const b of names) assert(before.includes(b), `bridge ${b} exists`);
    const no = await sk(["system", "reset"], { stdin: "n\n" });
    assertStringIncludes(no.stdout, "WARNING! This will remove:");
    assertEquals((await ok(sk, ["ps", "-aq"])).trim().split("\n").length, 2);
    const r = await sk(["system", "reset", "-f"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, "");
    for (const dir of [store.root, store.runroot]) {
      assertEquals(await Deno.stat(dir).then(() => true, () => false), false, dir);
    }
    const after = await bridges();
    for (const b of names) assert(!after.includes(b), `bridge ${b} is left`);
    const rules = await nftRules();
    for (const b of names) assert(!rules.includes(`"${b}"`), `a rule for ${b} is left`);
    assert(!rules.includes("18093"), "the published port's rule is left");
    // the store can be used again from scratch
    assertEquals(await ok(sk, ["ps", "-aq"]), "");
  });
});

Deno.test("system df -v: layers shared between images are counted once", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    const id = (await ok(sk, ["create", "busybox", "true"])).trim();
    await ok(sk, ["commit", id, "derived:1"]);
    const rows = (await ok(sk, ["system", "df", "-v"])).split("\n");
    const row = (repo: string) => rows.find((l) => l.startsWith(`${repo} `))!.split(/\s{2,}/);
    // REPOSITORY TAG IMAGE-ID CREATED SIZE SHARED-SIZE UNIQUE-SIZE CONTAINERS
    const base = row("busybox");
    assertEquals(base[5], base[4], "busybox's layers are all shared with derived");
    assertEquals(base[6], "0B");
    const summary = (await ok(sk, ["system", "df"])).split("\n")[1].split(/\s{2,}/);
    assertEquals(summary.slice(0, 3), ["Images", "2", "1"]);
    // derived holds every layer there is (busybox's and its own): the total is its size
    assertEquals(summary[3], row("derived")[4]);
  });
});
