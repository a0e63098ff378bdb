/**
 * The resource options in the launch plan and OCI spec (issue 11): /dev/shm's size, the
 * cgroup namespace as --cgroupns asks (Docker's default per cgroup version), oom_score_adj,
 * and the limits create records for start.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { buildContainerConfig, type ContainerConfigInput } from "../../src/runtime/spec.ts";
import { defaultRunOptions, type RunOptions } from "../../src/runtime/run_options.ts";
import { deriveContainer } from "../../src/runtime/create.ts";
import type { ResourceOptions } from "../../src/runtime/resource_options.ts";

const ID = "0123456789abcdef".repeat(4);

function build(resources: ResourceOptions, extra: Partial<ContainerConfigInput> = {}) {
  const o: RunOptions = { ...defaultRunOptions(), resources };
  return buildContainerConfig({
    id: ID,
    container: deriveContainer(ID, { Cmd: ["sh"] }, o),
    options: o,
    layers: ["/l/base"],
    bundle: {
      upper: "/c/upper",
      work: "/c/work",
      merged: "/c/merged",
      stateDir: "/run/skiff/containers/x",
      logPath: "/c/ctr.log",
    },
    user: { uid: 0, gid: 0, additionalGids: [], home: "/root" },
    cgroupPaths: ["/sys/fs/cgroup/skiff/" + ID],
    volumes: {},
    cleanupCommand: ["skiff", "container", "cleanup", ID],
    networkHook: [],
    ...extra,
  });
}

const hasCgroupns = (r: ReturnType<typeof build>) =>
  r.plan.namespaces.some((n) => n.type === "cgroup");

Deno.test("--shm-size sizes /dev/shm; 64 MiB without it", () => {
  const shm = (r: ReturnType<typeof build>) =>
    r.plan.mounts.find((m) => m.destination === "/dev/shm")?.data;
  assertEquals(shm(build({ shmSize: 8 << 20 })), "mode=1777,size=8388608");
  assertEquals(shm(build({})), "mode=1777,size=67108864");
});

Deno.test("--cgroupns: private or host; Docker's default by cgroup version", () => {
  assertEquals(hasCgroupns(build({})), true);
  assertEquals(hasCgroupns(build({}, { cgroupVersion: 1 })), false);
  assertEquals(hasCgroupns(build({ cgroupns: "host" })), false);
  assertEquals(hasCgroupns(build({ cgroupns: "private" }, { cgroupVersion: 1 })), true);
  assertEquals(build({ cgroupns: "private" }).spec.linux.namespaces.at(-1), { type: "cgroup" });
});

Deno.test("--oom-score-adj reaches the plan and the OCI spec; limits are recorded", () => {
  const r = build({
    oomScoreAdj: -200,
    cpuPeriod: 50000,
    cpuQuota: 20000,
    cpusetCpus: "0",
    memoryReservation: 16 << 20,
    oomKillDisable: true,
    deviceReadBps: [{ path: "/dev/sda", major: 8, minor: 0, rate: 1024 }],
  });
  assertEquals(r.plan.process.oomScoreAdj, -200);
  assertEquals(r.spec.process.oomScoreAdj, -200);
  assertEquals(r.spec.linux.resources.cpu, { period: 50000, quota: 20000, cpus: "0" });
  assertEquals(r.spec.linux.resources.memory, {
    reservation: 16 << 20,
    disableOOMKiller: true,
  });
  assertEquals(r.spec.linux.resources.blockIO, {
    throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1024 }],
  });
  assertEquals(build({}).plan.process.oomScoreAdj, undefined);
  const created = deriveContainer(ID, { Cmd: ["sh"] }, {
    ...defaultRunOptions(),
    resources: {
      cpusetMems: "0",
      deviceWriteIops: [{ path: "/dev/sda", major: 8, minor: 0, rate: 5 }],
    },
  });
  assertEquals(created.Limits.cpusetMems, "0");
  assertEquals(created.Limits.deviceWriteIops, [{ major: 8, minor: 0, rate: 5 }]);
});
