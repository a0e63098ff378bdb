/**
 * Removing and cleaning up, on the fake host: what is refused, what is killed first, and
 * what is removed (cgroups, data, run directory, name, anonymous volumes).
 */
import { assert, assertEquals, assertRejects } from "../helpers/assert.ts";
import { FailedPreconditionError } from "../../src/errors.ts";
import { anonymousVolumeName } from "../../src/runtime/volumes.ts";
import { cleanupContainer, removeContainer } from "../../src/runtime/remove.ts";
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

const NAME_FILE = `${store.root}/names/web`;

Deno.test("rm: a running container is refused without --force, and nothing is touched", async () => {
  const rec = record();
  const { host } = runningScene(rec);
  const cgroups = new FakeCgroups();
  const err = await assertRejects(
    () => removeContainer(store, rec, { force: false, volumes: false }, { host, cgroups }),
    FailedPreconditionError,
  );
  assert(err.message.includes("stop the container before removing or force remove"));
  assertEquals(host.signals, []);
  assertEquals(host.removed, []);
  assertEquals(cgroups.events, []);
});

Deno.test("rm -f: SIGKILL first, then the cgroups, the data, the name and the run directory", async () => {
  const rec = record();
  const { host } = runningScene(rec, { ignores: ["SIGTERM"] });
  const cgroups = new FakeCgroups();
  let removedAtDestroy = -1;
  cgroups.destroy = (id, o) => {
    removedAtDestroy = host.removed.length;
    return FakeCgroups.prototype.destroy.call(cgroups, id, o);
  };
  await removeContainer(store, rec, { force: true, volumes: false }, { host, cgroups });
  assertEquals(host.signals.map((s) => [s.pid, s.signal]), [[PID, "SIGKILL"]]);
  assertEquals(cgroups.events, [`cgroups destroy ${ID} kill`]);
  assertEquals(removedAtDestroy, 0);
  // the run directory, then the record renamed into scratch (one step) and deleted there
  assertEquals(host.removed.length, 3);
  assertEquals([host.removed[0], host.removed[1]], [RUN_DIR, NAME_FILE]);
  assert(host.removed[2].startsWith(`${store.tmp}/rmc-${ID.slice(0, 12)}-`), host.removed[2]);
  assertEquals(host.locks, [`${store.locks}/names.lock`]);
  assertEquals(host.dirs.has(DIR) || host.dirs.has(RUN_DIR), false);
});

Deno.test("rm -v: the anonymous volumes go, named ones stay", async () => {
  const rec = record({
    mounts: [
      { type: "volume", target: "/data", readonly: false, noCopy: false },
      { type: "volume", name: "keep", target: "/keep", readonly: false, noCopy: false },
    ],
  });
  const { host } = scene(rec, { Status: "exited" });
  const removed: string[] = [];
  await removeContainer(store, rec, { force: false, volumes: true }, {
    host,
    cgroups: new FakeCgroups(),
    removeVolume: (_s, name) => {
      removed.push(name);
      return Promise.resolve();
    },
  });
  assertEquals(removed, [await anonymousVolumeName(ID, "/data")]);
  assertEquals(host.signals, []);

  // without -v no volume is touched
  const again = scene(rec, { Status: "exited" }).host;
  removed.length = 0;
  await removeContainer(store, rec, { force: false, volumes: false }, {
    host: again,
    cgroups: new FakeCgroups(),
    removeVolume: (_s, name) => {
      removed.push(name);
      return Promise.resolve();
    },
  });
  assertEquals(removed, []);
});

Deno.test("rm: a name now owned by another container is left to it", async () => {
  const rec = record();
  const { host } = scene(rec, { Status: "exited" });
  host.addFile(NAME_FILE, "f".repeat(64)); // renamed meanwhile, and the name taken
  await removeContainer(store, rec, { force: false, volumes: false }, {
    host,
    cgroups: new FakeCgroups(),
  });
  assertEquals(host.file(NAME_FILE), "f".repeat(64));
  assertEquals(host.removed.length, 2);
  assertEquals(host.removed[0], RUN_DIR);
  assert(host.removed[1].startsWith(`${store.tmp}/rmc-${ID.slice(0, 12)}-`), host.removed[1]);
});

Deno.test("container cleanup: records the exit, removes the cgroups, and --rm's container", async () => {
  const rec = record();
  const { host } = scene(rec, { Status: "running", Pid: PID, RestartCount: 1 });
  host.addFile(
    `${RUN_DIR}/exit`,
    JSON.stringify({ exitCode: 4, exitedAt: "2026-01-01T00:01:00Z", oomKilled: true }),
  );
  host.addFile(`${RUN_DIR}/restarts`, "2\n");
  const cgroups = new FakeCgroups();
  await cleanupContainer(store, rec, { host, cgroups });
  const state = JSON.parse(host.file(`${DIR}/state.json`)!);
  assertEquals(
    [state.Status, state.ExitCode, state.OOMKilled, state.FinishedAt, state.RestartCount],
    ["exited", 4, true, "2026-01-01T00:01:00Z", 2],
  );
  assertEquals(cgroups.events, [`cgroups destroy ${ID} kill`]);
  assertEquals(host.removed, []);

  const rm = record({ autoRemove: true });
  const auto = scene(rm, { Status: "exited" }).host;
  const cg = new FakeCgroups();
  await cleanupContainer(store, rm, { host: auto, cgroups: cg });
  assertEquals(auto.removed.length, 3);
  assertEquals([auto.removed[0], auto.removed[1]], [RUN_DIR, NAME_FILE]);
  assert(auto.removed[2].startsWith(`${store.tmp}/rmc-${ID.slice(0, 12)}-`), auto.removed[2]);
  assertEquals(auto.dirs.has(DIR), false);
  assertEquals(cg.events, [`cgroups destroy ${ID} kill`, `cgroups destroy ${ID} kill`]);
});
