/**
 * Log drivers and rotation, done by the container's monitor: json-file and k8s-file logs
 * rotated by --log-opt max-size/max-file stay within max-size × max-file on disk while `logs`
 * shows the newest lines in order (also while following across rotations); `none` keeps no
 * log and `logs` says Docker's message; bad values are refused before anything is created.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ensureFixtures, fixturePaths } from "../helpers/fixtures.ts";
import { skiff, type TempStore, tempStore } from "../helpers/skiff.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

async function setupStore(): Promise<TempStore> {
  await ensureFixtures();
  const store = await tempStore();
  const r = await skiff(["load", "-i", fixturePaths().dockerArchive], store);
  assertEquals(r.code, 0, r.stderr);
  return store;
}

/** The log files of a container, name → size. */
async function logFiles(store: TempStore, id: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const dir = `${store.root}/containers/${id}`;
  for await (const e of Deno.readDir(dir)) {
    if (e.name.startsWith("ctr.log")) out.set(e.name, (await Deno.stat(`${dir}/${e.name}`)).size);
  }
  return out;
}

// 100 characters a line: "<n padded to 6> " and 93 x's
const LINE = "x".repeat(93);
const writeLines = (n: number) =>
  `i=1; while [ $i -le ${n} ]; do printf '%06d ${LINE}\\n' $i; i=$((i+1)); done`;

