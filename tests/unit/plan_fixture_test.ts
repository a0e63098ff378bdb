/**
 * One plan through both parsers: the TypeScript writer must produce exactly the checked-in
 * files `tests/fixtures/plan/launch.plan` and `exec.plan` from the plans below, and the C
 * reader (`ffi/tests/plan_test.c`, run by `make -C ffi test`) reads the same files into the
 * values these plans hold; `exec`, which reads the first process's settings back from the
 * launch plan, gets the same ones. A change of the format on one side shows up as a
 * difference here or there; change the fixture, this test and the C test together.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { type ExecPlan, serializeExecPlan, serializePlan } from "../../src/runtime/plan_format.ts";
import type { LaunchPlan } from "../../src/runtime/plan.ts";
import { buildExecPlan } from "../../src/runtime/exec.ts";
import { DIR, PID, record, runningScene, store } from "./fake_runtime.ts";

const FIXTURES = new URL("../fixtures/plan/", import.meta.url);

const ID = "0123456789abcdef".repeat(4);

/** Every directive of a launch plan, with fields that need escaping and numbers at their limits. */
const LAUNCH: LaunchPlan = {
  id: ID,
  rootfs: {
    lowerdirs: ["/var/lib/skiff/layers/top/diff", "/var/lib/skiff/layers/base/diff"],
    upperdir: "/var/lib/skiff/containers/x/upper",
    workdir: "/var/lib/skiff/containers/x/work",
    target: "/var/lib/skiff/containers/x/merged",
  },
  readonlyRoot: true,
  hostname: "box",
  process: {
    args: ["sh", "-c", "printf 'a\tb\\n' && echo back\\slash\nnext line", "literal \\t"],
    env: ["PATH=/usr/bin:/bin", "TABBED=x\ty", "EMPTY="],
    cwd: "/work dir",
    uid: 1000,
    gid: 100,
    additionalGids: [10, 4294967294],
    terminal: true,
    stdin: true,
    capabilities: ["CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_SYS_ADMIN"],
    noNewPrivileges: true,
    seccomp: {
      defaultErrno: 1,
      allow: Array.from({ length: 35 }, (_, i) => i),
      conditional: [
        { nr: 135, arg: 0, op: "eq", value: 0xffffffff },
        { nr: 56, arg: 0, op: "maskedEq", value: 0, mask: 0x7E020000 },
        { nr: 41, arg: 0, op: "maskedEq", value: 2 ** 31, mask: 2 ** 31 },
        { nr: 41, arg: 2, op: "eq", value: 2 ** 40 },
      ],
      errnoRules: [{ nr: 435, errno: 38 }],
    },
    rlimits: [
      { type: "nofile", soft: 1024, hard: 1048576 },
      { type: "core", soft: -1, hard: -1 },
    ],
    oomScoreAdj: -500,
  },
  namespaces: [
    { type: "pid" },
    { type: "mount" },
    { type: "ipc" },
    { type: "uts" },
    { type: "net", path: "/run/skiff/netns/x" },
    { type: "cgroup" },
  ],
  mounts: [
    {
      source: "proc",
      destination: "/proc",
      type: "proc",
      flags: ["nosuid", "noexec", "nodev"],
      data: "",
    },
    {
      source: "tmpfs",
      destination: "/dev",
      type: "tmpfs",
      flags: ["nosuid", "strictatime"],
      data: "mode=755,size=65536k",
    },
    {
      source: "/srv/data dir",
      destination: "/data",
      type: "bind",
      flags: ["rbind", "ro", "rprivate", "x-custom"],
      data: "",
    },
    {
      source: "/var/lib/skiff/volumes/v/_data",
      destination: "/vol",
      type: "bind",
      flags: ["rbind"],
      data: "",
      subpath: "a/b",
    },
  ],
  devices: [
    { path: "/dev/null", type: "c", major: 1, minor: 3, mode: 0o666, uid: 0, gid: 0 },
    { path: "/dev/sda", type: "b", major: 8, minor: 0, mode: 0o660, uid: 0, gid: 6 },
  ],
  maskedPaths: ["/proc/kcore", "/sys/firmware"],
  readonlyPaths: ["/proc/sys", "/proc/sysrq-trigger"],
  cgroupPaths: ["/sys/fs/cgroup/skiff/x"],
  uidMappings: ["0 100000 65536"],
  gidMappings: ["0 200000 65536"],
  state: {
    dir: "/run/skiff/containers/x",
    logPath: "/var/lib/skiff/containers/x/ctr.log",
    stopSignal: "SIGQUIT",
  },
  restart: { policy: "on-failure", maxRetries: 3 },
  networkHook: ["/usr/bin/skiff", "net-hook", "x"],
  cleanupCommand: ["/usr/bin/skiff", "cleanup", "x"],
  exitActions: {
    removeCgroups: true,
    exitRecord: "/var/lib/skiff/containers/x/exit.json",
    remove: [
      { path: "/var/lib/skiff/containers/x", lock: "/var/lib/skiff/locks/names.lock" },
      { path: "/var/lib/skiff/names/box", ifContent: ID },
      { path: "/run/skiff/containers/x" },
    ],
  },
};

