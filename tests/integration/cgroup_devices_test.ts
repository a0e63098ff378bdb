/**
 * Device control on cgroup v2 (root only), on the machine's real unified
 * hierarchy: the attacker is container root with CAP_MKNOD, who makes a node
 * for the host's disk and opens it. With Docker's default rules the node can
 * be made but not opened, /dev/null and /dev/zero still work; with all
 * devices allowed (--privileged) the disk opens.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { CgroupManager } from "../../src/runtime/cgroups.ts";
import { realHost } from "../../src/sys/host.ts";
import { withBusyboxStore } from "../helpers/busybox_store.ts";
import { skipUnless } from "../helpers/requires.ts";

const isRoot = Deno.uid() === 0;

/** A cgroup2 mount point: the host's, else one mounted for the test. */
async function cgroup2(): Promise<{ mountpoint: string; unmount(): Promise<void> }> {
  for (const line of (await Deno.readTextFile("/proc/self/mountinfo")).split("\n")) {
    const [pre, post] = line.split(" - ");
    if (post?.startsWith("cgroup2 ")) {
      return { mountpoint: pre.split(" ")[4], unmount: () => Promise.resolve() };
    }
  }
  const dir = await Deno.makeTempDir({ prefix: "skiff-cg2-" });
  const out = await new Deno.Command("mount", { args: ["-t", "cgroup2", "none", dir] }).output();
  if (!out.success) throw new Error(`mount cgroup2: ${new TextDecoder().decode(out.stderr)}`);
  return {
    mountpoint: dir,
    async unmount() {
      await new Deno.Command("umount", { args: [dir] }).output();
      await Deno.remove(dir);
    },
  };
}

/** major and minor of a block device this process can open (the host's disk or a loop device). */
async function hostBlockDevice(dir: string): Promise<[number, number]> {
  const node = `${dir}/probe`;
  for await (const e of Deno.readDir("/sys/dev/block")) {
    const [major, minor] = e.name.split(":").map(Number);
    await Deno.remove(node).catch(() => {});
    const made = await new Deno.Command("mknod", { args: [node, "b", `${major}`, `${minor}`] })
      .output();
    if (!made.success) continue;
    try {
      (await Deno.open(node)).close();
      await Deno.remove(node);
      return [major, minor];
    } catch {
      // not openable on this host (outside any container): try the next
    }
  }
  throw new Error("no block device that root can open");
}

/** Moves a shell into `cgroup`, then it plays the attacker; returns what worked and stderr. */
async function attack(cgroup: string, dir: string, disk: [number, number]) {
  const script = `echo $$ > "$1/cgroup.procs" || exit 99
rm -f "$2/disk" "$2/ctl"
mknod "$2/disk" b ${disk[0]} ${disk[1]} && echo mknod-disk
head -c 512 "$2/disk" > /dev/null && echo read-disk
mknod "$2/ctl" c 10 237 && echo mknod-loop-control
true < "$2/ctl" && echo open-loop-control
head -c 1 /dev/zero > /dev/null && echo read-zero
echo x > /dev/null && echo write-null
exit 0`;
  const out = await new Deno.Command("sh", {
    args: ["-c", script, "sh", cgroup, dir],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  return {
    did: new TextDecoder().decode(out.stdout).trim().split("\n"),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test({
  name: "cgroup v2 devices: default rules stop opening the host disk, --privileged rules allow it",
  ignore: skipUnless(isRoot),
  async fn() {
    const cg = await cgroup2();
    const mgr = new CgroupManager(realHost, {
      version: 2,
      mountpoint: cg.mountpoint,
    }, { parent: "skiff-test-devices" });
    const id = `dev-${Date.now().toString(36)}`;
    const dir = await Deno.makeTempDir({ prefix: "skiff-devices-" });
    const disk = await hostBlockDevice(dir);
    try {
      const [path] = await mgr.create(id, {}); // devices: "default"
      const normal = await attack(path, dir, disk);
      assertEquals(normal.did, ["mknod-disk", "mknod-loop-control", "read-zero", "write-null"]);
      assert(normal.stderr.includes("Operation not permitted"), normal.stderr);

      // Creating again (a restart) replaces the program instead of adding one.
      await mgr.create(id, { devices: "all" });
      const privileged = await attack(path, dir, disk);
      assertEquals(privileged.did, [
        "mknod-disk",
        "read-disk",
        "mknod-loop-control",
        "open-loop-control",
        "read-zero",
        "write-null",
      ]);

      await mgr.create(id, { devices: "default" });
      assertEquals((await attack(path, dir, disk)).did, normal.did);
    } finally {
      await mgr.destroy(id, { kill: true }).catch(() => {});
      await Deno.remove(`${cg.mountpoint}/skiff-test-devices`).catch(() => {});
      await Deno.remove(dir, { recursive: true });
      await cg.unmount();
    }
  },
});

Deno.test({
  name: "run: container root can mknod the host's block device but not open it; --privileged can",
  ignore: skipUnless(isRoot),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "skiff-devices-" });
    const [major, minor] = await hostBlockDevice(dir).finally(() => Deno.remove(dir));
    const script = `mknod /blk b ${major} ${minor} && echo mknod
head -c 1 /blk > /dev/null && echo opened
head -c 1 /dev/zero > /dev/null && echo zero
exit 0`;
    await withBusyboxStore(async (_s, sk) => {
      const normal = await sk(["run", "--rm", "busybox", "sh", "-c", script]);
      assertEquals(normal.code, 0, normal.stderr);
      assertEquals(normal.stdout.trim().split("\n"), ["mknod", "zero"]);
      assert(normal.stderr.includes("Operation not permitted"), normal.stderr);
      const privileged = await sk(["run", "--rm", "--privileged", "busybox", "sh", "-c", script]);
      assertEquals(privileged.code, 0, privileged.stderr);
      assertEquals(privileged.stdout.trim().split("\n"), ["mknod", "opened", "zero"]);
    });
  },
});