Deno.test("log drivers: rotation, none, json-file, bad values", opts, async (t) => {
  const store = await setupStore();
  try {
    for (const driver of ["json-file", "k8s-file"]) {
      await t.step(
        `${driver}: rotated within max-size x max-file, logs shows the newest`,
        async () => {
          // 20,000 lines of 100 bytes (2 MB of output) through max-size=20k, max-file=3
          const r = await skiff([
            "run",
            "--log-driver",
            driver,
            "--log-opt",
            "max-size=20k",
            "--log-opt",
            "max-file=3",
            "busybox",
            "sh",
            "-c",
            writeLines(20000),
          ], store);
          assertEquals(r.code, 0, r.stderr);
          const id = (await skiff(["ps", "-lq", "--no-trunc"], store)).stdout.trim();
          const files = await logFiles(store, id);
          assertEquals([...files.keys()].sort(), ["ctr.log", "ctr.log.1", "ctr.log.2"]);
          const total = [...files.values()].reduce((a, b) => a + b, 0);
          // a record is the line plus its time stamp and stream: under 200 bytes
          assert(total <= 3 * 20_000 + 200, `${total} bytes of log`);
          for (const size of files.values()) assert(size <= 20_000, `a file of ${size} bytes`);
          const logs = await skiff(["logs", id], store);
          const lines = logs.stdout.trimEnd().split("\n");
          assertEquals(lines.at(-1), `020000 ${LINE}`);
          // the newest lines, in order, none missing between the oldest kept and the last
          const first = Number(lines[0].slice(0, 6));
          assert(first > 19_000, `oldest kept line ${first}`);
          assertEquals(
            lines,
            Array.from(
              { length: 20_001 - first },
              (_, i) => `${String(first + i).padStart(6, "0")} ${LINE}`,
            ),
          );
          const tail = await skiff(["logs", "--tail", "2", id], store);
          assertEquals(tail.stdout, `019999 ${LINE}\n020000 ${LINE}\n`);
          const inspect = await skiff(
            ["inspect", "--format", "{{json .HostConfig.LogConfig}}", id],
            store,
          );
          assertEquals(JSON.parse(inspect.stdout), {
            Type: driver,
            Config: { "max-size": "20k", "max-file": "3" },
          });
          const head =
            (await Deno.readTextFile(`${store.root}/containers/${id}/ctr.log`)).split("\n")[0];
          if (driver === "json-file") {
            const rec = JSON.parse(head);
            assertEquals([Object.keys(rec), rec.stream], [["log", "stream", "time"], "stdout"]);
            assert(rec.log.endsWith(`${LINE}\n`));
          } else assert(/^\S+Z stdout F \d{6} x+$/.test(head), head);
          assertEquals((await skiff(["rm", id], store)).code, 0);
        },
      );
    }

    await t.step("logs -f follows across rotations, every line once, in order", async () => {
      const id = (await skiff([
        "run",
        "-d",
        "--log-driver",
        "json-file",
        "--log-opt",
        "max-size=4k",
        "--log-opt",
        "max-file=5",
        "busybox",
        "sh",
        "-c",
        "i=1; while [ $i -le 300 ]; do echo line $i; i=$((i+1)); usleep 20000; done",
      ], store)).stdout.trim();
      const f = await skiff(["logs", "-f", id], store);
      assertEquals(f.code, 0, f.stderr);
      assertEquals(f.stdout, Array.from({ length: 300 }, (_, i) => `line ${i + 1}\n`).join(""));
      assert((await logFiles(store, id)).size > 1);
      assertEquals((await skiff(["rm", id], store)).code, 0);
    });

    await t.step("a partial last line and stderr survive json-file", async () => {
      const r = await skiff([
        "run",
        "--log-driver=json-file",
        "busybox",
        "sh",
        "-c",
        "printf 'out \"quoted\" \\\\ \\t tab\\n'; printf 'err\\n' >&2; printf tail",
      ], store);
      assertEquals(r.code, 0, r.stderr);
      const id = (await skiff(["ps", "-lq"], store)).stdout.trim();
      const logs = await skiff(["logs", id], store);
      assertEquals(logs.stdout, 'out "quoted" \\ \t tab\ntail');
      assertEquals(logs.stderr, "err\n");
      assertEquals((await skiff(["rm", id], store)).code, 0);
    });

    await t.step("none keeps no log; logs says so; the default stays k8s-file", async () => {
      const r = await skiff(["run", "--log-driver", "none", "busybox", "echo", "hidden"], store);
      assertEquals([r.code, r.stdout], [0, "hidden\n"], r.stderr);
      const id = (await skiff(["ps", "-lq", "--no-trunc"], store)).stdout.trim();
      assertEquals((await logFiles(store, id)).size, 0);
      const logs = await skiff(["logs", id], store);
      assertEquals([logs.code, logs.stdout], [1, ""]);
      assertEquals(logs.stderr, "Error: configured logging driver does not support reading\n");
      const path = await skiff(["inspect", "--format", "{{.LogPath}}", id], store);
      assertEquals(path.stdout, "\n");

      const d = await skiff(["run", "busybox", "echo", "shown"], store);
      assertEquals(d.code, 0, d.stderr);
      const did = (await skiff(["ps", "-lq"], store)).stdout.trim();
      const cfg = await skiff(
        ["inspect", "--format", "{{json .HostConfig.LogConfig}}", did],
        store,
      );
      assertEquals(JSON.parse(cfg.stdout), { Type: "k8s-file", Config: {} });
      assertEquals((await skiff(["logs", did], store)).stdout, "shown\n");
      assertEquals((await skiff(["rm", id, did], store)).code, 0);
    });

    await t.step("bad values: one line, exit 125, nothing created", async () => {
      const journal = await Deno.stat("/run/systemd/journal/socket").then(() => true, () => false);
      const bad: [string[], string][] = [
        [["--log-driver", "syslog-ng"], "logger: no log driver named 'syslog-ng' is registered"],
        [["--log-opt", "max-size=abc"], "invalid size: 'abc'"],
        [["--log-opt", "max-size=-1k"], "invalid size: '-1k'"],
        [["--log-opt", "max-size=0"], "max-size must be a positive number"],
        [["--log-opt", "max-size=1m", "--log-opt", "max-file=0"], "max-file cannot be less than 1"],
        [["--log-opt", "max-file=two"], 'strconv.Atoi: parsing "two": invalid syntax'],
        [["--log-opt", "compress=true"], "unknown log opt 'compress' for k8s-file log driver"],
        [["--log-driver", "none", "--log-opt", "tag=x"], "invalid logging opts for driver none"],
        ...(journal ? [] : [[["--log-driver", "journald"], "journald is not enabled"]] as [
          string[],
          string,
        ][]),
      ];
      const before = (await skiff(["ps", "-aq"], store)).stdout;
      for (const [args, msg] of bad) {
        const r = await skiff(["create", ...args, "busybox", "true"], store);
        assertEquals(r.code, 125, args.join(" "));
        assertStringIncludes(r.stderr, msg);
        assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
      }
      assertEquals((await skiff(["ps", "-aq"], store)).stdout, before);
    });
  } finally {
    const ids = (await skiff(["ps", "-aq"], store)).stdout.trim().split("\n").filter(Boolean);
    if (ids.length) await skiff(["rm", "-f", ...ids], store);
    await store.cleanup();
  }
});
