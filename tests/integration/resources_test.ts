/**
 * The resource flags of `run` and `create` on this machine's real cgroups (issue 11): the
 * values the kernel shows in the container's own cgroup files, /proc/PID/oom_score_adj, the
 * size of /dev/shm, the cgroup namespace; inspect's HostConfig; bad values refused with one
 * line and exit 125 before anything is created.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ok, withBusyboxStore } from "../helpers/busybox_store.ts";
import { controllerDir, skiffCgroups } from "../helpers/cgroups.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: skipUnless(IS_ROOT) };
const read = (p: string) => Deno.readTextFile(p).then((s) => s.trim());
const exists = (p: string) => Deno.stat(p).then(() => true, () => false);

/** Whether this process has capability number `cap` (24: CAP_SYS_RESOURCE) in effect. */
async function hostHasCap(cap: number): Promise<boolean> {
  const eff = /^CapEff:\s*([0-9a-f]+)$/m.exec(await Deno.readTextFile("/proc/self/status"));
  return eff !== null && (BigInt(`0x${eff[1]}`) & (1n << BigInt(cap))) !== 0n;
}

/** The first block device of the host (the root disk), for the throttle flags. */
async function blockDevice(): Promise<{ path: string; majMin: string } | undefined> {
  for await (const e of Deno.readDir("/sys/block")) {
    if (e.name.startsWith("loop") || e.name.startsWith("ram")) continue;
    const path = `/dev/${e.name}`;
    if (!await exists(path)) continue;
    return { path, majMin: await read(`/sys/block/${e.name}/dev`) };
  }
  return undefined;
}

Deno.test(
  "cpu, cpuset, memory and block I/O limits reach the container's cgroup",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      const mgr = await skiffCgroups();
      const dev = await blockDevice();
      const flags = [
        "--cpu-period",
        "50000",
        "--cpu-quota",
        "25000",
        "--cpuset-cpus",
        "0",
        "--cpuset-mems",
        "0",
        "-m",
        "64m",
        "--memory-reservation",
        "32m",
        "--memory-swappiness",
        "10",
        "--oom-kill-disable",
        ...(dev
          ? [
            "--device-read-bps",
            `${dev.path}:1mb`,
            "--device-write-bps",
            `${dev.path}:2mb`,
            "--device-read-iops",
            `${dev.path}:300`,
            "--device-write-iops",
            `${dev.path}:400`,
          ]
          : []),
      ];
      const id = (await ok(sk, ["run", "-d", "--name", "lim", ...flags, "busybox", "sleep", "60"]))
        .trim();
      if (mgr.version === 1) {
        const cpu = controllerDir(mgr, id, "cpu");
        assertEquals(await read(`${cpu}/cpu.cfs_period_us`), "50000");
        assertEquals(await read(`${cpu}/cpu.cfs_quota_us`), "25000");
        const cpuset = controllerDir(mgr, id, "cpuset");
        assertEquals(await read(`${cpuset}/cpuset.cpus`), "0");
        assertEquals(await read(`${cpuset}/cpuset.mems`), "0");
        const mem = controllerDir(mgr, id, "memory");
        assertEquals(await read(`${mem}/memory.soft_limit_in_bytes`), String(32 << 20));
        assertEquals(await read(`${mem}/memory.swappiness`), "10");
        assertStringIncludes(await read(`${mem}/memory.oom_control`), "oom_kill_disable 1");
        if (dev) {
          const blkio = controllerDir(mgr, id, "blkio");
          assertEquals(
            await read(`${blkio}/blkio.throttle.read_bps_device`),
            `${dev.majMin} 1048576`,
          );
          assertEquals(
            await read(`${blkio}/blkio.throttle.write_bps_device`),
            `${dev.majMin} 2097152`,
          );
          assertEquals(await read(`${blkio}/blkio.throttle.read_iops_device`), `${dev.majMin} 300`);
          assertEquals(
            await read(`${blkio}/blkio.throttle.write_iops_device`),
            `${dev.majMin} 400`,
          );
        }
        // what the container itself sees (its own cgroup bound at /sys/fs/cgroup/<hierarchy>)
        const inside = await ok(sk, ["exec", "lim", "cat", "/sys/fs/cgroup/cpuset/cpuset.cpus"]);
        assertEquals(inside.trim(), "0");
      } else {
        const dir = controllerDir(mgr, id, "");
        assertEquals(await read(`${dir}/cpu.max`), "25000 50000");
        assertEquals(await read(`${dir}/cpuset.cpus`), "0");
        assertEquals(await read(`${dir}/memory.low`), String(32 << 20));
      }
      const f = (key: string) =>
        ok(sk, ["inspect", "-f", `{{json .HostConfig.${key}}}`, "lim"]).then((s) => s.trim());
      assertEquals(await f("CpuPeriod"), "50000");
      assertEquals(await f("CpuQuota"), "25000");
      assertEquals(await f("CpusetCpus"), '"0"');
      assertEquals(await f("CpusetMems"), '"0"');
      assertEquals(await f("MemoryReservation"), String(32 << 20));
      assertEquals(await f("MemorySwappiness"), "10");
      assertEquals(await f("OomKillDisable"), "true");
      assertEquals(await f("ShmSize"), String(64 << 20));
      if (dev) {
        assertEquals(await f("BlkioDeviceReadBps"), `[{"Path":"${dev.path}","Rate":1048576}]`);
        assertEquals(await f("BlkioDeviceWriteIOps"), `[{"Path":"${dev.path}","Rate":400}]`);
      }
    });
  },
);

