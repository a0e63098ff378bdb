/**
 * Podman's script-friendly verbs and flags (root only): `exists` (exit 0/1, nothing printed),
 * `--all` on the lifecycle verbs, `--ignore` on rm and stop, `--timeout` for `--time`,
 * `wait --condition`, `rm --depend`, and `rm --link` refused clearly.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ok, type Sk, withBusyboxStore } from "../helpers/busybox_store.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: skipUnless(IS_ROOT) };

/** `name state` of every container, sorted. */
async function states(sk: Sk): Promise<string[]> {
  return (await ok(sk, ["ps", "-a", "--format", "{{.Names}} {{.State}}"])).trim().split("\n")
    .filter(Boolean).sort();
}

Deno.test("container, image and volume exists: exit 0 or 1, nothing printed", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    await ok(sk, ["create", "--name", "here", "busybox", "true"]);
    await ok(sk, ["volume", "create", "vol"]);
    const cases: [string[], number][] = [
      [["container", "exists", "here"], 0],
      [["container", "exists", "absent"], 1],
      [["image", "exists", "busybox"], 0],
      [["image", "exists", "busybox:nope"], 1],
      [["volume", "exists", "vol"], 0],
      [["volume", "exists", "absent"], 1],
    ];
    for (const [args, code] of cases) {
      const r = await sk(args);
      assertEquals([r.code, r.stdout, r.stderr], [code, "", ""], args.join(" "));
    }
  });
});

Deno.test("--all on pause, unpause, stop, start, restart, kill and rm", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    await ok(sk, ["run", "-d", "--name", "r1", "busybox", "sleep", "60"]);
    await ok(sk, ["run", "-d", "--name", "r2", "busybox", "sleep", "60"]);
    await ok(sk, ["create", "--name", "c1", "busybox", "sleep", "60"]);
    // pause takes the running ones only
    assertEquals((await ok(sk, ["pause", "-a"])).trim().split("\n").length, 2);
    assertEquals(await states(sk), ["c1 created", "r1 paused", "r2 paused"]);
    await ok(sk, ["unpause", "--all"]);
    assertEquals(await states(sk), ["c1 created", "r1 running", "r2 running"]);
    await ok(sk, ["stop", "-a", "-t", "0"]);
    assertEquals(await states(sk), ["c1 created", "r1 exited", "r2 exited"]);
    // start has -a for attach, as Docker: --all is long only
    assertEquals((await ok(sk, ["start", "--all"])).trim().split("\n").length, 3);
    assertEquals(await states(sk), ["c1 running", "r1 running", "r2 running"]);
    await ok(sk, ["restart", "-a", "--timeout", "0"]);
    assertEquals(await states(sk), ["c1 running", "r1 running", "r2 running"]);
    await ok(sk, ["kill", "-a"]);
    assertEquals(await states(sk), ["c1 exited", "r1 exited", "r2 exited"]);
    const both = await sk(["rm", "-a", "c1"]);
    assertEquals(both.code, 125);
    assertStringIncludes(both.stderr, "--all switch, you may not pass any containers");
    assertEquals((await ok(sk, ["rm", "-a"])).trim().split("\n").length, 3);
    assertEquals(await ok(sk, ["ps", "-aq"]), "");
    // nothing to do is no error
    assertEquals(await ok(sk, ["stop", "-a"]), "");
  });
});

Deno.test("--ignore on rm and stop passes over missing names only", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    await ok(sk, ["run", "-d", "--name", "s1", "busybox", "sleep", "60"]);
    const stop = await sk(["stop", "-i", "-t", "0", "ghost", "s1"]);
    assertEquals([stop.code, stop.stdout, stop.stderr], [0, "s1\n", ""]);
    const plain = await sk(["stop", "ghost"]);
    assertEquals(plain.code, 1);
    assertStringIncludes(plain.stderr, "No such container: ghost");
    const rm = await sk(["rm", "--ignore", "ghost", "s1"]);
    assertEquals([rm.code, rm.stdout, rm.stderr], [0, "s1\n", ""]);
    // other errors still count
    await ok(sk, ["run", "-d", "--name", "s2", "busybox", "sleep", "60"]);
    const running = await sk(["rm", "-i", "s2"]);
    assertEquals(running.code, 1);
  });
});

Deno.test("wait --condition next-exit and removed", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    await ok(sk, ["create", "--name", "w1", "busybox", "sh", "-c", "exit 4"]);
    // next-exit waits for an exit after now: the container has not even started yet
    const next = sk(["wait", "--condition", "next-exit", "w1"]);
    await new Promise((r) => setTimeout(r, 1000));
    await ok(sk, ["start", "w1"]);
    const n = await next;
    assertEquals([n.code, n.stdout], [0, "4\n"], n.stderr);
    // not-running returns at once for a stopped container
    assertEquals(await ok(sk, ["wait", "w1"]), "4\n");
    const removed = sk(["wait", "--condition", "removed", "w1"]);
    await new Promise((r) => setTimeout(r, 1000));
    await ok(sk, ["rm", "w1"]);
    const r = await removed;
    assertEquals([r.code, r.stdout], [0, "4\n"], r.stderr);
    const bad = await sk(["wait", "--condition", "soon", "w1"]);
    assertEquals(bad.code, 125);
    assertStringIncludes(bad.stderr, 'invalid condition: "soon"');
  });
});

