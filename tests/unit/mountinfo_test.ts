import { assertEquals } from "../helpers/assert.ts";
import { parseMountinfo } from "../../src/sys/mountinfo.ts";

Deno.test("mountinfo: every field of a line with optional fields", () => {
  const [m] = parseMountinfo(
    "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 shared:7 - ext3 /dev/root rw,errors=continue\n",
  );
  assertEquals(m, {
    id: 36,
    parentId: 35,
    device: "98:0",
    root: "/mnt1",
    mountPoint: "/mnt2",
    options: ["rw", "noatime"],
    optional: ["master:1", "shared:7"],
    fsType: "ext3",
    source: "/dev/root",
    superOptions: ["rw", "errors=continue"],
  });
});

Deno.test("mountinfo: no optional fields; v1 cgroup super options name its controllers", () => {
  const [m] = parseMountinfo(
    "40 25 0:35 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct",
  );
  assertEquals(m.optional, []);
  assertEquals(m.mountPoint, "/sys/fs/cgroup/cpu,cpuacct");
  assertEquals(m.superOptions, ["rw", "cpu", "cpuacct"]);
});

Deno.test("mountinfo: escaped space, tab, newline and backslash in paths and source", () => {
  const [m] = parseMountinfo(
    "50 1 0:40 /a\\134b /mnt/my\\040dir\\011x\\012y rw - fuse.sshfs me@h:/my\\040src rw\n",
  );
  assertEquals(m.root, "/a\\b");
  assertEquals(m.mountPoint, "/mnt/my dir\tx\ny");
  assertEquals(m.source, "me@h:/my src");
  assertEquals(m.fsType, "fuse.sshfs");
});

Deno.test("mountinfo: a path that looks like the separator does not split the line", () => {
  // a mount point named "-" (and one with " - " inside, escaped) keep their lines whole
  const text = [
    "60 1 0:50 / /- rw shared:3 - tmpfs tmpfs rw",
    "61 1 0:51 / /a\\040-\\040b rw - tmpfs none rw,size=64k",
  ].join("\n");
  const mounts = parseMountinfo(text);
  assertEquals(mounts.map((m) => [m.mountPoint, m.optional, m.fsType, m.superOptions]), [
    ["/-", ["shared:3"], "tmpfs", ["rw"]],
    ["/a - b", [], "tmpfs", ["rw", "size=64k"]],
  ]);
});

Deno.test("mountinfo: blank and malformed lines are skipped, order is kept", () => {
  const text = "garbage\n\n1 0 0:1 / / rw - rootfs rootfs rw\n2 1 0:2 / /proc rw - proc proc rw\n";
  assertEquals(parseMountinfo(text).map((m) => m.mountPoint), ["/", "/proc"]);
  assertEquals(parseMountinfo(""), []);
});

Deno.test("mountinfo: this process's own table parses, with / among its mounts", async () => {
  const mounts = parseMountinfo(await Deno.readTextFile("/proc/self/mountinfo"));
  assertEquals(mounts.some((m) => m.mountPoint === "/"), true);
  assertEquals(mounts.every((m) => Number.isInteger(m.id) && m.fsType !== ""), true);
});
