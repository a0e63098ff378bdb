/**
 * Streaming `stats`: a round a second until the reader stops, redrawn in place on a terminal;
 * which containers a round holds. Needs root (containers run).
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { withBusyboxStore } from "../helpers/busybox_store.ts";
import { SKIFF_BIN } from "../helpers/skiff.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";
import { until } from "../helpers/wait.ts";
import { containerStats } from "../../src/engine/container_stats.ts";

const opts = { ignore: skipUnless(IS_ROOT), sanitizeResources: false, sanitizeOps: false };
const CLEAR = "\x1b[2J\x1b[H";

Deno.test({
  name: "stats streams rounds to its reader; the list is the running ones, or all with -a",
  ...opts,
  fn: () =>
    withBusyboxStore(async (store, sk) => {
      const run = await sk(["run", "-d", "--name", "web", "busybox", "sleep", "300"]);
      assertEquals(run.code, 0, run.stderr);
      const id = run.stdout.trim();
      const idle = await sk(["create", "--name", "idle", "busybox", "true"]);
      assertEquals(idle.code, 0, idle.stderr);
      const where = { root: store.root, runroot: store.runroot };

      // Streaming: rounds keep coming while read; stopping the reader ends the stream.
      const rounds = [];
      for await (const round of containerStats(where, { names: [], all: false, stream: true })) {
        rounds.push(round);
        if (rounds.length === 3) break;
      }
      for (const round of rounds) {
        assertEquals(round.map((e) => [e.label, e.rec.Name]), [[id, "web"]]);
        assert(round[0].figures.valid && round[0].figures.pids >= 1, JSON.stringify(round));
      }
      // One round without streaming; with `all`, the created one too, without figures.
      const once = [];
      for await (const round of containerStats(where, { names: [], all: true, stream: false })) {
        once.push(round);
      }
      assertEquals(once.length, 1);
      const byName = new Map(once[0].map((e) => [e.rec.Name, e.figures.valid]));
      assertEquals([...byName].sort(), [["idle", false], ["web", true]]);
    }),
});

Deno.test({
  name: "stats on a terminal clears the screen and redraws the table each round",
  ...opts,
  fn: () =>
    withBusyboxStore(async (store, sk) => {
      const run = await sk(["run", "-d", "--name", "web", "busybox", "sleep", "300"]);
      assertEquals(run.code, 0, run.stderr);
      const cmd = `${SKIFF_BIN} --root ${store.root} --runroot ${store.runroot} stats web`;
      const child = new Deno.Command("script", {
        args: ["-q", "-f", "-c", cmd, "/dev/null"],
        env: { NO_COLOR: "1" },
        stdin: "piped",
        stdout: "piped",
        stderr: "null",
      }).spawn();
      let screen = "";
      const td = new TextDecoder();
      const reading = (async () => {
        for await (const chunk of child.stdout) screen += td.decode(chunk, { stream: true });
      })();
      try {
        await until("three rounds of stats", () => screen.split(CLEAR).length > 3, 60_000);
      } finally {
        child.kill("SIGTERM");
        await child.stdin.close().catch(() => {});
        await child.status;
        await reading;
      }
      const rounds = screen.replace(/\r/g, "").split(CLEAR).slice(1, 4);
      for (const round of rounds) {
        const lines = round.split("\n").filter((l) => l !== "");
        assertEquals(lines[0].split(/\s{2,}/), [
          "CONTAINER ID",
          "NAME",
          "CPU %",
          "MEM USAGE / LIMIT",
          "MEM %",
          "NET I/O",
          "BLOCK I/O",
          "PIDS",
        ]);
        assertEquals(lines.length, 2, round);
        const row = lines[1].split(/\s{2,}/);
        assertEquals(row[0], run.stdout.trim().slice(0, 12));
        assertEquals(row[1], "web");
        assert(/^\d+\.\d\d%$/.test(row[2]), row[2]);
        assertEquals(row[7], "1");
      }
    }),
});
