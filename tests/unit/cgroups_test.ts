import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import {
  CgroupManager,
  type CgroupMode,
  checkCgroupParent,
  detectCgroupMode,
  NoCgroups,
  normalizeLimits,
  sharesToWeight,
  V1_DEVICE_RULES,
} from "../../src/runtime/cgroups.ts";
import { FailedPreconditionError, InvalidArgumentError } from "../../src/errors.ts";
import { FakeHost } from "../../src/sys/fake_host.ts";

const ID = "c0ffee";
const noSleep = () => Promise.resolve();

const V1_MOUNTINFO = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
`;
const V2_MOUNTINFO = `22 1 8:1 / / rw - ext4 /dev/sda1 rw
30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate
`;

Deno.test("detect v1, hybrid and v2 from mountinfo", () => {
  const v1 = detectCgroupMode(V1_MOUNTINFO);
  assertEquals(v1.version, 1);
  if (v1.version === 1) {
    assertEquals(v1.controllers.cpu, "/sys/fs/cgroup/cpu,cpuacct");
    assertEquals(v1.controllers.cpuacct, "/sys/fs/cgroup/cpu,cpuacct");
    assertEquals(v1.controllers.memory, "/sys/fs/cgroup/memory");
    assertEquals(v1.controllers["name=systemd"], undefined);
  }
  assertEquals(detectCgroupMode(V2_MOUNTINFO), { version: 2, mountpoint: "/sys/fs/cgroup" });
  const escaped = "30 22 0:26 / /mnt/cg\\040two rw - cgroup2 cgroup2 rw\n";
  assertEquals(detectCgroupMode(escaped), { version: 2, mountpoint: "/mnt/cg two" });
  try {
    detectCgroupMode("22 1 8:1 / / rw - ext4 /dev/sda1 rw\n");
    throw new Error("expected an error");
  } catch (e) {
    assertEquals(e instanceof FailedPreconditionError, true);
  }
});

Deno.test("limits: Docker's swap default and checks; runc's weight conversion", () => {
  assertEquals(normalizeLimits({ memory: 64 << 20 }), { memory: 64 << 20, memorySwap: 128 << 20 });
  assertEquals(normalizeLimits({ memory: 64 << 20, memorySwap: -1 }).memorySwap, -1);
  try {
    normalizeLimits({ memory: 1 << 20 });
    throw new Error("expected an error");
  } catch (e) {
    assertEquals((e as Error).message, "Minimum memory limit allowed is 6MB");
    assertEquals(e instanceof InvalidArgumentError, true);
  }
  try {
    normalizeLimits({ memory: 64 << 20, memorySwap: 32 << 20 });
    throw new Error("expected an error");
  } catch (e) {
    assertEquals(
      (e as Error).message,
      "Minimum memoryswap limit should be larger than memory limit, see usage",
    );
  }
  assertEquals(sharesToWeight(2), 1);
  assertEquals(sharesToWeight(1024), 39);
  assertEquals(sharesToWeight(262144), 10000);
});

// ---- v1 ----

const V1_ROOTS = ["cpu,cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids"].map(
  (c) => `/sys/fs/cgroup/${c}`,
);

function v1Template(dir: string): Record<string, string> {
  const files: Record<string, string> = { "cgroup.procs": "" };
  if (dir.includes("/memory")) {
    Object.assign(files, {
      "memory.limit_in_bytes": "9223372036854771712",
      "memory.memsw.limit_in_bytes": "9223372036854771712",
      "memory.usage_in_bytes": "0",
      "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n",
    });
  }
  if (dir.includes("/cpu,cpuacct")) {
    Object.assign(files, {
      "cpu.cfs_period_us": "100000",
      "cpu.cfs_quota_us": "-1",
      "cpu.shares": "1024",
      "cpuacct.usage": "0",
    });
  }
  if (dir.includes("/cpuset")) Object.assign(files, { "cpuset.cpus": "", "cpuset.mems": "" });
  if (dir.includes("/pids")) Object.assign(files, { "pids.max": "max", "pids.current": "0" });
  if (dir.includes("/freezer")) files["freezer.state"] = "THAWED";
  if (dir.includes("/devices")) Object.assign(files, { "devices.allow": "", "devices.deny": "" });
  return files;
}

function v1Setup(opts: { swap?: boolean } = {}) {
  const fs = new FakeHost({
    dirTemplate: (d) => {
      const t = v1Template(d);
      if (opts.swap === false) delete t["memory.memsw.limit_in_bytes"];
      return t;
    },
  });
  for (const r of V1_ROOTS) fs.addDir(r);
  fs.files.set("/sys/fs/cgroup/cpuset/cpuset.cpus", "0-3\n");
  fs.files.set("/sys/fs/cgroup/cpuset/cpuset.mems", "0\n");
  const killed: number[] = [];
  const mode = detectCgroupMode(V1_MOUNTINFO);
  const mgr = new CgroupManager(fs, mode, { kill: (p) => killed.push(p), sleep: noSleep });
  return { fs, mgr, killed };
}

Deno.test("v1 create: one directory per hierarchy, limits written", async () => {
  const { fs, mgr } = v1Setup();
  const paths = await mgr.create(ID, {
    memory: 512 << 20,
    cpus: 1_500_000_000,
    cpuShares: 512,
    pidsLimit: 100,
  });
  assertEquals(paths, [
    "/sys/fs/cgroup/memory/skiff/c0ffee",
    "/sys/fs/cgroup/cpu,cpuacct/skiff/c0ffee",
    "/sys/fs/cgroup/pids/skiff/c0ffee",
    "/sys/fs/cgroup/freezer/skiff/c0ffee",
    "/sys/fs/cgroup/blkio/skiff/c0ffee",
    "/sys/fs/cgroup/devices/skiff/c0ffee",
    "/sys/fs/cgroup/cpuset/skiff/c0ffee",
  ]);
  for (const p of paths) assertEquals(fs.dirs.has(p), true, p);
  assertEquals(fs.writes, [
    ["/sys/fs/cgroup/cpuset/skiff/cpuset.cpus", "0-3"],
    ["/sys/fs/cgroup/cpuset/skiff/cpuset.mems", "0"],
    ["/sys/fs/cgroup/cpuset/skiff/c0ffee/cpuset.cpus", "0-3"],
    ["/sys/fs/cgroup/cpuset/skiff/c0ffee/cpuset.mems", "0"],
    ["/sys/fs/cgroup/devices/skiff/c0ffee/devices.deny", "a"],
    ...V1_DEVICE_RULES.map((r) => ["/sys/fs/cgroup/devices/skiff/c0ffee/devices.allow", r]),
    ["/sys/fs/cgroup/memory/skiff/c0ffee/memory.limit_in_bytes", "536870912"],
    ["/sys/fs/cgroup/memory/skiff/c0ffee/memory.memsw.limit_in_bytes", "1073741824"],
    ["/sys/fs/cgroup/cpu,cpuacct/skiff/c0ffee/cpu.cfs_period_us", "100000"],
    ["/sys/fs/cgroup/cpu,cpuacct/skiff/c0ffee/cpu.cfs_quota_us", "150000"],
    ["/sys/fs/cgroup/cpu,cpuacct/skiff/c0ffee/cpu.shares", "512"],
    ["/sys/fs/cgroup/pids/skiff/c0ffee/pids.max", "100"],
  ]);
});

Deno.test("v1 create: no swap accounting, no limits", async () => {
  const { fs, mgr } = v1Setup({ swap: false });
  await mgr.create(ID, { memory: 64 << 20, memorySwap: -1 });
  assertEquals(fs.writes.filter(([p]) => p.includes("memory")), [
    ["/sys/fs/cgroup/memory/skiff/c0ffee/memory.limit_in_bytes", "67108864"],
  ]);
  const other = v1Setup();
  await other.mgr.create("plain");
  assertEquals(
    other.fs.writes.filter(([p]) => !p.includes("cpuset") && !p.includes("devices")),
    [],
  );
  const priv = v1Setup();
  await priv.mgr.create("priv", { devices: "all" });
  assertEquals(priv.fs.writes.filter(([p]) => p.includes("devices")), [
    ["/sys/fs/cgroup/devices/skiff/priv/devices.allow", "a"],
  ]);
});

Deno.test("v1 freeze, thaw, stats, oom, pids, destroy", async () => {
  const { fs, mgr, killed } = v1Setup();
  await mgr.create(ID, { memory: 64 << 20 });
  await mgr.freeze(ID);
  assertEquals(fs.files.get("/sys/fs/cgroup/freezer/skiff/c0ffee/freezer.state"), "FROZEN");
  await mgr.thaw(ID);
  assertEquals(fs.files.get("/sys/fs/cgroup/freezer/skiff/c0ffee/freezer.state"), "THAWED");

  fs.files.set("/sys/fs/cgroup/memory/skiff/c0ffee/memory.usage_in_bytes", "4096\n");
  fs.files.set("/sys/fs/cgroup/cpu,cpuacct/skiff/c0ffee/cpuacct.usage", "123456789\n");
  fs.files.set("/sys/fs/cgroup/pids/skiff/c0ffee/pids.current", "2\n");
  assertEquals(await mgr.stats(ID), {
    memoryUsage: 4096,
    memoryLimit: 64 << 20,
    cpuUsageNs: 123456789,
    pids: 2,
  });
  assertEquals(await mgr.oomKilled(ID), false);
  fs.files.set(
    "/sys/fs/cgroup/memory/skiff/c0ffee/memory.oom_control",
    "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n",
  );
  assertEquals(await mgr.oomKilled(ID), true);

  fs.files.set("/sys/fs/cgroup/pids/skiff/c0ffee/cgroup.procs", "42\n7\n");
  fs.files.set("/sys/fs/cgroup/memory/skiff/c0ffee/cgroup.procs", "7\n42\n");
  assertEquals(await mgr.pids(ID), [7, 42]);
  await rejects(mgr.destroy(ID), FailedPreconditionError);

  // Killing empties the cgroup, as the kernel would once the processes are gone.
  const procs = [...fs.files.keys()].filter((k) => k.endsWith("/c0ffee/cgroup.procs"));
  const killer = new CgroupManager(fs, mgr.mode, {
    kill: (p) => {
      killed.push(p);
      for (const k of procs) fs.files.set(k, "");
    },
    sleep: noSleep,
  });
  await killer.destroy(ID, { kill: true });
  assertEquals(killed, [7, 42]);
  for (const p of mgr.paths(ID)) assertEquals(fs.dirs.has(p), false, p);
  assertEquals(fs.dirs.has("/sys/fs/cgroup/memory/skiff"), true);
  await mgr.destroy(ID); // already gone: fine
});

Deno.test("v1 stats of unlimited memory and of a missing container", async () => {
  const { mgr } = v1Setup();
  await mgr.create(ID);
  assertEquals((await mgr.stats(ID)).memoryLimit, undefined);
  await rejects(mgr.stats("nope"), /no cgroup for container nope/);
  await rejects(mgr.create("../evil"), InvalidArgumentError);
});

// ---- v2 ----

function v2Template(dir: string): Record<string, string> {
  const root = dir === "/sys/fs/cgroup";
  return {
    "cgroup.procs": "",
    "cgroup.controllers": root ? "cpuset cpu io memory hugetlb pids rdma misc" : "",
    "cgroup.subtree_control": "",
    ...(root ? {} : {
      "cgroup.freeze": "0",
      "cgroup.events": "populated 0\nfrozen 0\n",
      "cgroup.kill": "",
      "memory.max": "max",
      "memory.swap.max": "max",
      "memory.current": "0",
      "memory.events": "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n",
      "cpu.max": "max 100000",
      "cpu.weight": "100",
      "cpu.stat": "usage_usec 0\nuser_usec 0\nsystem_usec 0\n",
      "pids.max": "max",
      "pids.current": "0",
    }),
  };
}

function v2Setup() {
  const fs = new FakeHost({ dirTemplate: v2Template });
  fs.addDir("/sys/fs/cgroup");
  // The kernel fills a child's cgroup.controllers from its parent's subtree_control.
  const write = fs.writeTextFile.bind(fs);
  fs.writeTextFile = async (path, data, options) => {
    await write(path, data, options);
    if (path.endsWith("/cgroup.subtree_control")) {
      const dir = path.slice(0, path.lastIndexOf("/"));
      const enabled = data.split(" ").map((w) => w.slice(1));
      for (const child of await fs.readDir(dir)) {
        if (!child.isDirectory) continue;
        fs.files.set(`${dir}/${child.name}/cgroup.controllers`, enabled.join(" "));
      }
      fs.files.set(path, enabled.join(" "));
    }
    if (path.endsWith("/cgroup.freeze")) {
      const dir = path.slice(0, path.lastIndexOf("/"));
      fs.files.set(`${dir}/cgroup.events`, `populated 0\nfrozen ${data}\n`);
    }
  };
  const mkdir = fs.mkdir.bind(fs);
  fs.mkdir = async (path, options) => {
    const fresh = !fs.dirs.has(path);
    await mkdir(path, options);
    const parent = path.slice(0, path.lastIndexOf("/"));
    const enabled = fs.files.get(`${parent}/cgroup.subtree_control`);
    if (fresh && enabled !== undefined) fs.files.set(`${path}/cgroup.controllers`, enabled);
  };
  const mode: CgroupMode = detectCgroupMode(V2_MOUNTINFO);
  const mgr = new CgroupManager(fs, mode, { kill: () => {}, sleep: noSleep });
  return { fs, mgr };
}

Deno.test("v2 create: controllers enabled down the tree, limits written", async () => {
  const { fs, mgr } = v2Setup();
  const paths = await mgr.create(ID, {
    memory: 512 << 20,
    memorySwap: 768 << 20,
    cpus: 500_000_000,
    cpuShares: 1024,
    pidsLimit: 64,
  });
  assertEquals(paths, ["/sys/fs/cgroup/skiff/c0ffee"]);
  assertEquals(fs.writes, [
    ["/sys/fs/cgroup/cgroup.subtree_control", "+memory +cpu +pids"],
    ["/sys/fs/cgroup/skiff/cgroup.subtree_control", "+memory +cpu +pids"],
    ["/sys/fs/cgroup/skiff/c0ffee/memory.max", "536870912"],
    ["/sys/fs/cgroup/skiff/c0ffee/memory.swap.max", "268435456"],
    ["/sys/fs/cgroup/skiff/c0ffee/cpu.max", "50000 100000"],
    ["/sys/fs/cgroup/skiff/c0ffee/cpu.weight", "39"],
    ["/sys/fs/cgroup/skiff/c0ffee/pids.max", "64"],
  ]);
  // A second container finds the controllers already enabled.
  fs.writes = [];
  await mgr.create("second", { memory: 64 << 20, memorySwap: -1 });
  assertEquals(fs.writes, [
    ["/sys/fs/cgroup/skiff/second/memory.max", "67108864"],
    ["/sys/fs/cgroup/skiff/second/memory.swap.max", "max"],
  ]);
});

Deno.test("v2 create: Docker's device rules, or all devices with --privileged", async () => {
  const { fs, mgr } = v2Setup();
  await mgr.create(ID);
  const rules = fs.deviceRules.get("/sys/fs/cgroup/skiff/c0ffee")!;
  assertEquals(rules[0], { type: "a", major: -1, minor: -1, access: "rwm", allow: false });
  assertEquals(rules.length, V1_DEVICE_RULES.length + 1);
  assertEquals(rules.every((r, i) => i === 0 || r.allow), true);
  assertEquals(rules.filter((r) => r.type === "b").map((r) => r.access), ["m"]);
  assertEquals(rules.find((r) => r.major === 136), {
    type: "c",
    major: 136,
    minor: -1,
    access: "rwm",
    allow: true,
  });
  await mgr.create("priv", { devices: "all" });
  assertEquals(fs.deviceRules.get("/sys/fs/cgroup/skiff/priv"), [
    { type: "a", major: -1, minor: -1, access: "rwm", allow: true },
  ]);
});

Deno.test("v2 freeze, thaw, stats, oom, destroy with cgroup.kill", async () => {
  const { fs, mgr } = v2Setup();
  await mgr.create(ID, { memory: 64 << 20 });
  const dir = "/sys/fs/cgroup/skiff/c0ffee";
  await mgr.freeze(ID);
  assertEquals(fs.files.get(`${dir}/cgroup.freeze`), "1");
  await mgr.thaw(ID);
  assertEquals(fs.files.get(`${dir}/cgroup.freeze`), "0");

  fs.files.set(`${dir}/memory.current`, "8192\n");
  fs.files.set(`${dir}/cpu.stat`, "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n");
  fs.files.set(`${dir}/pids.current`, "3\n");
  assertEquals(await mgr.stats(ID), {
    memoryUsage: 8192,
    memoryLimit: 64 << 20,
    cpuUsageNs: 2_500_000,
    pids: 3,
  });
  assertEquals(await mgr.oomKilled(ID), false);
  fs.files.set(`${dir}/memory.events`, "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
  assertEquals(await mgr.oomKilled(ID), true);

  fs.files.set(`${dir}/cgroup.procs`, "99\n");
  assertEquals(await mgr.pids(ID), [99]);
  const write = fs.writeTextFile.bind(fs);
  fs.writeTextFile = async (p, d, o) => {
    await write(p, d, o);
    if (p === `${dir}/cgroup.kill`) fs.files.set(`${dir}/cgroup.procs`, "");
  };
  await mgr.destroy(ID, { kill: true });
  assertEquals(fs.dirs.has(dir), false);
  assertEquals(fs.writes.at(-1), [`${dir}/cgroup.kill`, "1"]);
});

// ---- --cgroup-parent ----

Deno.test("cgroup parent: clean absolute or relative paths pass, anything else is refused", () => {
  for (const good of ["ci", "/ci", "ci/job-7", "/ci/job.7/x_y", "skiff-test-1a2b3c4d"]) {
    checkCgroupParent(good);
  }
  for (const bad of ["", "/", "a/../b", "..", "/..", "a/./b", ".", "a//b", "a/", "/a/", "a\nb"]) {
    try {
      checkCgroupParent(bad);
      throw new Error(`expected "${bad}" to be refused`);
    } catch (e) {
      assertEquals(e instanceof InvalidArgumentError, true, bad);
      assertEquals((e as Error).message.startsWith(`invalid cgroup parent "${bad}"`), true);
    }
  }
  // A manager is never made on a bad parent, whoever asks.
  const { mgr } = v2Setup();
  for (const bad of ["../etc", "a/../../b"]) {
    try {
      mgr.forParent(bad);
      throw new Error(`expected "${bad}" to be refused`);
    } catch (e) {
      assertEquals(e instanceof InvalidArgumentError, true, bad);
    }
  }
  try {
    new NoCgroups(2).forParent("a/..");
    throw new Error("expected a refusal");
  } catch (e) {
    assertEquals(e instanceof InvalidArgumentError, true);
  }
});

Deno.test("v1 parent: every level made with the cpuset copied down, and the container in it", async () => {
  const { fs, mgr } = v1Setup();
  assertEquals(mgr.forParent(undefined), mgr);
  assertEquals(mgr.forParent(""), mgr);
  const ci = mgr.forParent("/ci/job7");
  // Absolute and relative name the same place, from each hierarchy's root.
  assertEquals(mgr.forParent("ci/job7").paths(ID), ci.paths(ID));
  const paths = await ci.create(ID, { pidsLimit: 10 });
  assertEquals(paths, [
    "/sys/fs/cgroup/memory/ci/job7/c0ffee",
    "/sys/fs/cgroup/cpu,cpuacct/ci/job7/c0ffee",
    "/sys/fs/cgroup/pids/ci/job7/c0ffee",
    "/sys/fs/cgroup/freezer/ci/job7/c0ffee",
    "/sys/fs/cgroup/blkio/ci/job7/c0ffee",
    "/sys/fs/cgroup/devices/ci/job7/c0ffee",
    "/sys/fs/cgroup/cpuset/ci/job7/c0ffee",
  ]);
  for (const p of paths) assertEquals(fs.dirs.has(p), true, p);
  assertEquals(fs.dirs.has("/sys/fs/cgroup/memory/skiff"), false);
  assertEquals(fs.writes.filter(([p]) => p.includes("cpuset")), [
    ["/sys/fs/cgroup/cpuset/ci/cpuset.cpus", "0-3"],
    ["/sys/fs/cgroup/cpuset/ci/cpuset.mems", "0"],
    ["/sys/fs/cgroup/cpuset/ci/job7/cpuset.cpus", "0-3"],
    ["/sys/fs/cgroup/cpuset/ci/job7/cpuset.mems", "0"],
    ["/sys/fs/cgroup/cpuset/ci/job7/c0ffee/cpuset.cpus", "0-3"],
    ["/sys/fs/cgroup/cpuset/ci/job7/c0ffee/cpuset.mems", "0"],
  ]);
  assertEquals(fs.files.get("/sys/fs/cgroup/pids/ci/job7/c0ffee/pids.max"), "10");

  // The default manager does not see the container; its own parent's manager does.
  await rejects(mgr.freeze(ID), /no cgroup for container c0ffee/);
  await ci.freeze(ID);
  assertEquals(fs.files.get("/sys/fs/cgroup/freezer/ci/job7/c0ffee/freezer.state"), "FROZEN");
  await ci.thaw(ID);
  assertEquals(fs.files.get("/sys/fs/cgroup/freezer/ci/job7/c0ffee/freezer.state"), "THAWED");
  fs.files.set("/sys/fs/cgroup/pids/ci/job7/c0ffee/pids.current", "1\n");
  assertEquals((await ci.stats(ID)).pids, 1);
  fs.files.set("/sys/fs/cgroup/pids/ci/job7/c0ffee/cgroup.procs", "5\n");
  assertEquals(await ci.pids(ID), [5]);
  assertEquals(await mgr.pids(ID), []);
  fs.files.set("/sys/fs/cgroup/pids/ci/job7/c0ffee/cgroup.procs", "");

  // Removal takes the container's directories and leaves the parent (others may use it).
  await ci.destroy(ID, { kill: true });
  for (const p of paths) assertEquals(fs.dirs.has(p), false, p);
  assertEquals(fs.dirs.has("/sys/fs/cgroup/memory/ci/job7"), true);
});

Deno.test("v2 parent: controllers enabled at every level down to the container", async () => {
  const { fs, mgr } = v2Setup();
  const ci = mgr.forParent("/ci/job7");
  assertEquals(await ci.create(ID, { pidsLimit: 8 }), ["/sys/fs/cgroup/ci/job7/c0ffee"]);
  assertEquals(fs.writes, [
    ["/sys/fs/cgroup/cgroup.subtree_control", "+memory +cpu +pids"],
    ["/sys/fs/cgroup/ci/cgroup.subtree_control", "+memory +cpu +pids"],
    ["/sys/fs/cgroup/ci/job7/cgroup.subtree_control", "+memory +cpu +pids"],
    ["/sys/fs/cgroup/ci/job7/c0ffee/pids.max", "8"],
  ]);
  assertEquals(fs.dirs.has("/sys/fs/cgroup/skiff"), false);
  await ci.freeze(ID);
  assertEquals(fs.files.get("/sys/fs/cgroup/ci/job7/c0ffee/cgroup.freeze"), "1");
  await ci.thaw(ID);
  assertEquals(fs.files.get("/sys/fs/cgroup/ci/job7/c0ffee/cgroup.freeze"), "0");
  await ci.destroy(ID);
  assertEquals(fs.dirs.has("/sys/fs/cgroup/ci/job7/c0ffee"), false);
  assertEquals(fs.dirs.has("/sys/fs/cgroup/ci/job7"), true);
});