Deno.test(
  "--oom-score-adj, --shm-size and --cgroupns as the container sees them",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      // Lowering the score needs CAP_SYS_RESOURCE, which some sandboxes do not give root.
      const low = await sk([
        "run",
        "--rm",
        "--oom-score-adj",
        "-500",
        "busybox",
        "cat",
        "/proc/self/oom_score_adj",
      ]);
      if (await hostHasCap(24)) {
        assertEquals(low.code, 0, low.stderr);
        assertEquals(low.stdout.trim(), "-500");
      } else {
        assertEquals(low.code, 125, low.stderr);
        assertStringIncludes(low.stderr, "oom_score_adj: Permission denied");
      }
      const adj = await ok(sk, [
        "run",
        "--rm",
        "--oom-score-adj",
        "700",
        "busybox",
        "cat",
        "/proc/self/oom_score_adj",
      ]);
      assertEquals(adj.trim(), "700");
      // the container's first process, read from the host
      await ok(sk, [
        "run",
        "-d",
        "--name",
        "adj",
        "--oom-score-adj",
        "300",
        "busybox",
        "sleep",
        "60",
      ]);
      const pid = (await ok(sk, ["inspect", "-f", "{{.State.Pid}}", "adj"])).trim();
      assertEquals(await read(`/proc/${pid}/oom_score_adj`), "300");
      assertEquals(
        (await ok(sk, ["inspect", "-f", "{{.HostConfig.OomScoreAdj}}", "adj"])).trim(),
        "300",
      );

      // the size the kernel gives the tmpfs at /dev/shm, as the container's /proc/mounts shows it
      const shmOptions = async (flags: string[]) => {
        const mounts = await ok(sk, ["run", "--rm", ...flags, "busybox", "cat", "/proc/mounts"]);
        const line = mounts.split("\n").find((l) => l.split(" ")[1] === "/dev/shm");
        assert(line !== undefined, mounts);
        return line.split(" ")[3].split(",");
      };
      assert((await shmOptions(["--shm-size", "8m"])).includes("size=8192k"));
      assert((await shmOptions([])).includes("size=65536k"));
      const ipc = await ok(sk, ["create", "--shm-size", "1g", "--name", "shm", "busybox"]);
      assert(ipc.trim().length === 64, ipc);
      assertEquals(
        (await ok(sk, ["inspect", "-f", "{{.HostConfig.ShmSize}}", "shm"])).trim(),
        String(1 << 30),
      );

      const host = await Deno.readLink("/proc/self/ns/cgroup");
      // the fixture has no readlink: `ls -l` shows the link's target after "-> "
      const ns = (mode: string) =>
        ok(sk, ["run", "--rm", "--cgroupns", mode, "busybox", "ls", "-l", "/proc/self/ns/cgroup"])
          .then((s) => s.trim().split("-> ")[1]);
      // without the flag: Docker's default, the host's namespace on v1 and a private one on v2
      const plain = await ok(sk, ["run", "--rm", "busybox", "ls", "-l", "/proc/self/ns/cgroup"]);
      const v1 = (await skiffCgroups()).version === 1;
      assertEquals(plain.trim().split("-> ")[1] === host, v1, plain);
      const priv = await ns("private");
      assert(priv.startsWith("cgroup:[") && priv !== host, priv);
      assertEquals(
        (await ok(sk, ["create", "--cgroupns", "host", "--name", "ns", "busybox"])).length > 0,
        true,
      );
      assertEquals(
        (await ok(sk, ["inspect", "-f", "{{.HostConfig.CgroupnsMode}}", "ns"])).trim(),
        "host",
      );
      // without the flag inspect shows the mode Docker's daemon picks for this host
      await ok(sk, ["create", "--name", "ns-default", "busybox"]);
      assertEquals(
        (await ok(sk, ["inspect", "-f", "{{.HostConfig.CgroupnsMode}}", "ns-default"])).trim(),
        v1 ? "host" : "private",
      );
    });
  },
);

