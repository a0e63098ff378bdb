/**
 * Planning `exec` on the fake host: the new process reuses what the first one was started
 * with (read back from the launch plan), `-u` is resolved in the container's root, and the
 * helper is run with the plan and its status turned into Docker's exit code.
 */
import { assert, assertEquals, assertRejects } from "../helpers/assert.ts";
import { FailedPreconditionError } from "../../src/errors.ts";
import { buildExecPlan, execContainer, type ExecRequest } from "../../src/runtime/exec.ts";
import { parseLine, serializeExecPlan } from "../../src/runtime/plan_format.ts";
import { startContainer } from "../../src/runtime/start.ts";
import {
  DIR,
  FakeCgroups,
  FakeNetwork,
  FakeRootfs,
  MONITOR_PID,
  PID,
  record,
  RUN_DIR,
  runningScene,
  scene,
  store,
} from "./fake_runtime.ts";

const req = (over: Partial<ExecRequest> = {}): ExecRequest => ({
  cmd: ["ps"],
  detach: false,
  interactive: false,
  tty: false,
  env: [],
  privileged: false,
  ...over,
});

/** A container started on the fake host as `app` with --cap-drop and --ulimit, its plan written. */
async function started() {
  const rec = record({
    user: "app",
    capDrop: ["CAP_NET_RAW"],
    ulimits: [{ name: "nproc", soft: 50, hard: 60 }],
  });
  const { host, events } = scene(rec);
  host.onRun = () => {
    host.addFile(`${RUN_DIR}/monitor.pid`, `${MONITOR_PID}\n`);
    host.addProcess(MONITOR_PID, { startTime: "700" });
    host.addProcess(PID, { startTime: "701", cgroup: `0::/skiff/${rec.Id}\n` });
    return { stdout: new TextEncoder().encode(`${PID}\n`) };
  };
  const rootfs = new FakeRootfs(events);
  const cgroups = new FakeCgroups(events);
  await startContainer(store, rec, { host, rootfs, cgroups, network: new FakeNetwork(events) });
  host.onRun = undefined;
  host.runs = []; // the monitor's start
  return { rec, host, rootfs };
}

Deno.test("exec plan: the first process's user, capabilities, rlimits and seccomp filter", async () => {
  const { rec, host, rootfs } = await started();
  const plan = await buildExecPlan(store, rec, PID, req({ env: ["A=1"] }), { host, rootfs });
  const first = host.file(`${DIR}/plan`)!.split("\n").map(parseLine);
  const firstCaps = first.filter((l) => l[0] === "cap").map((l) => l[1]);
  assertEquals(plan.pid, PID);
  assertEquals(plan.cgroupPaths, [`/sys/fs/cgroup/skiff/${rec.Id}`]); // joined, v2 too
  assertEquals([plan.process.uid, plan.process.gid], [1000, 1000]);
  assertEquals(plan.process.additionalGids, [1000, 10]);
  assertEquals(plan.process.capabilities, firstCaps);
  assert(!plan.process.capabilities.includes("CAP_NET_RAW"));
  assert(plan.process.rlimits.some((r) => r.type === "nproc" && r.soft === 50 && r.hard === 60));
  assert(plan.process.seccomp !== undefined);
  assert(plan.process.env.includes("HOME=/home/app"));
  assert(plan.process.env.includes(`HOSTNAME=${rec.Hostname}`));
  assert(plan.process.env.includes("A=1"));
  assertEquals([plan.process.args, plan.process.cwd, plan.detach], [["ps"], "/", false]); // the exec'd process joins the first process's cgroup (here on v2)
  assertEquals(plan.cgroupPaths, [`/sys/fs/cgroup/skiff/${rec.Id}`]);
});

Deno.test("exec plan: -u is resolved in the container's root, --privileged keeps the filter", async () => {
  const { rec, host, rootfs } = await started();
  const root = await buildExecPlan(store, rec, PID, req({ user: "root", privileged: true }), {
    host,
    rootfs,
  });
  assertEquals([root.process.uid, root.process.gid, root.process.additionalGids], [0, 0, [0]]);
  assert(root.process.env.includes("HOME=/root"));
  // every capability, but the container's own filter, as Docker and Podman do
  const first = await buildExecPlan(store, rec, PID, req(), { host, rootfs });
  assert(first.process.seccomp !== undefined);
  assertEquals(root.process.seccomp, first.process.seccomp);
  assert(root.process.capabilities.includes("CAP_SYS_ADMIN"));
  assertEquals(rootfs.events.filter((e) => e.startsWith("rootfs")).length, 2); // start, then -u
});

