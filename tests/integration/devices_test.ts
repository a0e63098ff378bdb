/**
 * --device and --device-cgroup-rule (issue 11), as container root sees them: the node made
 * in the container and usable with the permissions given, a node made with mknod denied
 * until a rule allows it (cgroup v1 on this host's hierarchies, and the v2 device program on
 * the real unified mount), a missing device refused with one line before anything is made.
 * The device used is /dev/cpu_dma_latency (10:259): outside Docker's default list, and
 * container root may read it without a capability.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ok, withBusyboxStore } from "../helpers/busybox_store.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";
import { CgroupManager } from "../../src/runtime/cgroups.ts";
import { cgroupLimits } from "../../src/runtime/spec.ts";
import { defaultRunOptions } from "../../src/runtime/run_options.ts";
import { realHost } from "../../src/sys/host.ts";

const LATENCY = "/dev/cpu_dma_latency";
const hasLatency = (() => {
  try {
    return Deno.statSync(LATENCY).isCharDevice === true;
  } catch {
    return false;
  }
})();
const opts = {
  sanitizeResources: false,
  sanitizeOps: false,
  ignore: skipUnless(IS_ROOT && hasLatency),
};

const READ_LATENCY = `mknod /dev/lat c 10 259 || exit 9
head -c 4 /dev/lat > /dev/null && echo read
echo 0 > /dev/lat && echo wrote
exit 0`;

Deno.test(
  "--device HOST:CONTAINER[:PERMS]: the node is there and usable as allowed",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      const r = await ok(sk, [
        "run",
        "--rm",
        "--device",
        "/dev/null:/dev/mynull",
        "busybox",
        "sh",
        "-c",
        "echo hi > /dev/mynull && echo written; ls -l /dev/mynull",
      ]);
      assertEquals(r.split("\n")[0], "written");
      assert(/^crw-rw-rw-\s.*\s1,\s+3\s.*\/dev\/mynull$/m.test(r), r);
      // read-only: reading works, writing is refused by the device cgroup
      const ro = await sk([
        "run",
        "--rm",
        "--device",
        `${LATENCY}:/dev/lat:r`,
        "busybox",
        "sh",
        "-c",
        "head -c 4 /dev/lat > /dev/null && echo read; echo 0 > /dev/lat && echo wrote; exit 0",
      ]);
      assertEquals(ro.stdout.trim(), "read", ro.stderr);
      assertStringIncludes(ro.stderr, "Operation not permitted");
      const id = (await ok(sk, ["create", "--device", "/dev/null:/dev/mynull:rw", "busybox"]))
        .trim();
      const shown = await ok(sk, ["inspect", "-f", "{{json .HostConfig.Devices}}", id]);
      assertEquals(JSON.parse(shown), [
        { PathOnHost: "/dev/null", PathInContainer: "/dev/mynull", CgroupPermissions: "rw" },
      ]);
    });
  },
);

Deno.test(
  "--device-cgroup-rule allows a node that mknod made; without it it is denied",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      const denied = await sk(["run", "--rm", "busybox", "sh", "-c", READ_LATENCY]);
      assertEquals([denied.code, denied.stdout.trim()], [0, ""], denied.stderr);
      assertStringIncludes(denied.stderr, "Operation not permitted");
      const allowed = await sk([
        "run",
        "--rm",
        "--device-cgroup-rule",
        "c 10:259 rwm",
        "busybox",
        "sh",
        "-c",
        READ_LATENCY,
      ]);
      assertEquals(allowed.stdout.trim().split("\n"), ["read", "wrote"], allowed.stderr);
      const id = (await ok(sk, ["create", "--device-cgroup-rule", "c 10:* r", "busybox"])).trim();
      const shown = await ok(sk, ["inspect", "-f", "{{json .HostConfig.DeviceCgroupRules}}", id]);
      assertEquals(JSON.parse(shown), ["c 10:* r"]);
    });
  },
);

Deno.test(
  "--device and --device-cgroup-rule: bad values refused before anything is made",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      for (
        const [args, msg] of [
          [
            ["--device", "/dev/nosuch"],
            `error gathering device information while adding custom device "/dev/nosuch": no such file or directory`,
          ],
          [
            ["--device", "/etc/hostname"],
            `error gathering device information while adding custom device "/etc/hostname": not a device node`,
          ],
          [["--device", "/dev/null:/dev/n:rx"], "bad mode specified: rx"],
          [["--device", "/dev/null:dev/n"], "dev/n is not an absolute path"],
          [["--device-cgroup-rule", "c 1:3"], "invalid device cgroup format 'c 1:3'"],
        ] as const
      ) {
        const r = await sk(["create", "--name", "refused", ...args, "busybox"]);
        assertEquals([r.code, r.stderr.trim()], [125, `Error: ${msg}`]);
      }
      assertEquals((await ok(sk, ["ps", "-aq"])).trim(), "");
    });
  },
);

/** A cgroup2 mount point of the host (the unified hierarchy on a hybrid host), if any. */
async function cgroup2Mount(): Promise<string | undefined> {
  for (const line of (await Deno.readTextFile("/proc/self/mountinfo")).split("\n")) {
    const [pre, post] = line.split(" - ");
    if (post?.startsWith("cgroup2 ")) return pre.split(" ")[4];
  }
  return undefined;
}

Deno.test(
  "cgroup v2: --device and --device-cgroup-rule become rules of the device program",
  opts,
  async () => {
    const mountpoint = await cgroup2Mount();
    if (mountpoint === undefined) return; // no cgroup v2 tree on this host
    const mgr = new CgroupManager(realHost, { version: 2, mountpoint }, {
      parent: "skiff-test-devopts",
    });
    const id = `devopts-${Date.now().toString(36)}`;
    const dir = await Deno.makeTempDir({ prefix: "skiff-devopts-" });
    const attack = async (cgroup: string) => {
      const script = `echo $$ > "$1/cgroup.procs" || exit 99
rm -f "$2/lat"; mknod "$2/lat" c 10 259 || exit 98
head -c 4 "$2/lat" > /dev/null && echo read
echo 0 > "$2/lat" && echo wrote
exit 0`;
      const out = await new Deno.Command("sh", {
        args: ["-c", script, "sh", cgroup, dir],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
      return new TextDecoder().decode(out.stdout).trim();
    };
    try {
      const limits = (o: Parameters<typeof cgroupLimits>[0]) => cgroupLimits(o);
      const [path] = await mgr.create(id, limits(defaultRunOptions()));
      assertEquals(await attack(path), "");
      await mgr.create(id, limits({ ...defaultRunOptions(), deviceCgroupRules: ["c 10:259 r"] }));
      assertEquals(await attack(path), "read");
      await mgr.create(
        id,
        limits({
          ...defaultRunOptions(),
          devices: [{
            pathOnHost: LATENCY,
            pathInContainer: "/dev/lat",
            cgroupPermissions: "rw",
            type: "c",
            major: 10,
            minor: 259,
            mode: 0o600,
            uid: 0,
            gid: 0,
          }],
        }),
      );
      assertEquals(await attack(path), "read\nwrote");
    } finally {
      await mgr.destroy(id, { kill: true }).catch(() => {});
      await Deno.remove(`${mountpoint}/skiff-test-devopts`).catch(() => {});
      await Deno.remove(dir, { recursive: true });
    }
  },
);
