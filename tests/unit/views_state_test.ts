import { assertEquals } from "../helpers/assert.ts";
import { type ContainerState, createdState } from "../../src/runtime/container_store.ts";
import type { ContainerStatus } from "../../src/runtime/status.ts";
import { inspectContainer } from "../../src/runtime/views.ts";
import { record, store } from "./fake_runtime.ts";

Deno.test("inspect: State's flags follow the status (Running while running or paused)", async () => {
  const flags = async (Status: ContainerStatus) => {
    const state: ContainerState = { ...createdState(), Status };
    const s = (await inspectContainer(store, record(), state)).State as Record<string, unknown>;
    return [s.Status, s.Running, s.Paused, s.Restarting, s.Dead];
  };
  assertEquals(await flags("created"), ["created", false, false, false, false]);
  assertEquals(await flags("running"), ["running", true, false, false, false]);
  assertEquals(await flags("paused"), ["paused", true, true, false, false]);
  assertEquals(await flags("restarting"), ["restarting", false, false, true, false]);
  assertEquals(await flags("exited"), ["exited", false, false, false, false]);
  assertEquals(await flags("dead"), ["dead", false, false, false, true]);
});
