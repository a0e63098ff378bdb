/**
 * Health checks run by each container's monitor, with no skiff process alive in between:
 * `ps` and `inspect` show what a user sees (healthy, unhealthy, starting; State.Health with the
 * last results), the image's HEALTHCHECK is honoured, --no-healthcheck turns it off,
 * --health-on-failure=kill kills, `healthcheck run` exits as Podman's does, and bad values
 * are refused before anything is created.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ensureFixtures, fixturePaths } from "../helpers/fixtures.ts";
import { skiff, type TempStore, tempStore } from "../helpers/skiff.ts";
import { until } from "../helpers/wait.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

async function setupStore(): Promise<TempStore> {
  await ensureFixtures();
  const store = await tempStore();
  const r = await skiff(["load", "-i", fixturePaths().dockerArchive], store);
  assertEquals(r.code, 0, r.stderr);
  return store;
}

async function runDetached(store: TempStore, args: string[]): Promise<string> {
  const r = await skiff(["run", "-d", ...args], store);
  assertEquals(r.code, 0, r.stderr);
  return r.stdout.trim();
}

async function psStatus(store: TempStore, id: string): Promise<string> {
  const r = await skiff(["ps", "-a", "--filter", `id=${id}`, "--format", "{{.Status}}"], store);
  return r.stdout.trim();
}

interface Health {
  Status: string;
  FailingStreak: number;
  Log: { Start: string; End: string; ExitCode: number; Output: string }[];
}

async function health(store: TempStore, id: string): Promise<Health | null> {
  const r = await skiff(["inspect", "--format", "{{json .State.Health}}", id], store);
  assertEquals(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

// an interval long enough that the first check cannot pass before ps is read, on any machine
const SLOW = ["--health-interval", "1h"];
const FAST = ["--health-interval", "200ms"];

Deno.test("health checks: healthy, unhealthy, image HEALTHCHECK, on-failure", opts, async (t) => {
  const store = await setupStore();
  try {
    await t.step("a passing check: starting, then healthy in ps and inspect", async () => {
      const id = await runDetached(store, [
        ...SLOW,
        "--health-cmd",
        "echo fine; test -d /tmp",
        "busybox",
        "sleep",
        "600",
      ]);
      assert((await psStatus(store, id)).endsWith("(health: starting)"), await psStatus(store, id));
      assertEquals((await health(store, id))?.Status, "starting");
      // `healthcheck run` checks now, prints nothing and exits 0 when healthy
      const run = await skiff(["healthcheck", "run", id], store);
      assertEquals([run.code, run.stdout, run.stderr], [0, "", ""]);
      assert((await psStatus(store, id)).endsWith("(healthy)"), await psStatus(store, id));
      const events = await skiff([
        "events",
        "--since",
        "0",
        "--until",
        String(Math.ceil(Date.now() / 1000) + 1),
        "--filter",
        `container=${id}`,
        "--format",
        "{{.Action}}",
      ], store);
      assertStringIncludes(events.stdout, "health_status: healthy\n", events.stderr);
      const listed = async (f: string) =>
        (await skiff(["ps", "-q", "--no-trunc", "--filter", `health=${f}`], store)).stdout;
      assertEquals([await listed("healthy"), await listed("none")], [`${id}\n`, ""]);
      const h = (await health(store, id))!;
      assertEquals([h.Status, h.FailingStreak, h.Log.length], ["healthy", 0, 1]);
      assertEquals([h.Log[0].ExitCode, h.Log[0].Output], [0, "fine\n"]);
      const cfg = await skiff(["inspect", "--format", "{{json .Config.Healthcheck}}", id], store);
      assertEquals(JSON.parse(cfg.stdout), {
        Test: ["CMD-SHELL", "echo fine; test -d /tmp"],
        Interval: 3_600_000_000_000,
      });
      assertEquals((await skiff(["rm", "-f", id], store)).code, 0);
    });

    await t.step(
      "the monitor runs the check on schedule; the log keeps the last five",
      async () => {
        const id = await runDetached(store, [
          ...FAST,
          "--health-cmd",
          "true",
          "busybox",
          "sleep",
          "600",
        ]);
        await until(
          "the monitor's checks to make it healthy",
          async () => (await psStatus(store, id)).endsWith("(healthy)"),
          60_000,
        );
        await until(
          "five checks by the monitor",
          async () => (await health(store, id))?.Log.length === 5,
          60_000,
        );
        const before = (await health(store, id))!;
        // a sixth result pushes the oldest out. The monitor may run a check meanwhile; results
        // are kept in the order they end, so only membership is asserted, not Start order.
        const asked = Date.now();
        assertEquals((await skiff(["healthcheck", "run", id], store)).code, 0);
        const h = (await health(store, id))!;
        assertEquals(h.Log.length, 5);
        assert(!h.Log.some((r) => r.Start === before.Log[0].Start), "the oldest result is gone");
        assert(
          h.Log.some((r) => Date.parse(r.Start) >= asked),
          "the check just run is kept",
        );
        assertEquals((await skiff(["rm", "-f", id], store)).code, 0);
      },
    );

    await t.step("a failing check: unhealthy once the retries are used up", async () => {
      const id = await runDetached(store, [
        ...FAST,
        "--health-retries",
        "2",
        "--health-cmd",
        "echo broken >&2; exit 3",
        "busybox",
        "sleep",
        "600",
      ]);
      await until(
        "unhealthy",
        async () => (await health(store, id))?.Status === "unhealthy",
        60_000,
      );
      const h = (await health(store, id))!;
      assert(h.FailingStreak >= 2, JSON.stringify(h));
      assertEquals([h.Log[0].ExitCode, h.Log[0].Output], [3, "broken\n"]);
      assert((await psStatus(store, id)).endsWith("(unhealthy)"));
      // nothing was done to the container (on-failure defaults to none)
      assert((await psStatus(store, id)).startsWith("Up "));
      const run = await skiff(["healthcheck", "run", id], store);
      assertEquals([run.code, run.stdout], [1, "unhealthy\n"]);
      assertEquals((await skiff(["rm", "-f", id], store)).code, 0);
    });

    await t.step("a check past its timeout fails with Docker's output", async () => {
      const id = await runDetached(store, [
        ...SLOW,
        "--health-timeout",
        "300ms",
        "--health-retries",
        "1",
        "--health-cmd",
        "sleep 30",
        "busybox",
        "sleep",
        "600",
      ]);
      const run = await skiff(["healthcheck", "run", id], store);
      assertEquals([run.code, run.stdout], [1, "unhealthy\n"], run.stderr);
      const h = (await health(store, id))!;
      assertEquals(h.Log[0].ExitCode, -1);
      assertEquals(h.Log[0].Output, "Health check exceeded timeout (300ms)");
      assertEquals((await skiff(["rm", "-f", id], store)).code, 0);
    });

    await t.step("--health-on-failure=kill kills the container once unhealthy", async () => {
      const id = await runDetached(store, [
        ...FAST,
        "--health-retries",
        "1",
        "--health-on-failure",
        "kill",
        "--health-cmd",
        "false",
        "busybox",
        "sleep",
        "600",
      ]);
      await until(
        "the container to be killed",
        async () => (await psStatus(store, id)).startsWith("Exited (137)"),
        60_000,
      );
      assertEquals((await health(store, id))?.Status, "unhealthy");
      const run = await skiff(["healthcheck", "run", id], store);
      assertEquals(run.code, 125);
      assertStringIncludes(run.stderr, "is not running");
      assertEquals((await skiff(["rm", "-f", id], store)).code, 0);
    });

    await t.step("--health-on-failure=stop stops it, =restart starts it again", async () => {
      const stopped = await runDetached(store, [
        ...FAST,
        "--stop-timeout",
        "1",
        "--health-retries",
        "1",
        "--health-on-failure",
        "stop",
        "--health-cmd",
        "false",
        "busybox",
        "sleep",
        "600",
      ]);
      await until(
        "the container to be stopped",
        async () => (await psStatus(store, stopped)).startsWith("Exited ("),
        60_000,
      );
      // the first check passes and leaves a mark; the next one fails and restarts it
      const restarted = await runDetached(store, [
        ...FAST,
        "--health-retries",
        "1",
        "--health-on-failure",
        "restart",
        "--health-cmd",
        "test ! -f /tmp/mark && touch /tmp/mark",
        "busybox",
        "sleep",
        "600",
      ]);
      const startedAt = async () =>
        (await skiff(["inspect", "--format", "{{.State.StartedAt}}", restarted], store)).stdout;
      const first = await startedAt();
      await until("a restart", async () => (await startedAt()) !== first, 60_000);
      await until(
        "running again",
        async () => (await psStatus(store, restarted)).startsWith("Up "),
        60_000,
      );
      assertEquals((await skiff(["rm", "-f", stopped, restarted], store)).code, 0);
    });

    await t.step("the image's HEALTHCHECK is honoured; --no-healthcheck turns it off", async () => {
      const base = await runDetached(store, ["busybox", "true"]);
      const c = await skiff([
        "commit",
        "-c",
        'HEALTHCHECK --interval=200ms --retries=1 CMD ["sh", "-c", "echo from-image; exit 1"]',
        base,
        "checked:1",
      ], store);
      assertEquals(c.code, 0, c.stderr);
      const img = await skiff([
        "image",
        "inspect",
        "--format",
        "{{json .Config.Healthcheck}}",
        "checked:1",
      ], store);
      assertEquals(JSON.parse(img.stdout), {
        Test: ["CMD", "sh", "-c", "echo from-image; exit 1"],
        Interval: 200_000_000,
        Retries: 1,
      });
      const id = await runDetached(store, ["checked:1", "sleep", "600"]);
      await until(
        "unhealthy from the image's check",
        async () => (await health(store, id))?.Status === "unhealthy",
        60_000,
      );
      assertEquals((await health(store, id))!.Log[0].Output, "from-image\n");

      const off = await runDetached(store, ["--no-healthcheck", "checked:1", "sleep", "600"]);
      assertEquals(await health(store, off), null);
      assert(/^Up [^(]*$/.test(await psStatus(store, off)), await psStatus(store, off));
      const run = await skiff(["healthcheck", "run", off], store);
      assertEquals(run.code, 125);
      assertStringIncludes(run.stderr, "has no defined healthcheck");
      // the flags override the image's values one by one
      const mine = await runDetached(store, [
        "--health-cmd",
        "true",
        ...SLOW,
        "checked:1",
        "sleep",
        "600",
      ]);
      const run2 = await skiff(["healthcheck", "run", mine], store);
      assertEquals(run2.code, 0, run2.stdout);
      assertEquals((await skiff(["rm", "-f", id, off, mine, base], store)).code, 0);
    });

    await t.step("bad values: one line, exit 125, nothing created", async () => {
      const bad: [string[], string][] = [
        [
          ["--health-interval", "500us", "--health-cmd", "true"],
          "Interval in Healthcheck cannot be less than 1ms",
        ],
        [
          ["--health-timeout", "10ns", "--health-cmd", "true"],
          "Timeout in Healthcheck cannot be less than 1ms",
        ],
        [["--health-start-period", "-1s"], "--health-start-period cannot be negative"],
        [["--health-retries", "-1"], "--health-retries cannot be negative"],
        [
          ["--no-healthcheck", "--health-cmd", "true"],
          "--no-healthcheck conflicts with --health-* options",
        ],
        [["--health-on-failure", "explode"], 'invalid on-failure action "explode"'],
        [["--health-interval", "soon"], 'time: invalid duration "soon"'],
      ];
      const before = (await skiff(["ps", "-aq"], store)).stdout;
      for (const [args, msg] of bad) {
        const r = await skiff(["create", ...args, "busybox", "true"], store);
        assertEquals(r.code, 125, args.join(" "));
        assertStringIncludes(r.stderr, msg);
        assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
      }
      assertEquals((await skiff(["ps", "-aq"], store)).stdout, before);
      const filter = await skiff(["ps", "--filter", "health=sick"], store);
      assertEquals([filter.code, filter.stderr], [
        1,
        "Error: Unrecognised filter value for health: sick\n",
      ]);
    });
  } finally {
    const ids = (await skiff(["ps", "-aq"], store)).stdout.trim().split("\n").filter(Boolean);
    if (ids.length) await skiff(["rm", "-f", ...ids], store);
    await store.cleanup();
  }
});
