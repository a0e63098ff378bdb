/**
 * `commit` and `export` of a running container: the container is frozen while
 * its files are read and runs on afterwards; when it cannot be frozen the
 * command fails instead of reading a container that can still change (and
 * swap its files for symlinks to host paths) under it.
 */
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ok, withBusyboxStore } from "../helpers/busybox_store.ts";
import { cgroupOf, skiffCgroups } from "../helpers/cgroups.ts";

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: skipUnless(IS_ROOT) };

/**
 * The container's freezer cgroup directory (v1; v2: its one directory), from where its process
 * is, and the hierarchy root's cgroup.procs, where its processes can move to.
 */
async function freezerDirs(pid: number): Promise<{ dir: string; parentProcs: string }> {
  const mgr = await skiffCgroups();
  const root = mgr.mode.version === 2 ? mgr.mode.mountpoint : mgr.mode.controllers.freezer;
  return { dir: await cgroupOf(mgr, pid, "freezer"), parentProcs: `${root}/cgroup.procs` };
}

Deno.test(
  "commit and export freeze a running container and fail when it cannot be frozen",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      await ok(sk, [
        "run",
        "-d",
        "--name",
        "box",
        "busybox",
        "sh",
        "-c",
        "echo x > /made; sleep 600",
      ]);
      await ok(sk, ["commit", "box", "live"]);
      assertEquals(await ok(sk, ["run", "--rm", "live", "cat", "/made"]), "x\n");
      assertEquals((await ok(sk, ["inspect", "-f", "{{.State.Status}}", "box"])).trim(), "running");
      const exported = await sk(["export", "box"]);
      assertEquals(exported.code, 0, exported.stderr);
      assertEquals((await ok(sk, ["inspect", "-f", "{{.State.Status}}", "box"])).trim(), "running");

      // take the container's processes out of its freezer cgroup and remove it: no freeze is possible
      const pid = Number((await ok(sk, ["inspect", "-f", "{{.State.Pid}}", "box"])).trim());
      const { dir, parentProcs } = await freezerDirs(pid);
      for (const p of (await Deno.readTextFile(`${dir}/cgroup.procs`)).trim().split("\n")) {
        if (p) await Deno.writeTextFile(parentProcs, p);
      }
      await Deno.remove(dir);

      const commit = await sk(["commit", "box", "unfrozen"]);
      assert(commit.code !== 0, "a container that could not be frozen was committed");
      assertStringIncludes(commit.stderr, "cannot pause container box to read its files");
      assertEquals((await sk(["image", "inspect", "unfrozen"])).code !== 0, true);
      const exp = await sk(["export", "box"]);
      assert(exp.code !== 0, "a container that could not be frozen was exported");
      assertStringIncludes(exp.stderr, "cannot pause container box to read its files");
      // asked not to pause, commit reads the live container (by in-root resolution)
      await ok(sk, ["commit", "--pause=false", "box", "unpaused"]);
    });
  },
);