/** An exec plan: no seccomp filter (an exec of a --privileged container), detached. */
const EXEC: ExecPlan = {
  pid: 4242,
  process: {
    args: ["ps", "-ef"],
    env: ["PATH=/bin"],
    cwd: "/",
    uid: 0,
    gid: 0,
    additionalGids: [],
    terminal: false,
    stdin: false,
    capabilities: ["CAP_KILL"],
    noNewPrivileges: false,
    rlimits: [{ type: "nproc", soft: 50, hard: 60 }],
  },
  cgroupPaths: ["/sys/fs/cgroup/skiff/x"],
  detach: true,
};

/** The first line where the writer's text and the fixture differ, or undefined. */
function firstDifference(wrote: string, fixture: string): string | undefined {
  const a = wrote.split("\n");
  const b = fixture.split("\n");
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      return `line ${i + 1}: wrote ${JSON.stringify(a[i])}, fixture has ${JSON.stringify(b[i])}`;
    }
  }
  return undefined;
}

Deno.test("plan fixture: serializePlan writes exactly tests/fixtures/plan/launch.plan", async () => {
  const want = await Deno.readTextFile(new URL("launch.plan", FIXTURES));
  const wrote = serializePlan(LAUNCH, { waitForAttach: true });
  assertEquals(firstDifference(wrote, want), undefined);
  assertEquals(wrote, want);
});

Deno.test("plan fixture: serializeExecPlan writes exactly tests/fixtures/plan/exec.plan", async () => {
  const want = await Deno.readTextFile(new URL("exec.plan", FIXTURES));
  const wrote = serializeExecPlan(EXEC);
  assertEquals(firstDifference(wrote, want), undefined);
  assertEquals(wrote, want);
});

Deno.test("plan fixture: exec reads the first process's user, capabilities, rlimits and filter back from launch.plan", async () => {
  const fixture = await Deno.readTextFile(new URL("launch.plan", FIXTURES));
  const rec = record();
  const { host } = runningScene(rec);
  host.addFile(`${DIR}/plan`, fixture);
  const req = { cmd: ["ps"], detach: false, interactive: false, tty: false, env: [] };
  const plan = await buildExecPlan(store, rec, PID, { ...req, privileged: false }, { host });
  const p = plan.process;
  assertEquals([p.uid, p.gid, p.additionalGids], [1000, 100, [10, 4294967294]]);
  assert(p.env.includes("HOSTNAME=box")); // the plan's hostname, not the record's
  // ...and writes them again as the launch plan has them
  const lines = (text: string) =>
    text.split("\n").filter((l) => /^(cap|seccomp|seccomp-\w+|rlimit)\t/.test(l));
  assertEquals(lines(serializeExecPlan(plan)), lines(fixture));
  assertEquals(lines(fixture).length, 3 + 1 + 2 + 1 + 4 + 2);
});
