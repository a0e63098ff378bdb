/**
 * `exec` joins every cgroup of the container, cgroup v2 included, and a join
 * that fails is an error: the process must not run outside the container's
 * cgroups (its limits, freezer and v2 device program) while exec reports
 * success.
 */
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ok, withBusyboxStore } from "../helpers/busybox_store.ts";
import { SKIFF_BIN } from "../helpers/skiff.ts";

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: skipUnless(IS_ROOT) };

async function cgroup2Mount(): Promise<string | undefined> {
  for (const line of (await Deno.readTextFile("/proc/self/mountinfo")).split("\n")) {
    const [pre, post] = line.split(" - ");
    if (post?.startsWith("cgroup2 ")) return pre.split(" ")[4];
  }
  return undefined;
}

Deno.test("exec joins the container's cgroups and fails when the v2 join fails", opts, async () => {
  await withBusyboxStore(async (store, sk) => {
    await ok(sk, ["run", "-d", "--name", "box", "busybox", "sleep", "600"]);
    // the exec'd process is where the container's first process is, in every hierarchy
    const mine = await ok(sk, ["exec", "box", "cat", "/proc/self/cgroup"]);
    const first = await ok(sk, ["exec", "box", "cat", "/proc/1/cgroup"]);
    assertEquals(mine, first);

    const unified = await cgroup2Mount();
    if (unified === undefined) return; // no cgroup v2 tree on this host
    // in a mount namespace of its own, the v2 tree is read-only: joining it fails
    const script = `mount -o remount,bind,ro "$1" && shift && exec "$@"`;
    const out = await new Deno.Command("unshare", {
      args: [
        "-m",
        "--propagation",
        "private",
        "sh",
        "-c",
        script,
        "sh",
        unified,
        SKIFF_BIN,
        "--root",
        store.root,
        "--runroot",
        store.runroot,
        "exec",
        "box",
        "echo",
        "ran",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    assert(out.code !== 0, `exec ran outside the container's v2 cgroup: ${stdout}`);
    assertEquals(stdout, "");
    assertStringIncludes(stderr, `${unified}`);
    assertStringIncludes(stderr, "cgroup.procs");
    // the container itself is unharmed
    assertEquals(await ok(sk, ["exec", "box", "echo", "ran"]), "ran\n");
  });
});