Deno.test("--cpu-rt-period and --cpu-rt-runtime where the kernel has them", opts, async () => {
  const mgr = await skiffCgroups();
  const cpuRoot = mgr.mode.version === 1 ? mgr.mode.controllers.cpu : undefined;
  if (cpuRoot === undefined || !await exists(`${cpuRoot}/cpu.rt_runtime_us`)) {
    console.log("skipped: no real-time group scheduling here (refusal tested below)");
    return;
  }
  await withBusyboxStore(async (_store, sk) => {
    const rt = ["--cpu-rt-period", "100000", "--cpu-rt-runtime", "5000"];
    const id = (await ok(sk, ["run", "-d", "--name", "rt", ...rt, "busybox", "sleep", "60"]))
      .trim();
    const cpu = controllerDir(mgr, id, "cpu");
    assertEquals(await read(`${cpu}/cpu.rt_period_us`), "100000");
    assertEquals(await read(`${cpu}/cpu.rt_runtime_us`), "5000");
    const f = (key: string) =>
      ok(sk, ["inspect", "-f", `{{.HostConfig.${key}}}`, "rt"]).then((s) => s.trim());
    assertEquals(await f("CpuRealtimePeriod"), "100000");
    assertEquals(await f("CpuRealtimeRuntime"), "5000");
  });
});

Deno.test(
  "--kernel-memory and --oom-kill-disable without -m: Docker's warnings",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      const r = await sk(["run", "--rm", "--kernel-memory", "50m", "busybox", "echo", "hi"]);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(r.stdout, "hi\n");
      assertStringIncludes(r.stderr, "WARNING: Specifying a kernel memory limit is deprecated");
      // Docker's warning for --oom-kill-disable without -m; none with it
      const oom = await sk(["run", "--rm", "--oom-kill-disable", "busybox", "true"]);
      assertEquals(oom.code, 0, oom.stderr);
      assertStringIncludes(oom.stderr, "WARNING: Disabling the OOM killer on containers without");
      const limited = await sk([
        "run",
        "--rm",
        "--oom-kill-disable",
        "-m",
        "32m",
        "busybox",
        "true",
      ]);
      assertEquals(limited.stderr, "");
    });
  },
);

