/**
 * Deriving a container's state from its monitor and processes, on the fake host: a dead
 * monitor means an ended container, and an orphaned process is killed only while it is
 * provably the container's.
 */
import { assertEquals } from "../helpers/assert.ts";
import { currentState, waitMonitorDone } from "../../src/runtime/state.ts";
import { DIR, ID, MONITOR_PID, PID, record, RUN_DIR, runningScene, store } from "./fake_runtime.ts";

Deno.test("state: a living monitor and process are running, a frozen cgroup is paused", async () => {
  const rec = record();
  const { host } = runningScene(rec);
  host.addFile(`${RUN_DIR}/restarts`, "3\n");
  const state = await currentState(store, rec, host);
  assertEquals([state.Status, state.Pid, state.RestartCount], ["running", PID, 3]);
  host.addFile(`/sys/fs/cgroup/skiff/${ID}/cgroup.freeze`, "1\n");
  assertEquals((await currentState(store, rec, host)).Status, "paused");
  assertEquals(host.signals, []);
});

Deno.test("state: a container under --cgroup-parent is paused by its own freezer, not skiff's", async () => {
  const rec = record({ cgroupParent: "/ci/job7" });
  const { host } = runningScene(rec);
  // the default parent's file does not count for it
  host.addFile(`/sys/fs/cgroup/skiff/${ID}/cgroup.freeze`, "1\n");
  host.addFile(`/sys/fs/cgroup/ci/job7/${ID}/cgroup.freeze`, "0\n");
  assertEquals((await currentState(store, rec, host)).Status, "running");
  host.addFile(`/sys/fs/cgroup/ci/job7/${ID}/cgroup.freeze`, "1\n");
  assertEquals((await currentState(store, rec, host)).Status, "paused");
  host.addFile(`/sys/fs/cgroup/freezer/ci/job7/${ID}/freezer.state`, "THAWED\n");
  assertEquals((await currentState(store, rec, host)).Status, "running");
});

Deno.test("state: the process exited and no restart follows: exited, before the monitor's clean-up", async () => {
  const rec = record();
  const { host } = runningScene(rec);
  host.processes.delete(PID);
  host.addFile(
    `${RUN_DIR}/exit`,
    JSON.stringify({ exitCode: 2, exitedAt: "2026-01-01T00:02:00Z", oomKilled: false }),
  );
  // without `finished` a restart follows: between restarts
  assertEquals((await currentState(store, rec, host)).Status, "restarting");
  host.addFile(`${RUN_DIR}/finished`, "");
  const state = await currentState(store, rec, host);
  assertEquals([state.Status, state.ExitCode, state.FinishedAt], [
    "exited",
    2,
    "2026-01-01T00:02:00Z",
  ]);
  // the monitor persists it, not the reader
  assertEquals(JSON.parse(host.file(`${DIR}/state.json`)!).Status, "running");
});

Deno.test("state: in a restart's back-off the container has no pid, even when its old pid is reused", async () => {
  const rec = record();
  const { host } = runningScene(rec);
  // the process exited; the monitor removed the pid file before reaping it, and the kernel
  // has since given the pid to an unrelated host process
  host.processes.set(PID, { startTime: "9999" });
  await host.remove(`${RUN_DIR}/pid`);
  host.addFile(
    `${RUN_DIR}/exit`,
    JSON.stringify({ exitCode: 1, exitedAt: "2026-01-01T00:02:00Z", oomKilled: false }),
  );
  const state = await currentState(store, rec, host);
  assertEquals([state.Status, state.Pid], ["restarting", 0]);
  // the restarted process gets a new pid file: running again, with its own pid
  host.addProcess(PID + 1, { startTime: "10000" });
  host.addFile(`${RUN_DIR}/pid`, String(PID + 1));
  const again = await currentState(store, rec, host);
  assertEquals([again.Status, again.Pid], ["running", PID + 1]);
  assertEquals(host.signals, []);
});

Deno.test("state: a killed monitor's container is killed while it is in the container's cgroup", async () => {
  const rec = record();
  const { host } = runningScene(rec);
  host.processes.delete(MONITOR_PID);
  const state = await currentState(store, rec, host);
  assertEquals(host.signals.map((s) => [s.pid, s.signal]), [[PID, "SIGKILL"]]);
  assertEquals([state.Status, state.ExitCode, state.Error], [
    "exited",
    137,
    "container monitor exited unexpectedly",
  ]);
  assertEquals(JSON.parse(host.file(`${DIR}/state.json`)!).Status, "exited");
});

Deno.test("state: after a reboot the old pid is someone else's and gets no signal", async () => {
  const rec = record();
  const { host } = runningScene(rec);
  // the monitor's pid was reused (another start time), and so was the container's
  host.addProcess(MONITOR_PID, { startTime: "3" });
  host.addProcess(PID, { startTime: "4", cgroup: "0::/user.slice/sshd.service\n" });
  const state = await currentState(store, rec, host);
  assertEquals(host.signals, []);
  assertEquals(state.Status, "exited");
});

Deno.test("waitMonitorDone: returns once the monitor is gone, or at the timeout", async () => {
  const rec = record();
  const { host } = runningScene(rec);
  const t0 = host.now();
  await waitMonitorDone(store, rec, 500, host);
  assertEquals(host.now() - t0 >= 500, true); // the monitor never went: gave up
  host.processes.delete(MONITOR_PID);
  const t1 = host.now();
  await waitMonitorDone(store, rec, 500, host);
  assertEquals(host.now(), t1); // gone: no wait at all
});
