import { assertEquals } from "../helpers/assert.ts";
import { waitUntil } from "../../src/runtime/wait.ts";
import {
  canExec,
  canKill,
  canRemove,
  canStart,
  canStop,
  type ContainerStatus,
  hasEnded,
  isRunning,
  isSupervised,
} from "../../src/runtime/status.ts";
import { FakeHost } from "../../src/sys/fake_host.ts";

Deno.test("waitUntil: pauses double up to the longest, and the deadline is tried once more", async () => {
  const host = new FakeHost({ now: 0 });
  const tries: number[] = [];
  const held = await waitUntil(() => {
    tries.push(host.now());
    return false;
  }, { timeoutMs: 100, initialDelayMs: 5, maxDelayMs: 20, clock: host });
  assertEquals(held, false);
  assertEquals(tries, [0, 5, 15, 35, 55, 75, 95, 100]);
});

Deno.test("waitUntil: true as soon as the predicate holds; no timeout waits for ever", async () => {
  const host = new FakeHost({ now: 0 });
  let n = 0;
  assertEquals(await waitUntil(() => ++n === 1, { timeoutMs: 0, clock: host }), true);
  assertEquals(host.now(), 0); // held at once: no pause
  n = 0;
  assertEquals(await waitUntil(() => Promise.resolve(++n === 30), { clock: host }), true);
  assertEquals(n, 30);
});

Deno.test("status: the questions asked before acting", () => {
  const all: ContainerStatus[] = [
    "created",
    "running",
    "paused",
    "restarting",
    "exited",
    "removing",
    "dead",
  ];
  const which = (f: (s: ContainerStatus) => boolean) => all.filter(f);
  assertEquals(which(isRunning), ["running", "paused"]);
  assertEquals(which(isSupervised), ["running", "paused", "restarting"]);
  assertEquals(which(hasEnded), ["created", "exited", "dead"]);
  assertEquals(which(canStart), ["created", "restarting", "exited", "removing", "dead"]);
  assertEquals(which(canKill), ["running", "paused"]);
  assertEquals(which(canStop), ["running", "paused", "restarting"]);
  assertEquals(which(canExec), ["running"]);
  assertEquals(which((s) => canRemove(s, false)), ["created", "exited", "removing", "dead"]);
  assertEquals(which((s) => canRemove(s, true)), all);
});