Deno.test(
  "bad resource values are refused with one line, exit 125, nothing created",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      const mgr = await skiffCgroups();
      const rtSupported = mgr.version === 1 &&
        await exists(`${mgr.mode.version === 1 ? mgr.mode.controllers.cpu : ""}/cpu.rt_runtime_us`);
      const blkioWeight = mgr.version === 1 &&
        await exists(`${mgr.mode.version === 1 ? mgr.mode.controllers.blkio : ""}/blkio.weight`);
      const cases: [string[], string][] = [
        [["--cpu-period", "100"], "CPU cfs period can not be less than 1ms"],
        [["--cpu-quota", "10"], "CPU cfs quota can not be less than 1ms (i.e. 1000)"],
        [["--cpus", "1", "--cpu-period", "50000"], "Conflicting options: Nano CPUs and CPU Period"],
        [["--cpus", "1", "--cpu-quota", "50000"], "Conflicting options: Nano CPUs and CPU Quota"],
        [["--cpuset-cpus", "a-b"], "Invalid value a-b for cpuset cpus"],
        [["--cpuset-cpus", "4096"], "Requested CPUs are not available - requested 4096"],
        [["--cpuset-mems", "1-"], "Invalid value 1- for cpuset mems"],
        [["--memory-reservation", "1m"], "Minimum memory reservation allowed is 6MB"],
        [["--memory-reservation", "12x"], "invalid size"],
        [
          ["-m", "16m", "--memory-reservation", "32m"],
          "Minimum memory limit can not be less than memory reservation limit",
        ],
        [
          ["--memory-swappiness", "101"],
          "Invalid value: 101, valid memory swappiness range is 0-100",
        ],
        [
          ["--oom-score-adj", "1001"],
          "Invalid value 1001, range for oom score adj is [-1000, 1000]",
        ],
        [["--blkio-weight", "5"], "Range of blkio weight is from 10 to 1000"],
        [["--blkio-weight-device", "sda:100"], "bad format for device path: sda:100"],
        [["--blkio-weight-device", "/dev/null"], "bad format: /dev/null"],
        [["--blkio-weight-device", "/dev/null:5"], "invalid weight for device: /dev/null:5"],
        [["--device-read-bps", "/dev/null:1mb"], "/dev/null is not a block device"],
        [["--device-write-bps", "/dev/nope:1mb"], "no such device: /dev/nope"],
        [["--device-read-iops", "/dev/null:1.5"], "invalid rate for device: /dev/null:1.5"],
        [["--device-write-bps", "/dev/null:-1"], "invalid rate for device: /dev/null:-1"],
        [["--shm-size", "-1"], "invalid size"],
        [["--cgroupns", "shared"], "invalid cgroup namespace mode: shared"],
        [["--kernel-memory", "lots"], "invalid size"],
        [
          ["--cpu-rt-period", "1000", "--cpu-rt-runtime", "2000"],
          "cpu real-time runtime cannot be higher than cpu real-time period",
        ],
      ];
      if (!rtSupported) {
        cases.push([
          ["--cpu-rt-runtime", "1000"],
          "Your kernel does not support cgroup cpu real-time runtime",
        ]);
      }
      if (!blkioWeight) {
        cases.push([["--blkio-weight", "100"], "Your kernel does not support Block I/O weight"]);
      }
      for (const [flags, message] of cases) {
        for (const verb of ["run", "create"]) {
          const r = await sk([verb, ...flags, "busybox", "true"]);
          // what the host cannot do is the daemon's error in docker: `create` exits 1 for it
          const hostError = message.startsWith("Your kernel does not support");
          const code = verb === "create" && hostError ? 1 : 125;
          assertEquals(r.code, code, `${verb} ${flags.join(" ")}: ${r.stderr}`);
          assertStringIncludes(r.stderr, message);
          assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
          assert(r.stderr.startsWith("Error: "), r.stderr);
        }
      }
      assertEquals((await sk(["ps", "-aq"])).stdout.trim(), "");
    });
  },
);
