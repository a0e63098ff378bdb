/**
 * withFrozen: a running container is frozen while its files are read and
 * thawed afterwards; a freeze that fails stops the read instead of letting it
 * go on against a live container.
 */
import { assertEquals, assertRejects } from "../helpers/assert.ts";
import {
  containerFreezeControl,
  type FreezeControl,
  withFrozen,
} from "../../src/runtime/freeze.ts";
import { FakeCgroups, record, runningScene, scene, store } from "./fake_runtime.ts";
import type { ContainerStatus } from "../../src/runtime/status.ts";

function fake(statuses: ContainerStatus[], fail: { freeze?: boolean; thaw?: boolean } = {}) {
  const calls: string[] = [];
  const control: FreezeControl = {
    status: () => Promise.resolve(statuses.length > 1 ? statuses.shift()! : statuses[0]),
    freeze: () => {
      calls.push("freeze");
      return fail.freeze ? Promise.reject(new Error("freezer.state: EBUSY")) : Promise.resolve();
    },
    thaw: () => {
      calls.push("thaw");
      return fail.thaw ? Promise.reject(new Error("freezer.state: EIO")) : Promise.resolve();
    },
  };
  const read = () => {
    calls.push("read");
    return Promise.resolve(42);
  };
  return { control, calls, read };
}

Deno.test("a running container is frozen while it is read, then thawed", async () => {
  const f = fake(["running"]);
  assertEquals(await withFrozen(f.control, "box", f.read), 42);
  assertEquals(f.calls, ["freeze", "read", "thaw"]);
});

Deno.test("a failed freeze of a running container is an error and nothing is read", async () => {
  const f = fake(["running"], { freeze: true });
  const err = await assertRejects(() => withFrozen(f.control, "box", f.read), Error);
  assertEquals(err.message, "cannot pause container box to read its files: freezer.state: EBUSY");
  assertEquals(f.calls, ["freeze", "thaw"]);
});

Deno.test("paused and stopped containers are read as they are", async () => {
  for (const status of ["paused", "exited", "created"] as const) {
    const f = fake([status]);
    assertEquals(await withFrozen(f.control, "box", f.read), 42);
    assertEquals(f.calls, ["read"]);
  }
  // it stopped between the look and the freeze: nothing runs in it any more
  const gone = fake(["running", "exited"], { freeze: true });
  assertEquals(await withFrozen(gone.control, "box", gone.read), 42);
  assertEquals(gone.calls, ["freeze", "read"]);
});

Deno.test("the container is thawed when the read fails; a failed thaw is reported", async () => {
  const f = fake(["running"]);
  const err = await assertRejects(
    () => withFrozen(f.control, "box", () => Promise.reject(new Error("disk full"))),
    Error,
  );
  assertEquals(err.message, "disk full");
  assertEquals(f.calls, ["freeze", "thaw"]);
  const t = fake(["running"], { thaw: true });
  const thaw = await assertRejects(() => withFrozen(t.control, "box", t.read), Error);
  assertEquals(thaw.message, "cannot unpause container box: freezer.state: EIO");
});

Deno.test("the container's control: its state and its cgroup, through the host seam", async () => {
  const rec = record();
  const { host } = runningScene(rec);
  const cgroups = new FakeCgroups();
  const control = containerFreezeControl(store, rec, { host, cgroups });
  const read = () => Promise.resolve(cgroups.events.slice());
  assertEquals(await withFrozen(control, rec.Name, read), [`cgroups freeze ${rec.Id}`]);
  assertEquals(cgroups.events, [`cgroups freeze ${rec.Id}`, `cgroups thaw ${rec.Id}`]);
  const stopped = scene(rec, { Status: "exited" }).host;
  const none = new FakeCgroups();
  await withFrozen(containerFreezeControl(store, rec, { host: stopped, cgroups: none }), "b", read);
  assertEquals(none.events, []);
});
