/**
 * Every signal the kernel has, for `kill -s`, `--stop-signal` and an image's STOPSIGNAL
 * (issue 11), as the container's process sees them: its trap for the real-time signal runs.
 */
import { assertEquals } from "../helpers/assert.ts";
import { ok, withBusyboxStore } from "../helpers/busybox_store.ts";
import { until } from "../helpers/wait.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: skipUnless(IS_ROOT) };

/** A shell that reports each of these signal numbers it receives, then says it is ready. */
function trapping(numbers: number[], exitOn?: number): string {
  const traps = numbers.map((n) => `trap 'echo got ${n}' ${n};`).join(" ");
  const exit = exitOn === undefined ? "" : `trap 'echo got ${exitOn}; exit 7' ${exitOn};`;
  return `${traps} ${exit} echo ready; while :; do sleep 0.1; done`;
}

Deno.test(
  "kill -s: real-time signals by name, SIGRTMIN+n, SIGRTMAX-n and number",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      await ok(sk, ["run", "-d", "--name", "t", "busybox", "sh", "-c", trapping([34, 40, 50, 64])]);
      await until("ready", async () => (await sk(["logs", "t"])).stdout.includes("ready"));
      for (const s of ["SIGRTMAX", "rtmin", "SIGRTMIN+6", "RTMAX-14"]) {
        await ok(sk, ["kill", "-s", s, "t"]);
      }
      // each trap ran once (a shell may run pending traps in any order)
      const lines = async () => (await sk(["logs", "t"])).stdout.trim().split("\n").sort();
      const want = ["got 34", "got 40", "got 50", "got 64", "ready"];
      await until("all four", async () => (await lines()).length === 5);
      assertEquals(await lines(), want);
      await ok(sk, ["kill", "-s", "64", "t"]);
      await until("by number", async () => (await lines()).length === 6);
      assertEquals(await lines(), ["got 34", "got 40", "got 50", "got 64", "got 64", "ready"]);
      for (const bad of ["65", "0", "SIGFOO", "RTMIN+16"]) {
        const r = await sk(["kill", "-s", bad, "t"]);
        assertEquals([r.code, r.stderr.trim()], [1, `Error: Invalid signal: ${bad}`]);
      }
    });
  },
);

Deno.test("--stop-signal and STOPSIGNAL: real-time signals stop the container", opts, async () => {
  await withBusyboxStore(async (store, sk) => {
    await ok(sk, [
      "run",
      "-d",
      "--name",
      "s1",
      "--stop-signal",
      "SIGRTMIN+2",
      "busybox",
      "sh",
      "-c",
      trapping([], 36),
    ]);
    await until("s1 ready", async () => (await sk(["logs", "s1"])).stdout.includes("ready"));
    await ok(sk, ["stop", "s1"]);
    const s1 = await ok(sk, ["inspect", "-f", "{{.Config.StopSignal}} {{.State.ExitCode}}", "s1"]);
    assertEquals(s1.trim(), "SIGRTMIN+2 7");
    // an image whose STOPSIGNAL is a real-time signal
    await ok(sk, ["create", "--name", "base", "busybox"]);
    const tar = `${store.root}/../base.tar`;
    await ok(sk, ["export", "-o", tar, "base"]);
    await ok(sk, ["import", "--change", "STOPSIGNAL SIGRTMAX-1", tar, "rtstop"]);
    await ok(sk, ["run", "-d", "--name", "s2", "rtstop", "sh", "-c", trapping([], 63)]);
    await until("s2 ready", async () => (await sk(["logs", "s2"])).stdout.includes("ready"));
    await ok(sk, ["stop", "s2"]);
    const s2 = await ok(sk, ["inspect", "-f", "{{.Config.StopSignal}} {{.State.ExitCode}}", "s2"]);
    assertEquals(s2.trim(), "SIGRTMAX-1 7");
    const bad = await sk(["run", "--rm", "--stop-signal", "SIGRTMAX+1", "busybox", "true"]);
    assertEquals([bad.code, bad.stderr.trim()], [125, "Error: Invalid signal: SIGRTMAX+1"]);
  });
});
