/**
 * Container lifecycle commands against real containers (root): pause and
 * unpause, top, rename, port, stats, attach and container prune.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ensureFixtures, fixturePaths } from "../helpers/fixtures.ts";
import { skiff, SKIFF_BIN, type TempStore, tempStore } from "../helpers/skiff.ts";
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

async function state(store: TempStore, name: string): Promise<string> {
  const r = await skiff(["inspect", "--format", "{{.State.Status}}", name], store);
  return r.stdout.trim();
}

Deno.test("container lifecycle commands", opts, async (t) => {
  const store = await setupStore();
  try {
    const counterId = await runDetached(store, [
      "--name",
      "counter",
      "busybox",
      "sh",
      "-c",
      "i=0; while true; do i=$((i+1)); echo $i > /tmp/n; sleep 0.05; done",
    ]);
    const counterOf = (id: string) => async () =>
      Number(
        (await Deno.readTextFile(`${store.root}/containers/${id}/upper/tmp/n`).catch(() => "0"))
          .trim(),
      );
    const count = counterOf(counterId);

    await t.step("pause stops the processes, unpause resumes them", async () => {
      // a second counter, never paused, is the clock of the observation window below
      const witnessId = await runDetached(store, [
        "busybox",
        "sh",
        "-c",
        "i=0; while true; do i=$((i+1)); echo $i > /tmp/n; sleep 0.05; done",
      ]);
      const witness = counterOf(witnessId);
      await until("the counter to run", async () => (await count()) > 0);
      const p = await skiff(["pause", "counter"], store);
      assertEquals([p.code, p.stdout], [0, "counter\n"], p.stderr);
      assertEquals(await state(store, "counter"), "paused");
      const ps = await skiff(["ps", "--format", "{{.Status}}"], store);
      assertStringIncludes(ps.stdout, "(Paused)");
      const frozen = await count();
      // An observation window measured by the unpaused twin (as slow as it on a loaded
      // machine): while it moves eight times, the paused counter does not move.
      const start = await witness();
      await until("the witness to move eight times", async () => (await witness()) >= start + 8);
      assertEquals(await count(), frozen);
      assertEquals((await skiff(["rm", "-f", witnessId], store)).code, 0);
      const again = await skiff(["pause", "counter"], store);
      assertEquals(again.code, 1);
      assertEquals(again.stderr, `Error: Container ${counterId} is already paused\n`);
      const ex = await skiff(["exec", "counter", "true"], store);
      assertEquals(ex.code, 1);
      assertStringIncludes(ex.stderr, "is paused, unpause the container before exec");
      const u = await skiff(["unpause", "counter"], store);
      assertEquals([u.code, u.stdout], [0, "counter\n"], u.stderr);
      assertEquals(await state(store, "counter"), "running");
      await until("the counter to move again", async () => (await count()) > frozen);
      const n = await skiff(["exec", "counter", "cat", "/tmp/n"], store);
      assert(Number(n.stdout.trim()) > frozen, `${n.stdout} should exceed ${frozen}`);
      const notPaused = await skiff(["unpause", "counter"], store);
      assertEquals(notPaused.code, 1);
      assertEquals(notPaused.stderr, `Error: Container ${counterId} is not paused\n`);
    });

    await t.step("top lists the container's processes", async () => {
      const r = await skiff(["top", "counter"], store);
      assertEquals(r.code, 0, r.stderr);
      const [header, ...rows] = r.stdout.trim().split("\n");
      assertEquals(header.split(/\s+/), ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]);
      assert(rows.some((l) => l.includes("sh -c i=0")), r.stdout);
      const o = await skiff(["top", "counter", "-o", "pid,comm"], store);
      assertEquals(o.stdout.split("\n")[0].split(/\s+/), ["PID", "COMMAND"]);
    });

    await t.step("stats --no-stream has Docker's fields", async () => {
      const r = await skiff(["stats", "--no-stream", "--format", "{{json .}}", "counter"], store);
      assertEquals(r.code, 0, r.stderr);
      const row = JSON.parse(r.stdout.trim());
      assertEquals(Object.keys(row).sort(), [
        "BlockIO",
        "CPUPerc",
        "Container",
        "ID",
        "MemPerc",
        "MemUsage",
        "Name",
        "NetIO",
        "PIDs",
      ]);
      assertEquals([row.Container, row.Name, row.ID], [
        "counter",
        "counter",
        counterId.slice(0, 12),
      ]);
      assert(/^\d+\.\d\d%$/.test(row.CPUPerc), row.CPUPerc);
      assert(/^[\d.]+[KMG]?i?B \/ [\d.]+[KMGT]?i?B$/.test(row.MemUsage), row.MemUsage);
      assert(Number(row.PIDs) >= 1, row.PIDs);
      const table = await skiff(["stats", "--no-stream"], store);
      assertStringIncludes(table.stdout.split("\n")[0], "CONTAINER ID");
      assertStringIncludes(table.stdout, "MEM USAGE / LIMIT");
    });

    await t.step("attach receives the container's new output", async () => {
      await runDetached(store, [
        "--name",
        "ticker",
        "busybox",
        "sh",
        "-c",
        "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done",
      ]);
      await until(
        "two ticks in the log",
        async () => (await skiff(["logs", "ticker"], store)).stdout.includes("tick 2\n"),
      );
      // attached until three ticks have come through, then the client is killed
      const child = new Deno.Command(SKIFF_BIN, {
        args: ["--root", store.root, "--runroot", store.runroot, "attach", "ticker"],
        stdin: "null",
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let seen = "";
      // complete lines only
      const ticksIn = () => seen.split("\n").slice(0, -1).filter((l) => /^tick \d+$/.test(l));
      // a bound for a stuck attach (its output then ends), not a timing assertion
      const stuck = setTimeout(() => child.kill("SIGKILL"), 30_000);
      try {
        while (ticksIn().length < 3) {
          const { value, done } = await reader.read();
          if (done) break;
          seen += value;
        }
      } finally {
        clearTimeout(stuck);
        try {
          child.kill("SIGKILL");
        } catch { /* killed when stuck */ }
        await child.status;
        await reader.cancel().catch(() => {});
      }
      const ticks = ticksIn();
      assert(ticks.length >= 3, `expected ticks, got ${JSON.stringify(seen)}`);
      assert(Number(ticks[0].split(" ")[1]) > 1, "attach must not replay old output");
      assertEquals(await state(store, "ticker"), "running");
    });

    await t.step("rename changes the name and frees the old one", async () => {
      const r = await skiff(["rename", "ticker", "renamed"], store);
      assertEquals([r.code, r.stdout, r.stderr], [0, "", ""]);
      const ps = await skiff(["ps", "-a", "--format", "{{.Names}}"], store);
      const names = ps.stdout.trim().split("\n");
      assert(names.includes("renamed") && !names.includes("ticker"), ps.stdout);
      const reuse = await skiff(["create", "--name", "ticker", "busybox", "true"], store);
      assertEquals(reuse.code, 0, reuse.stderr);
      const clash = await skiff(["rename", "renamed", "counter"], store);
      assertEquals(clash.code, 1);
      assertStringIncludes(clash.stderr, 'The container name "/counter" is already in use');
      const same = await skiff(["rename", "counter", "counter"], store);
      assertEquals(
        same.stderr,
        "Error: Renaming a container with the same name as its current name\n",
      );
    });

    await t.step("port lists nothing and refuses a private port", async () => {
      const r = await skiff(["port", "counter"], store);
      assertEquals([r.code, r.stdout, r.stderr], [0, "", ""]);
      const p = await skiff(["port", "counter", "80"], store);
      assertEquals(p.code, 1);
      assertEquals(p.stderr, "Error: No public port '80/tcp' published for counter\n");
    });

    await t.step("container prune removes stopped containers only", async () => {
      const exited = await skiff(["run", "--name", "done", "busybox", "true"], store);
      assertEquals(exited.code, 0, exited.stderr);
      const ids = new Map<string, string>();
      const ls = await skiff(["ps", "-a", "--no-trunc", "--format", "{{.Names}} {{.ID}}"], store);
      for (const l of ls.stdout.trim().split("\n")) ids.set(l.split(" ")[0], l.split(" ")[1]);
      const labeled = await skiff(["create", "--label", "keep=yes", "busybox", "true"], store);
      const f = await skiff(["container", "prune", "-f", "--filter", "label=keep=yes"], store);
      assertEquals(f.code, 0, f.stderr);
      assertEquals(
        f.stdout,
        `Deleted Containers:\n${labeled.stdout.trim()}\n\nTotal reclaimed space: 0B\n`,
      );
      const r = await skiff(["container", "prune", "-f"], store);
      assertEquals(r.code, 0, r.stderr);
      const deleted = r.stdout.split("\n").slice(1).filter((l) => /^[0-9a-f]{64}$/.test(l));
      assertEquals(deleted.sort(), [ids.get("done")!, ids.get("ticker")!].sort());
      assertStringIncludes(r.stdout, "Total reclaimed space: ");
      const left = await skiff(["ps", "-a", "--format", "{{.Names}}"], store);
      assertEquals(left.stdout.trim().split("\n").sort(), ["counter", "renamed"]);
      const none = await skiff(["container", "prune", "-f"], store);
      assertEquals(none.stdout, "Total reclaimed space: 0B\n");
    });
  } finally {
    await skiff(["rm", "-f", "counter", "renamed"], store);
    await store.cleanup();
  }
});
