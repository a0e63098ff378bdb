/**
 * Stopping and killing, on the fake host: which process gets which signal, when, and what
 * tells the monitor not to restart.
 */
import { assert, assertEquals, assertRejects } from "../helpers/assert.ts";
import { FailedPreconditionError } from "../../src/errors.ts";
import { killContainer, stopContainer } from "../../src/runtime/stop.ts";
import {
  DIR,
  FakeCgroups,
  ID,
  PID,
  record,
  RUN_DIR,
  runningScene,
  scene,
  store,
} from "./fake_runtime.ts";

Deno.test("stop: the stop signal to the first process; it ends, the state says how", async () => {
  const rec = { ...record(), StopSignal: "SIGQUIT" };
  const { host } = runningScene(rec);
  const cgroups = new FakeCgroups();
  const state = await stopContainer(store, rec, 10, undefined, { host, cgroups });
  assertEquals(host.signals.map((s) => [s.pid, s.signal]), [[PID, "SIGQUIT"]]);
  assertEquals(host.file(`${RUN_DIR}/stopping`), ""); // no restart follows
  assertEquals([state.Status, state.ExitCode, state.Pid, state.MonitorPid], ["exited", 143, 0, 0]);
  assertEquals(JSON.parse(host.file(`${DIR}/state.json`)!).Status, "exited");
  assertEquals(cgroups.events, []); // not paused: no thaw
});

Deno.test("stop: a process that ignores the signal gets SIGKILL once the timeout passed", async () => {
  const rec = record();
  const { host } = runningScene(rec, { ignores: ["SIGTERM"] });
  const state = await stopContainer(store, rec, 3, "SIGTERM", { host, cgroups: new FakeCgroups() });
  const sent = host.signals.map((s) => [s.pid, s.signal]);
  assertEquals(sent, [[PID, "SIGTERM"], [PID, "SIGKILL"]]);
  assert(host.signals[1].at - host.signals[0].at >= 3000, "SIGKILL before the timeout");
  assertEquals([state.Status, state.ExitCode], ["exited", 137]);
});

Deno.test("stop: a paused container is thawed before the signal", async () => {
  const rec = record();
  const { host } = runningScene(rec, { status: "paused" });
  host.addFile(`/sys/fs/cgroup/skiff/${ID}/cgroup.freeze`, "1\n");
  const cgroups = new FakeCgroups();
  let signalsAtThaw = -1;
  cgroups.thaw = (id) => {
    signalsAtThaw = host.signals.length;
    return FakeCgroups.prototype.thaw.call(cgroups, id);
  };
  await stopContainer(store, rec, 10, "SIGTERM", { host, cgroups });
  assertEquals(cgroups.events, [`cgroups thaw ${ID}`]);
  assertEquals(signalsAtThaw, 0);
  assertEquals(host.signals.map((s) => s.signal), ["SIGTERM"]);
});

Deno.test("stop: an exited container gets no signal and no stop mark", async () => {
  const rec = record();
  const { host } = scene(rec, { Status: "exited", ExitCode: 3 });
  const state = await stopContainer(store, rec, 10, "SIGTERM", { host });
  assertEquals([state.Status, state.ExitCode], ["exited", 3]);
  assertEquals(host.signals, []);
  assertEquals(host.file(`${RUN_DIR}/stopping`), undefined);
});

Deno.test("kill: SIGKILL marks a user's stop and thaws a paused container first", async () => {
  const rec = record();
  const { host } = runningScene(rec, { status: "paused" });
  host.addFile(`/sys/fs/cgroup/skiff/${ID}/cgroup.freeze`, "1\n");
  const cgroups = new FakeCgroups();
  await killContainer(store, rec, "KILL", { host, cgroups });
  assertEquals(cgroups.events, [`cgroups thaw ${ID}`]);
  assertEquals(host.signals.map((s) => [s.pid, s.signal]), [[PID, "SIGKILL"]]);
  assertEquals(host.file(`${RUN_DIR}/stopping`), "");
});

Deno.test("kill: another signal is only passed on; a stopped container is refused", async () => {
  const rec = record();
  const { host } = runningScene(rec, { ignores: ["SIGHUP"] });
  await killContainer(store, rec, "HUP", { host, cgroups: new FakeCgroups() });
  assertEquals(host.signals.map((s) => [s.pid, s.signal]), [[PID, "SIGHUP"]]);
  assertEquals(host.file(`${RUN_DIR}/stopping`), undefined); // a restart policy still applies

  const stopped = scene(rec, { Status: "exited" }).host;
  const err = await assertRejects(
    () => killContainer(store, rec, "KILL", { host: stopped }),
    FailedPreconditionError,
  );
  assertEquals(err.message, `Cannot kill container: ${ID}: container ${ID} is not running`);
  assertEquals(stopped.signals, []);
});