Deno.test(
  "rm --depend removes the containers joining it first; --link is refused",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      await ok(sk, ["run", "-d", "--name", "base", "busybox", "sleep", "60"]);
      const dep = (await ok(sk, [
        "create",
        "--name",
        "dep",
        "--network",
        "container:base",
        "busybox",
        "true",
      ])).trim();
      await ok(sk, ["create", "--name", "other", "busybox", "true"]);
      const out = await ok(sk, ["rm", "-f", "--depend", "base"]);
      assertEquals(out, `${dep}\nbase\n`);
      assertEquals(await states(sk), ["other created"]);
      const link = await sk(["rm", "--link", "other"]);
      assertEquals(link.code, 1);
      assertStringIncludes(link.stderr, "no legacy container links");
      assert(!link.stderr.includes("\n    at "), link.stderr);
      assertEquals(await states(sk), ["other created"]);
    });
  },
);

Deno.test("inspect --type and --size", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    await ok(sk, ["volume", "create", "both"]);
    await ok(sk, ["create", "--name", "both", "busybox", "true"]);
    // without --type the container comes first, as in Docker
    assertEquals(await ok(sk, ["inspect", "-f", "{{.Name}}", "both"]), "/both\n");
    assertEquals(
      await ok(sk, ["inspect", "--type", "volume", "-f", "{{.Name}} {{.Driver}}", "both"]),
      "both local\n",
    );
    assertEquals(
      await ok(sk, ["inspect", "--type", "network", "-f", "{{.Name}}", "bridge"]),
      "bridge\n",
    );
    const wrongKind = await sk(["inspect", "--type", "image", "both"]);
    assertEquals(wrongKind.code, 1);
    assertStringIncludes(wrongKind.stderr, "No such image: both");
    const bad = await sk(["inspect", "--type", "pod", "both"]);
    assertEquals(bad.code, 1);
    assertStringIncludes(bad.stderr, '"pod" is not a valid value for --type');
    const sizes = (await ok(sk, ["inspect", "-s", "-f", "{{.SizeRw}} {{.SizeRootFs}}", "both"]))
      .trim().split(" ").map(Number);
    assert(sizes[0] >= 0 && sizes[1] > 1_000_000, String(sizes));
  });
});

Deno.test(
  "run --replace takes the name over; ps --external lists every container",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      const first = (await ok(sk, ["run", "-d", "--name", "svc", "busybox", "sleep", "60"])).trim();
      const second =
        (await ok(sk, ["run", "-d", "--replace", "--name", "svc", "busybox", "sleep", "60"]))
          .trim();
      assert(first !== second);
      assertEquals(await ok(sk, ["ps", "-aq", "--no-trunc"]), `${second}\n`);
      const noName = await sk(["run", "--replace", "busybox", "true"]);
      assertEquals(noName.code, 125);
      assertStringIncludes(noName.stderr, "cannot replace container without --name being set");
      await ok(sk, ["create", "--name", "idle", "busybox", "true"]);
      assertEquals(
        (await ok(sk, ["ps", "--external", "--format", "{{.Names}}"])).trim().split("\n").sort(),
        ["idle", "svc"],
      );
    });
  },
);

Deno.test("push --all-tags pushes every tag of the repository", opts, async () => {
  const { startRegistry } = await import("../helpers/registry.ts");
  const reg = await startRegistry();
  try {
    await withBusyboxStore(async (_store, sk) => {
      for (const t of ["1", "2"]) await ok(sk, ["tag", "busybox", `${reg.host}/all:${t}`]);
      await ok(sk, ["tag", "busybox", `${reg.host}/other:9`]);
      const out = await ok(sk, ["push", "--tls-verify=false", "-a", `${reg.host}/all`]);
      assertEquals(out.split(`The push refers to repository [${reg.host}/all]`).length, 2, out);
      assert(/\n1: digest: sha256:[0-9a-f]{64} size: \d+\n/.test(out), out);
      assert(/\n2: digest: sha256:[0-9a-f]{64} size: \d+\n/.test(out), out);
      assert(!out.includes("other"), out);
      const tagged = await sk(["push", "-a", `${reg.host}/all:1`]);
      assertEquals(tagged.code, 1); // push errors exit 1, as docker's CLI
      assertStringIncludes(tagged.stderr, "tag can't be used with --all-tags/-a");
    });
  } finally {
    await reg.stop();
  }
});
