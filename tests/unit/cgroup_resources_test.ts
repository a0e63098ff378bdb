/**
 * The resource limits of issue 11 (--cpu-period, --cpuset-cpus, --memory-reservation,
 * --blkio-weight, --device-read-bps...) on fake v1 and v2 cgroup trees, the host support
 * checks, and the flag parsers with Docker's messages.
 */
import { deepStrictEqual as assertEquals, rejects, throws } from "node:assert/strict";
import {
  blkioToIoWeight,
  CgroupManager,
  checkCgroupSupport,
  defaultCgroupns,
  detectCgroupMode,
  NoCgroups,
} from "../../src/runtime/cgroups.ts";
import {
  checkResourceOptions,
  parseCgroupns,
  parseCpuList,
  parseThrottleDevice,
  parseWeightDevice,
} from "../../src/runtime/resource_options.ts";
import { FakeHost } from "../../src/sys/fake_host.ts";

const V1_MOUNTINFO = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
`;
const V2_MOUNTINFO = `22 1 8:1 / / rw - ext4 /dev/sda1 rw
30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate
`;
const noSleep = () => Promise.resolve();
const sda = () => ({ major: 8, minor: 0 });

function v1Files(dir: string, rt: boolean): Record<string, string> {
  const files: Record<string, string> = { "cgroup.procs": "" };
  if (dir.includes("/memory")) {
    Object.assign(files, {
      "memory.soft_limit_in_bytes": "9223372036854771712",
      "memory.swappiness": "60",
      "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n",
    });
  }
  if (dir.includes("/cpu,cpuacct")) {
    Object.assign(files, { "cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "-1" });
    if (rt) Object.assign(files, { "cpu.rt_period_us": "1000000", "cpu.rt_runtime_us": "0" });
  }
  if (dir.includes("/cpuset")) Object.assign(files, { "cpuset.cpus": "", "cpuset.mems": "" });
  if (dir.includes("/blkio")) {
    for (const f of ["read_bps", "write_bps", "read_iops", "write_iops"]) {
      files[`blkio.throttle.${f}_device`] = "";
    }
  }
  return files;
}

function v1Setup(rt = true) {
  const fs = new FakeHost({ dirTemplate: (d) => v1Files(d, rt) });
  for (const c of ["cpu,cpuacct", "cpuset", "memory", "blkio"]) fs.addDir(`/sys/fs/cgroup/${c}`);
  fs.files.set("/sys/fs/cgroup/cpuset/cpuset.cpus", "0-3\n");
  fs.files.set("/sys/fs/cgroup/cpuset/cpuset.mems", "0\n");
  if (rt) fs.files.set("/sys/fs/cgroup/cpu,cpuacct/cpu.rt_runtime_us", "950000\n");
  fs.files.set("/proc/self/mountinfo", V1_MOUNTINFO);
  const mgr = new CgroupManager(fs, detectCgroupMode(V1_MOUNTINFO), { sleep: noSleep });
  return { fs, mgr };
}

Deno.test("v1: cpu, real-time, cpuset, memory and blkio limits in their files", async () => {
  const { fs, mgr } = v1Setup();
  await mgr.create("c1", {
    cpuPeriod: 50000,
    cpuQuota: 25000,
    cpuRtPeriod: 500000,
    cpuRtRuntime: 100000,
    cpusetCpus: "1-2",
    cpusetMems: "0",
    memoryReservation: 32 << 20,
    memorySwappiness: 0,
    oomKillDisable: true,
    deviceReadBps: [{ major: 8, minor: 0, rate: 1048576 }],
    deviceWriteIops: [{ major: 8, minor: 16, rate: 40 }],
  });
  const cpu = "/sys/fs/cgroup/cpu,cpuacct/skiff";
  // (the first four writes copy the parent's cpuset into each new level, as before)
  assertEquals(fs.writes.slice(4), [
    [`${cpu}/c1/cpu.cfs_period_us`, "50000"],
    [`${cpu}/c1/cpu.cfs_quota_us`, "25000"],
    // the parent gets the share first (a fifth of its 1 s period): a cgroup's children
    // cannot have more than it has
    [`${cpu}/cpu.rt_runtime_us`, "200000"],
    [`${cpu}/c1/cpu.rt_period_us`, "500000"],
    [`${cpu}/c1/cpu.rt_runtime_us`, "100000"],
    ["/sys/fs/cgroup/cpuset/skiff/c1/cpuset.cpus", "1-2"],
    ["/sys/fs/cgroup/cpuset/skiff/c1/cpuset.mems", "0"],
    ["/sys/fs/cgroup/memory/skiff/c1/memory.soft_limit_in_bytes", String(32 << 20)],
    ["/sys/fs/cgroup/memory/skiff/c1/memory.swappiness", "0"],
    ["/sys/fs/cgroup/memory/skiff/c1/memory.oom_control", "1"],
    ["/sys/fs/cgroup/blkio/skiff/c1/blkio.throttle.read_bps_device", "8:0 1048576"],
    ["/sys/fs/cgroup/blkio/skiff/c1/blkio.throttle.write_iops_device", "8:16 40"],
  ]);
  assertEquals(fs.files.get("/sys/fs/cgroup/cpuset/skiff/c1/cpuset.cpus"), "1-2");
  // --cpus wins over the CFS pair (the checks refuse both together; the manager never mixes)
  fs.writes = [];
  await mgr.create("c2", { cpus: 1e9, cpuPeriod: 50000 });
  assertEquals(fs.writes.filter(([p]) => p.includes("cfs")), [
    [`${cpu}/c2/cpu.cfs_period_us`, "100000"],
    [`${cpu}/c2/cpu.cfs_quota_us`, "100000"],
  ]);
  // a parent that already has a large enough share is left as it is
  fs.writes = [];
  await mgr.create("c3", { cpuRtRuntime: 50000 });
  assertEquals(fs.writes.filter(([p]) => p.includes("rt_")), [
    [`${cpu}/c3/cpu.rt_runtime_us`, "50000"],
  ]);
});

Deno.test("v1 host support: real-time, blkio weight and cpuset checked before create", async () => {
  const { fs } = v1Setup(false);
  await rejects(checkCgroupSupport({ cpuRtRuntime: 1000 }, fs), {
    message: "Your kernel does not support cgroup cpu real-time runtime",
  });
  await rejects(checkCgroupSupport({ blkioWeight: 100 }, fs), {
    message: "Your kernel does not support Block I/O weight or the cgroup is not mounted",
  });
  await rejects(checkCgroupSupport({ cpusetCpus: "2-5" }, fs), {
    message: "Requested CPUs are not available - requested 2-5, available: 0-3",
  });
  await rejects(checkCgroupSupport({ cpusetMems: "1" }, fs), {
    message: "Requested memory nodes are not available - requested 1, available: 0",
  });
  await checkCgroupSupport({ cpusetCpus: "0,3", cpusetMems: "0" }, fs);
  const rt = v1Setup(true);
  await checkCgroupSupport({ cpuRtPeriod: 1000000, cpuRtRuntime: 1000 }, rt.fs);
  // nothing to check: nothing read (a fake host without mountinfo is fine)
  await checkCgroupSupport({ memory: 64 << 20, cpuPeriod: 100000 }, new FakeHost());
});

function v2Setup() {
  const fs = new FakeHost({
    dirTemplate: (dir) => {
      const root = dir === "/sys/fs/cgroup";
      return {
        "cgroup.procs": "",
        "cgroup.controllers": root ? "cpuset cpu io memory pids" : "",
        "cgroup.subtree_control": "",
        ...(root ? { "cpuset.cpus.effective": "0-1\n", "cpuset.mems.effective": "0\n" } : {
          "cpu.max": "max 100000",
          "cpuset.cpus": "",
          "cpuset.mems": "",
          "memory.low": "0",
          "io.weight": "default 100",
          "io.max": "",
        }),
      };
    },
  });
  fs.addDir("/sys/fs/cgroup");
  fs.files.set("/proc/self/mountinfo", V2_MOUNTINFO);
  const write = fs.writeTextFile.bind(fs);
  fs.writeTextFile = async (path, data, options) => {
    await write(path, data, options);
    // the kernel shows a directory's enabled controllers in cgroup.subtree_control
    if (path.endsWith("/cgroup.subtree_control")) {
      fs.files.set(path, data.split(" ").map((w) => w.slice(1)).join(" "));
    }
  };
  const mgr = new CgroupManager(fs, detectCgroupMode(V2_MOUNTINFO), { sleep: noSleep });
  return { fs, mgr };
}

Deno.test("v2: cpu.max, cpuset, memory.low and io files; cpuset and io enabled", async () => {
  const { fs, mgr } = v2Setup();
  // what the kernel shows in the parent once the root enabled them for its children
  fs.addDir("/sys/fs/cgroup/skiff", { "cgroup.controllers": "cpuset cpu io memory pids" });
  await mgr.create("c1", {
    cpuQuota: 25000,
    cpuPeriod: 50000,
    cpusetCpus: "1",
    cpusetMems: "0",
    memoryReservation: 32 << 20,
    memorySwappiness: 10,
    oomKillDisable: true,
    blkioWeight: 500,
    blkioWeightDevice: [{ major: 8, minor: 0, weight: 10 }],
    deviceReadBps: [{ major: 8, minor: 0, rate: 1048576 }],
    deviceWriteBps: [{ major: 8, minor: 0, rate: 2097152 }],
    deviceReadIops: [{ major: 8, minor: 0, rate: 300 }],
    deviceWriteIops: [{ major: 8, minor: 0, rate: 400 }],
  });
  const dir = "/sys/fs/cgroup/skiff/c1";
  assertEquals(fs.writes.filter(([p]) => !p.includes("device")), [
    ["/sys/fs/cgroup/cgroup.subtree_control", "+memory +cpu +pids +cpuset +io"],
    ["/sys/fs/cgroup/skiff/cgroup.subtree_control", "+memory +cpu +pids +cpuset +io"],
    [`${dir}/cpu.max`, "25000 50000"],
    [`${dir}/cpuset.cpus`, "1"],
    [`${dir}/cpuset.mems`, "0"],
    [`${dir}/memory.low`, String(32 << 20)],
    // runc's conversion to io.weight's range; swappiness and the OOM switch have no v2 file
    [`${dir}/io.weight`, "default 4950"],
    [`${dir}/io.weight`, "8:0 1"],
    [`${dir}/io.max`, "8:0 rbps=1048576"],
    [`${dir}/io.max`, "8:0 wbps=2097152"],
    [`${dir}/io.max`, "8:0 riops=300"],
    [`${dir}/io.max`, "8:0 wiops=400"],
  ]);
  // only a quota: the default period; only a period: no quota
  fs.writes = [];
  await mgr.create("c2", { cpuQuota: 50000 });
  await mgr.create("c3", { cpuPeriod: 20000 });
  assertEquals(fs.writes.filter(([p]) => p.endsWith("cpu.max")), [
    ["/sys/fs/cgroup/skiff/c2/cpu.max", "50000 100000"],
    ["/sys/fs/cgroup/skiff/c3/cpu.max", "max 20000"],
  ]);
  // BFQ's file takes blkio weights as they are
  fs.writes = [];
  fs.addDir("/sys/fs/cgroup/skiff/c4", { "io.bfq.weight": "default 100" });
  await mgr.create("c4", { blkioWeight: 500 });
  assertEquals(fs.writes.filter(([p]) => p.includes("io.")), [
    ["/sys/fs/cgroup/skiff/c4/io.bfq.weight", "default 500"],
  ]);
  assertEquals(blkioToIoWeight(10), 1);
  assertEquals(blkioToIoWeight(1000), 10000);
});

Deno.test("v2 host support: no real-time groups; io and cpuset from the root", async () => {
  const { fs } = v2Setup();
  await rejects(checkCgroupSupport({ cpuRtPeriod: 1000000 }, fs), {
    message: "Your kernel does not support cgroup cpu real-time runtime",
  });
  await checkCgroupSupport({ blkioWeight: 100, cpusetCpus: "0-1", cpusetMems: "0" }, fs);
  await rejects(checkCgroupSupport({ cpusetCpus: "2" }, fs), {
    message: "Requested CPUs are not available - requested 2, available: 0-1",
  });
  fs.files.set("/sys/fs/cgroup/cgroup.controllers", "cpu memory pids");
  await rejects(checkCgroupSupport({ blkioWeight: 100 }, fs), {
    message: "Your kernel does not support Block I/O weight or the cgroup is not mounted",
  });
});

Deno.test("a host without cgroups refuses the new limits too", async () => {
  for (const l of [{ cpusetCpus: "0" }, { memorySwappiness: 0 }, { deviceReadBps: [] }]) {
    const none = new NoCgroups(2);
    if ("deviceReadBps" in l) assertEquals(await none.create("c", l), []);
    else await rejects(none.create("c", l), { message: /resource limits need cgroups/ });
  }
});

Deno.test("device flags: Docker's formats and messages", () => {
  assertEquals(parseWeightDevice("/dev/sda:200", sda), {
    path: "/dev/sda",
    major: 8,
    minor: 0,
    weight: 200,
  });
  assertEquals(parseWeightDevice("/dev/sda:0", sda).weight, 0);
  const bps = (v: string) => parseThrottleDevice("device-read-bps", v, sda).rate;
  assertEquals(bps("/dev/sda:1mb"), 1048576);
  assertEquals(bps("/dev/sda:1024"), 1024);
  assertEquals(bps("/dev/sda:2k"), 2048);
  assertEquals(parseThrottleDevice("device-write-iops", "/dev/sda:300", sda).rate, 300);
  const msg = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return (e as Error).message;
    }
    return "no error";
  };
  assertEquals(
    msg(() => parseWeightDevice("/dev/sda", sda)),
    'invalid argument "/dev/sda" for "--blkio-weight-device" flag: bad format: /dev/sda',
  );
  assertEquals(
    msg(() => parseWeightDevice("sda:100", sda)),
    'invalid argument "sda:100" for "--blkio-weight-device" flag: bad format for device path: sda:100',
  );
  assertEquals(
    msg(() => parseWeightDevice("/dev/sda:1001", sda)),
    'invalid argument "/dev/sda:1001" for "--blkio-weight-device" flag: invalid weight for device: /dev/sda:1001',
  );
  assertEquals(
    msg(() => parseThrottleDevice("device-read-iops", "/dev/sda:1k", sda)),
    'invalid argument "/dev/sda:1k" for "--device-read-iops" flag: invalid rate for device: ' +
      "/dev/sda:1k. The correct format is <device-path>:<number>. Number must be a positive integer",
  );
  assertEquals(
    msg(() => parseThrottleDevice("device-write-bps", "/dev/sda:fast", sda)),
    'invalid argument "/dev/sda:fast" for "--device-write-bps" flag: invalid rate for device: ' +
      "/dev/sda:fast. The correct format is <device-path>:<number>[<unit>]. Number must be a " +
      "positive integer. Unit is optional and can be kb, mb, or gb",
  );
  // the device is looked up only once the format is right
  throws(() =>
    parseThrottleDevice("device-read-bps", "/dev/x:1", () => {
      throw new Error("no such device: /dev/x");
    }), { message: "no such device: /dev/x" });
});

Deno.test("resource checks: Docker's rules and messages", () => {
  const check = (r: Parameters<typeof checkResourceOptions>[0], other = {}) => {
    try {
      checkResourceOptions(r, other);
      return "ok";
    } catch (e) {
      return (e as Error).message;
    }
  };
  assertEquals(check({ cpuPeriod: 1000, cpuQuota: 1000 }), "ok");
  assertEquals(check({ cpuQuota: -1 }), "ok");
  assertEquals(
    check({ cpuPeriod: 1000001 }),
    "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)",
  );
  assertEquals(check({ cpuQuota: 999 }), "CPU cfs quota can not be less than 1ms (i.e. 1000)");
  assertEquals(
    check({ cpuQuota: 5000 }, { nanoCpus: 1e9 }),
    "Conflicting options: Nano CPUs and CPU Quota cannot both be set",
  );
  assertEquals(
    check({ cpuRtPeriod: 1000, cpuRtRuntime: 1001 }),
    "cpu real-time runtime cannot be higher than cpu real-time period",
  );
  assertEquals(check({ cpusetCpus: "0-" }), "Invalid value 0- for cpuset cpus");
  assertEquals(check({ cpusetMems: "3-1" }), "Invalid value 3-1 for cpuset mems");
  assertEquals(check({ memoryReservation: 1 << 20 }), "Minimum memory reservation allowed is 6MB");
  assertEquals(
    check({ memoryReservation: 64 << 20 }, { memory: 32 << 20 }),
    "Minimum memory limit can not be less than memory reservation limit, see usage",
  );
  assertEquals(check({ memoryReservation: 64 << 20 }), "ok");
  assertEquals(
    check({ memorySwappiness: 101 }),
    "Invalid value: 101, valid memory swappiness range is 0-100",
  );
  assertEquals(check({ memorySwappiness: 0 }), "ok");
  assertEquals(
    check({ oomScoreAdj: -1001 }),
    "Invalid value -1001, range for oom score adj is [-1000, 1000]",
  );
  assertEquals(check({ blkioWeight: 1001 }), "Range of blkio weight is from 10 to 1000");
  assertEquals(check({ shmSize: -1 }), "SHM size can not be less than 0");
  assertEquals(parseCgroupns("private"), "private");
  assertEquals(parseCgroupns(""), undefined);
  throws(() => parseCgroupns("shared"), { message: "invalid cgroup namespace mode: shared" });
  assertEquals(parseCpuList("0-2,4,4"), [0, 1, 2, 4]);
  assertEquals(parseCpuList("a"), undefined);
});

Deno.test("Docker's default cgroup namespace: host on v1, private on v2", async () => {
  assertEquals(await defaultCgroupns(v1Setup().fs), "host");
  assertEquals(await defaultCgroupns(v2Setup().fs), "private");
  assertEquals(await defaultCgroupns(new FakeHost()), undefined);
});