Deno.test("exec: refused for a paused or stopped container, before anything is run", async () => {
  const rec = record();
  const paused = runningScene(rec, { status: "paused" }).host;
  paused.addFile(`/sys/fs/cgroup/skiff/${rec.Id}/cgroup.freeze`, "1\n");
  const err = await assertRejects(
    () => execContainer(store, rec, req(), { host: paused }),
    FailedPreconditionError,
  );
  assertEquals(err.message, `Container ${rec.Id} is paused, unpause the container before exec`);
  assertEquals(err.exitCode, 1);
  const stopped = scene(rec, { Status: "exited" }).host;
  const err2 = await assertRejects(
    () => execContainer(store, rec, req(), { host: stopped }),
    FailedPreconditionError,
  );
  assertEquals(err2.message, `Container ${rec.Id} is not running`);
  assertEquals([paused.runs, stopped.runs], [[], []]);
});

Deno.test("exec: the helper gets the plan in its environment; a signal is 128 + its number", async () => {
  const { rec, host, rootfs } = await started();
  host.onRun = () => ({ code: 0, signal: "SIGKILL" });
  const code = await execContainer(store, rec, req({ cmd: ["sleep", "1"] }), { host, rootfs });
  assertEquals(code, 137);
  assertEquals(host.runs.length, 1);
  const { program, command } = host.runs[0];
  assert(program.endsWith("skiff-monitor"));
  assertEquals(command.args, ["exec", "-"]);
  assertEquals([command.stdin, command.stdout, command.stderr], ["inherit", "inherit", "inherit"]);
  const lines = command.env!.SKIFF_EXEC_PLAN.split("\n").map(parseLine);
  assertEquals(lines.find((l) => l[0] === "exec-pid"), ["exec-pid", String(PID)]);
  assertEquals(lines.filter((l) => l[0] === "arg"), [["arg", "sleep"], ["arg", "1"]]);

  host.onRun = () => ({ code: 3 });
  assertEquals(await execContainer(store, rec, req(), { host, rootfs }), 3);
});

Deno.test("exec: a plan too large for the environment goes through a file that is removed", async () => {
  const { rec, host, rootfs } = await started();
  let planFile = "";
  host.onRun = (_p, command) => {
    planFile = command.args[1];
    assert(host.file(planFile)!.includes("exec-pid"));
    return { code: 0 };
  };
  const big = req({ env: [`BIG=${"x".repeat(50_000)}`] });
  assertEquals(await execContainer(store, rec, big, { host, rootfs }), 0);
  assert(planFile.startsWith(`${store.tmp}/skiff-exec-`), planFile);
  assertEquals(host.runs[0].command.env, {});
  assertEquals(host.file(planFile), undefined);
  assert(host.removed.includes(planFile));
});

Deno.test("exec plan: a first process that is gone is a container that is not running", async () => {
  const { rec, host, rootfs } = await started();
  host.processes.delete(PID);
  const err = await assertRejects(
    () => buildExecPlan(store, rec, PID, req(), { host, rootfs }),
    FailedPreconditionError,
  );
  assertEquals(err.message, `Container ${rec.Id} is not running`);
});

Deno.test("exec plan: detach keys only with a pty and stdin, ctrl-p ctrl-q by default", async () => {
  const { rec, host, rootfs } = await started();
  const plan = (r: Partial<ExecRequest>) =>
    buildExecPlan(store, rec, PID, req(r), { host, rootfs });
  assertEquals((await plan({ tty: true, interactive: true })).detachKeys, [16, 17]);
  const own = await plan({ tty: true, interactive: true, detachKeys: new Uint8Array([24, 121]) });
  assertEquals(own.detachKeys, [24, 121]);
  assert(serializeExecPlan(own).includes("\ndetach-keys\t24\t121\n"));
  for (
    const r of [{ tty: true }, { interactive: true }, {
      tty: true,
      interactive: true,
      detach: true,
    }]
  ) {
    const p = await plan(r);
    assertEquals(p.detachKeys, undefined, JSON.stringify(r));
    assert(!serializeExecPlan(p).includes("detach-keys"));
  }
});
