/** Layer transfers run a few at a time; the first failure stops new ones and is reported. */
import { assertEquals, assertRejects } from "../helpers/assert.ts";
import { runLimited } from "../../src/image/run_limited.ts";

/** A task that runs until released; records when it started. */
function gate(log: string[], name: string, fail = false) {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  const task = async () => {
    log.push(`start ${name}`);
    await done;
    log.push(`end ${name}`);
    if (fail) throw new Error(`${name} failed`);
  };
  return { task, release };
}

/** Lets every pending promise callback run. */
const settle = () => new Promise((r) => setTimeout(r, 0));

Deno.test("runLimited: never more than the limit at once; a finished task makes room", async () => {
  const log: string[] = [];
  const gates = ["a", "b", "c", "d", "e"].map((n) => gate(log, n));
  const all = runLimited(gates.map((g) => g.task), 2);
  await settle();
  assertEquals(log, ["start a", "start b"]);
  gates[1].release();
  await settle();
  assertEquals(log, ["start a", "start b", "end b", "start c"]);
  for (const g of gates) g.release();
  await all;
  assertEquals(log.filter((l) => l.startsWith("end")).length, 5);
});

Deno.test("runLimited: after a failure nothing new starts; the first error once the rest settle", async () => {
  const log: string[] = [];
  const a = gate(log, "a", true), b = gate(log, "b"), c = gate(log, "c"), d = gate(log, "d", true);
  const all = runLimited([a.task, b.task, c.task, d.task], 2);
  let settled = false;
  all.catch(() => {}).finally(() => (settled = true));
  await settle();
  a.release();
  await settle();
  assertEquals(log, ["start a", "start b", "end a"]); // c and d never start
  assertEquals(settled, false); // b is still running
  b.release();
  const e = await assertRejects(() => all, Error);
  assertEquals(e.message, "a failed");
  assertEquals(log, ["start a", "start b", "end a", "end b"]);
});

Deno.test("runLimited: no tasks, or fewer than the limit", async () => {
  await runLimited([], 4);
  const log: string[] = [];
  const g = gate(log, "only");
  g.release();
  await runLimited([g.task], 4);
  assertEquals(log, ["start only", "end only"]);
});
