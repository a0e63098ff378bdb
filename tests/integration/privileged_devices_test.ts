/**
 * Device access through the v1 devices cgroup: a `--privileged` container may open any
 * device (its config.json says all devices, and so must its cgroup), a default container
 * only Docker's list. Played as the user would: make a node for a host block device and open it.
 */
import { assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { withBusyboxStore } from "../helpers/busybox_store.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";
import { controllerDir, skiffCgroups } from "../helpers/cgroups.ts";

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: skipUnless(IS_ROOT) };

/** The devices controller's mount point on a v1 host, undefined on v2. */
async function v1DevicesRoot(): Promise<string | undefined> {
  const mountinfo = await Deno.readTextFile("/proc/self/mountinfo");
  for (const line of mountinfo.split("\n")) {
    const [pre, post] = line.split(" - ");
    if (!post?.startsWith("cgroup ")) continue;
    if (post.split(" ")[2]?.split(",").includes("devices")) return pre.split(" ")[4];
  }
  return undefined;
}

/** Major and minor of a block device of this host that the host itself may open. */
async function hostBlockDevice(): Promise<[number, number]> {
  for await (const e of Deno.readDir("/sys/block")) {
    try {
      (await Deno.open(`/dev/${e.name}`, { read: true })).close();
    } catch {
      continue; // the host itself may not open it (a hypervisor's disk): no use for the test
    }
    const dev = (await Deno.readTextFile(`/sys/block/${e.name}/dev`)).trim();
    return dev.split(":").map(Number) as [number, number];
  }
  throw new Error("Expected a block device the host can open in /sys/block, found none");
}

Deno.test(
  "a --privileged container may open any device on cgroup v1, a default one may not",
  opts,
  async () => {
    const devices = await v1DevicesRoot();
    if (devices === undefined) return; // v2: device rules are an eBPF program, not this file
    const [major, minor] = await hostBlockDevice();
    const script = `mknod /tmp/disk b ${major} ${minor} && (: </tmp/disk) && echo opened`;
    await withBusyboxStore(async (_store, sk) => {
      // The container's first process, not an exec: the cgroup is what is under test.
      const read = await sk(["run", "--rm", "--privileged", "busybox", "sh", "-c", script]);
      assertEquals(read.code, 0, read.stderr);
      assertEquals(read.stdout.trim(), "opened");
      const refused = await sk(["run", "--rm", "busybox", "sh", "-c", script]);
      assertEquals(refused.code, 1);
      assertEquals(refused.stdout.trim(), "");
      assertStringIncludes(refused.stderr, "Operation not permitted");

      const priv = await sk(["run", "-d", "--privileged", "busybox", "sleep", "30"]);
      assertEquals(priv.code, 0, priv.stderr);
      const mgr = await skiffCgroups(); // under the tests' own cgroup parent
      const list = await Deno.readTextFile(
        `${controllerDir(mgr, priv.stdout.trim(), "devices")}/devices.list`,
      );
      assertEquals(list.trim(), "a *:* rwm");
      const def = await sk(["run", "-d", "busybox", "sleep", "30"]);
      assertEquals(def.code, 0, def.stderr);
      const defList = await Deno.readTextFile(
        `${controllerDir(mgr, def.stdout.trim(), "devices")}/devices.list`,
      );
      assertStringIncludes(defList, "c 1:3 rwm");
      assertEquals(defList.includes("a *:* rwm"), false);
    });
  },
);

Deno.test(
  "a --privileged container has the host's device nodes in /dev, as Docker and Podman give it",
  opts,
  async () => {
    // Every block device of the host (what `ls -l /dev` shows there), by name and number.
    const hostBlocks: string[] = [];
    for await (const e of Deno.readDir("/dev")) {
      const st = await Deno.lstat(`/dev/${e.name}`);
      if (!st.isBlockDevice || st.rdev === null) continue;
      const rdev = st.rdev;
      hostBlocks.push(`${e.name} ${Math.floor(rdev / 256) & 0xfff}:${rdev & 0xff}`);
    }
    if (hostBlocks.length === 0) throw new Error("Expected a block device in the host's /dev");
    const list = "for f in /dev/*; do [ -b $f ] && stat -c '%n %t %T' $f; done; true";
    await withBusyboxStore(async (_store, sk) => {
      const priv = await sk(["run", "--rm", "--privileged", "busybox", "sh", "-c", list]);
      assertEquals(priv.code, 0, priv.stderr);
      // stat prints major and minor in hex
      const seen = priv.stdout.trim().split("\n").map((l) => {
        const [path, major, minor] = l.split(" ");
        return `${path.slice(5)} ${parseInt(major, 16)}:${parseInt(minor, 16)}`;
      });
      assertEquals(seen.sort(), hostBlocks.sort());
      const plain = await sk(["run", "--rm", "busybox", "sh", "-c", list]);
      assertEquals([plain.code, plain.stdout.trim()], [0, ""]);
    });
  },
);
