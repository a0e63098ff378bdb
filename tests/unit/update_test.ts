/**
 * `update` (issue 11): the options merged and checked as create checks them, the record
 * rewritten, a running container's cgroups given the new limits (on fake v1 and v2 trees),
 * a container that is not running left to its next start.
 */
import { deepStrictEqual as assertEquals, rejects, throws } from "node:assert/strict";
import { type CgroupLimits, CgroupManager, detectCgroupMode } from "../../src/runtime/cgroups.ts";
import { isEmptyUpdate, updateContainer, updatedOptions } from "../../src/runtime/update.ts";
import { FakeHost } from "../../src/sys/fake_host.ts";
import {
  DIR,
  FakeCgroups,
  ID,
  record,
  RUN_DIR,
  runningScene,
  scene,
  store,
} from "./fake_runtime.ts";

const V1_MOUNTINFO = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
`;
const V2_MOUNTINFO = `30 22 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw
`;
const noSleep = () => Promise.resolve();

Deno.test("update: the options merged and checked; Docker's refusals", () => {
  const rec = record({ memory: 32 << 20, pidsLimit: 10 });
  const o = updatedOptions(rec, {
    cpus: 5e8,
    resources: { cpusetCpus: "0" },
    restart: { name: "on-failure", maxRetries: 2 },
  });
  assertEquals([o.memory, o.pidsLimit, o.cpus, o.resources?.cpusetCpus], [32 << 20, 10, 5e8, "0"]);
  assertEquals(o.restart, { name: "on-failure", maxRetries: 2 });
  throws(() => updatedOptions(rec, { memory: 1 << 20 }), {
    message: "Minimum memory limit allowed is 6MB",
  });
  throws(() => updatedOptions(rec, { resources: { cpuPeriod: 10 } }), /CPU cfs period/);
  throws(() => updatedOptions(rec, { cpus: 1e9, resources: { cpuQuota: 50000 } }), /Conflicting/);
  throws(
    () =>
      updatedOptions(record({ autoRemove: true }), { restart: { name: "always", maxRetries: 0 } }),
    { message: "Restart policy cannot be updated because AutoRemove is enabled for the container" },
  );
  assertEquals(isEmptyUpdate({}), true);
  assertEquals(isEmptyUpdate({ resources: {} }), true);
  assertEquals(isEmptyUpdate({ pidsLimit: 5 }), false);
});

class RecordingCgroups extends FakeCgroups {
  updates: [string, CgroupLimits][] = [];
  update(id: string, limits: CgroupLimits): Promise<void> {
    this.updates.push([id, limits]);
    return Promise.resolve();
  }
}

Deno.test("update: the record gets the limits; only a running container's cgroups do", async () => {
  const rec = record();
  const { host } = runningScene(rec);
  const cgroups = new RecordingCgroups();
  await updateContainer(store, rec, { memory: 64 << 20, pidsLimit: 20 }, { host, cgroups });
  assertEquals(cgroups.updates.length, 1);
  assertEquals(cgroups.updates[0][1].memory, 64 << 20);
  assertEquals(cgroups.updates[0][1].memorySwap, 128 << 20); // Docker's default: twice
  const saved = JSON.parse(host.file(`${DIR}/container.json`)!);
  assertEquals([saved.Options.memory, saved.Limits.pidsLimit], [64 << 20, 20]);

  await updateContainer(store, rec, { restart: { name: "on-failure", maxRetries: 2 } }, {
    host,
    cgroups,
  });
  assertEquals(host.file(`${RUN_DIR}/restart-policy`), "1 2\n"); // read by the monitor
  const stopped = scene(rec, { Status: "exited" }).host;
  const idle = new RecordingCgroups();
  await updateContainer(store, rec, { cpuShares: 512 }, { host: stopped, cgroups: idle });
  assertEquals(idle.updates, []);
  assertEquals(JSON.parse(stopped.file(`${DIR}/container.json`)!).Limits.cpuShares, 512);
  await updateContainer(store, rec, { restart: { name: "always", maxRetries: 0 } }, {
    host: stopped,
    cgroups: idle,
  });
  assertEquals(stopped.file(`${RUN_DIR}/restart-policy`), undefined); // no monitor to tell
  // a refused update writes nothing
  const before = stopped.file(`${DIR}/container.json`);
  await rejects(
    () => updateContainer(store, rec, { memory: 1 }, { host: stopped, cgroups: idle }),
    /Minimum memory/,
  );
  assertEquals(stopped.file(`${DIR}/container.json`), before);
});

Deno.test("update on a fake v2 tree: memory.max, swap, cpu.max, pids.max (max to lift)", async () => {
  const fs = new FakeHost();
  const dir = `/sys/fs/cgroup/skiff/${ID}`;
  fs.addDir(dir, {
    "memory.max": "max",
    "memory.swap.max": "max",
    "cpu.max": "max 100000",
    "pids.max": "max",
  });
  const mgr = new CgroupManager(fs, detectCgroupMode(V2_MOUNTINFO), { sleep: noSleep });
  await mgr.update(ID, { memory: 64 << 20, memorySwap: 96 << 20, cpus: 5e8, pidsLimit: -1 });
  assertEquals(fs.writes, [
    [`${dir}/memory.max`, String(64 << 20)],
    [`${dir}/memory.swap.max`, String(32 << 20)],
    [`${dir}/cpu.max`, "50000 100000"],
    [`${dir}/pids.max`, "max"],
  ]);
  // no cgroup (the container does not run): nothing is written
  const none = new FakeHost();
  await new CgroupManager(none, detectCgroupMode(V2_MOUNTINFO)).update(ID, { memory: 64 << 20 });
  assertEquals(none.writes, []);
});

Deno.test("update on a fake v1 tree: a growing memory+swap limit goes first", async () => {
  const fs = new FakeHost();
  for (const c of ["cpu,cpuacct", "memory", "pids"]) fs.addDir(`/sys/fs/cgroup/${c}/skiff/${ID}`);
  const mem = `/sys/fs/cgroup/memory/skiff/${ID}`;
  fs.files.set(`${mem}/memory.memsw.limit_in_bytes`, String(64 << 20));
  fs.files.set(`${mem}/memory.limit_in_bytes`, String(32 << 20));
  fs.files.set(`/sys/fs/cgroup/pids/skiff/${ID}/pids.max`, "max");
  const mgr = new CgroupManager(fs, detectCgroupMode(V1_MOUNTINFO), { sleep: noSleep });
  await mgr.update(ID, { memory: 128 << 20, memorySwap: 256 << 20, pidsLimit: 30 });
  assertEquals(fs.writes, [
    [`${mem}/memory.memsw.limit_in_bytes`, String(256 << 20)],
    [`${mem}/memory.limit_in_bytes`, String(128 << 20)],
    [`${mem}/memory.memsw.limit_in_bytes`, String(256 << 20)],
    [`/sys/fs/cgroup/pids/skiff/${ID}/pids.max`, "30"],
  ]);
});
