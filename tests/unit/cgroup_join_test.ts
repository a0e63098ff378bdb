/**
 * The cgroups `exec` joins: every hierarchy of the container's first process
 * that is mounted here, cgroup v2 included, as host directories.
 */
import { assertEquals } from "../helpers/assert.ts";
import { cgroupDirsOf } from "../../src/runtime/cgroup_join.ts";

const HYBRID = [
  "25 24 0:22 / /sys/fs/cgroup rw,nosuid - tmpfs tmpfs rw,mode=755",
  "26 25 0:23 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw,nsdelegate",
  "27 25 0:24 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd",
  "28 25 0:25 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct",
  "29 25 0:26 / /sys/fs/cgroup/freezer rw - cgroup cgroup rw,freezer",
  "30 25 0:27 / /sys/fs/cgroup/my\\040memory rw - cgroup cgroup rw,memory",
].join("\n");

Deno.test("v1 hierarchies and the v2 tree of a hybrid host", () => {
  const proc = [
    "5:freezer:/skiff/abc",
    "4:memory:/skiff/abc",
    "3:cpu,cpuacct:/skiff/abc",
    "2:name=systemd:/user.slice",
    "1:pids:/skiff/abc", // not mounted here: left out
    "0::/skiff/abc",
  ].join("\n");
  assertEquals(cgroupDirsOf(proc, HYBRID), [
    "/sys/fs/cgroup/freezer/skiff/abc",
    "/sys/fs/cgroup/my memory/skiff/abc",
    "/sys/fs/cgroup/cpu,cpuacct/skiff/abc",
    "/sys/fs/cgroup/systemd/user.slice",
    "/sys/fs/cgroup/unified/skiff/abc",
  ]);
});

Deno.test("a pure v2 host, the root cgroup, and a mount of a subtree", () => {
  const v2 = "30 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw";
  assertEquals(cgroupDirsOf("0::/skiff/abc\n", v2), ["/sys/fs/cgroup/skiff/abc"]);
  assertEquals(cgroupDirsOf("0::/\n", v2), ["/sys/fs/cgroup"]);
  const sub = "31 1 0:26 /skiff /mnt/cg rw - cgroup2 cgroup2 rw";
  assertEquals(cgroupDirsOf("0::/skiff/abc", sub), ["/mnt/cg/abc"]);
  // a cgroup outside the mounted subtree cannot be reached through it
  assertEquals(cgroupDirsOf("0::/other/abc", sub), []);
  assertEquals(cgroupDirsOf("0::/skiffy", sub), []);
});
