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
