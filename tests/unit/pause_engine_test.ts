/**
 * pause and unpause in the engine: one verb-parameterised function, the cgroup manager and
 * the host passed in (a fake manager records what was frozen; a fake host tells the state).
 */
import { assertEquals } from "../helpers/assert.ts";
import { addImage, tempEngineStore } from "../helpers/fake_images.ts";
import { createContainer, type PullEvents } from "../../src/engine/container_create.ts";
import { pauseContainers } from "../../src/engine/container_lifecycle.ts";
import { containerDir, containerRunDir } from "../../src/runtime/container_store.ts";
import { defaultRunOptions } from "../../src/runtime/run_options.ts";
import type { Store } from "../../src/store/store.ts";
import { FakeHost } from "../../src/sys/fake_host.ts";
import { FakeCgroups } from "./fake_runtime.ts";

/** Pull events that fail the test: the image is local. */
const noPull: PullEvents = {
  pulling: (name) => {
    throw new Error(`unexpected pull of ${name}`);
  },
};

/** Makes the container look running (its monitor and process alive), or paused. */
function live(host: FakeHost, store: Store, id: string, paused: boolean): void {
  host.addProcess(900, { startTime: "100" });
  host.addProcess(901, { startTime: "101" });
  host.addFile(
    `${containerDir(store, id)}/state.json`,
    JSON.stringify({
      Status: "running",
      Pid: 901,
      MonitorPid: 900,
      MonitorStartTime: "100",
      ExitCode: 0,
      Error: "",
      OOMKilled: false,
      StartedAt: new Date().toISOString(),
      FinishedAt: "0001-01-01T00:00:00Z",
      RestartCount: 0,
    }),
  );
  host.addFile(`${containerRunDir(store, id)}/pid`, "901\n");
  host.addFile(`/sys/fs/cgroup/skiff/${id}/cgroup.freeze`, paused ? "1\n" : "0\n");
}

Deno.test("pause freezes a running container, unpause thaws a paused one, through the given manager", async () => {
  const { where, store, cleanup } = await tempEngineStore();
  try {
    await addImage(store, { tags: ["docker.io/library/app:1"] });
    const options = { ...defaultRunOptions(), cmd: ["sh"] };
    const { rec } = await createContainer(where, { image: "app:1", options, name: "web" }, noPull);
    const events: string[] = [];
    const cgroups = new FakeCgroups(events);

    // a created container is neither running nor paused: refused, nothing frozen
    let host = new FakeHost();
    host.addFile(
      `${containerDir(store, rec.Id)}/state.json`,
      JSON.stringify({ Status: "created" }),
    );
    const refused = await pauseContainers(where, ["web", "nope"], "pause", undefined, {
      cgroups,
      host,
    });
    assertEquals(refused.map((r) => r.ok ? "ok" : r.error.message), [
      `Container ${rec.Id} is not running`,
      "No such container: nope",
    ]);
    const notPaused = await pauseContainers(where, ["web"], "unpause", undefined, {
      cgroups,
      host,
    });
    assertEquals(notPaused.map((r) => r.ok ? "ok" : r.error.message), [
      `Container ${rec.Id} is not paused`,
    ]);
    assertEquals(events, []);

    host = new FakeHost();
    live(host, store, rec.Id, false);
    const paused = await pauseContainers(where, ["web"], "pause", undefined, { cgroups, host });
    assertEquals(paused.map((r) => r.ok), [true]);
    assertEquals(events, [`cgroups freeze ${rec.Id}`]);

    host = new FakeHost();
    live(host, store, rec.Id, true);
    const again = await pauseContainers(where, ["web"], "pause", undefined, { cgroups, host });
    assertEquals(again.map((r) => r.ok ? "ok" : r.error.message), [
      `Container ${rec.Id} is already paused`,
    ]);
    const thawed = await pauseContainers(where, ["web"], "unpause", undefined, { cgroups, host });
    assertEquals(thawed.map((r) => r.ok), [true]);
    assertEquals(events, [`cgroups freeze ${rec.Id}`, `cgroups thaw ${rec.Id}`]);
  } finally {
    await cleanup();
  }
});
