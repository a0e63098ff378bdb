/**
 * The smaller run/create flags of issue 11: --volumes-from (shared volumes and binds, ro/rw),
 * --label-file, --sig-proxy, and Docker's flags for other engines (--runtime, --isolation
 * with their defaults only, --storage-opt refused, --disable-content-trust accepted).
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ok, withBusyboxStore } from "../helpers/busybox_store.ts";
import { until } from "../helpers/wait.ts";
import { SKIFF_BIN, withTestCgroupParent } from "../helpers/skiff.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: skipUnless(IS_ROOT) };

Deno.test(
  "--volumes-from shares the other's volumes and binds; :ro makes them read-only",
  opts,
  async () => {
    const hostDir = await Deno.makeTempDir({ prefix: "skiff-vf-" });
    try {
      await withBusyboxStore(async (_store, sk) => {
        await ok(sk, [
          "run",
          "-d",
          "--name",
          "data",
          "-v",
          "/data",
          "-v",
          `${hostDir}:/bound`,
          "busybox",
          "sh",
          "-c",
          "echo in-volume > /data/f; echo ready; sleep 300",
        ]);
        await until(
          "data ready",
          async () => (await sk(["logs", "data"])).stdout.includes("ready"),
        );
        const rw = await ok(sk, [
          "run",
          "--rm",
          "--volumes-from",
          "data",
          "busybox",
          "sh",
          "-c",
          "cat /data/f; echo back > /data/g; echo bound > /bound/b",
        ]);
        assertEquals(rw.trim(), "in-volume");
        assertEquals((await ok(sk, ["exec", "data", "cat", "/data/g"])).trim(), "back");
        assertEquals((await Deno.readTextFile(`${hostDir}/b`)).trim(), "bound");
        const ro = await sk([
          "run",
          "--rm",
          "--volumes-from",
          "data:ro",
          "busybox",
          "sh",
          "-c",
          "cat /data/f; touch /data/h /bound/h",
        ]);
        assertEquals(ro.stdout.trim(), "in-volume");
        assertEquals(ro.code, 1);
        assertStringIncludes(ro.stderr, "Read-only file system");
        // the container's own -v wins at the same target
        const own = await ok(sk, [
          "run",
          "--rm",
          "--volumes-from",
          "data",
          "-v",
          "/data",
          "busybox",
          "ls",
          "/data",
        ]);
        assertEquals(own.trim(), "");
        const id = (await ok(sk, ["create", "--volumes-from", "data:ro", "busybox"])).trim();
        const shown = await ok(sk, ["inspect", "-f", "{{json .HostConfig.VolumesFrom}}", id]);
        assertEquals(JSON.parse(shown), ["data:ro"]);
        for (
          const [value, msg] of [
            ["nosuch", "No such container: nosuch"],
            ["data:rx", "invalid mode for volumes-from: rx"],
          ]
        ) {
          const r = await sk([
            "run",
            "--name",
            "refused",
            "--volumes-from",
            value,
            "busybox",
            "true",
          ]);
          assertEquals([r.code, r.stderr.trim()], [125, `Error: ${msg}`]);
        }
        assert(!(await ok(sk, ["ps", "-a"])).includes("refused"));
      });
    } finally {
      await Deno.remove(hostDir, { recursive: true });
    }
  },
);

Deno.test(
  "--label-file: labels from the file, -l wins; a missing file is one line",
  opts,
  async () => {
    const file = await Deno.makeTempFile({ prefix: "skiff-labels-" });
    try {
      await Deno.writeTextFile(file, "# comment\na=1\n\nbare\nc=from-file\n");
      await withBusyboxStore(async (_store, sk) => {
        const id = (await ok(sk, ["create", "--label-file", file, "-l", "c=flag", "busybox"]))
          .trim();
        const labels = await ok(sk, ["inspect", "-f", "{{json .Config.Labels}}", id]);
        assertEquals(JSON.parse(labels), { a: "1", bare: "", c: "flag" });
        const r = await sk(["create", "--label-file", "/nonexistent-labels", "busybox"]);
        assertEquals(
          [r.code, r.stderr.trim()],
          [125, "Error: open /nonexistent-labels: no such file or directory"],
        );
      });
    } finally {
      await Deno.remove(file);
    }
  },
);

Deno.test(
  "--sig-proxy: run passes SIGTERM on by default; =false leaves the container be",
  opts,
  async () => {
    await withBusyboxStore(async (store, sk) => {
      const script = 'trap "echo got TERM; exit 3" TERM; echo ready; while :; do sleep 0.1; done';
      const attached = (name: string, extra: string[]) =>
        new Deno.Command(SKIFF_BIN, {
          args: [
            "--root",
            store.root,
            "--runroot",
            store.runroot,
            ...withTestCgroupParent([
              "run",
              "--name",
              name,
              ...extra,
              "busybox",
              "sh",
              "-c",
              script,
            ]),
          ],
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
      const ready = (name: string) => async () =>
        (await sk(["logs", name])).stdout.includes("ready");
      const proxied = attached("proxied", []);
      await until("proxied ready", ready("proxied"));
      proxied.kill("SIGTERM");
      const out = await proxied.output();
      assertEquals(out.code, 3);
      assertStringIncludes(new TextDecoder().decode(out.stdout), "got TERM");
      const kept = attached("kept", ["--sig-proxy=false"]);
      await until("kept ready", ready("kept"));
      kept.kill("SIGTERM");
      await kept.output();
      const status = await ok(sk, ["inspect", "-f", "{{.State.Status}}", "kept"]);
      assertEquals(status.trim(), "running");
      assert(!(await sk(["logs", "kept"])).stdout.includes("got TERM"));
    });
  },
);

Deno.test(
  "--runtime/--isolation: defaults only; --storage-opt refused; content trust accepted",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      await ok(sk, [
        "run",
        "--rm",
        "--runtime",
        "runc",
        "--isolation",
        "default",
        "--disable-content-trust",
        "busybox",
        "true",
      ]);
      await ok(sk, ["run", "--rm", "--disable-content-trust=false", "busybox", "true"]);
      for (
        const [args, msg] of [
          [["--runtime", "crun"], "Unknown runtime specified crun"],
          [
            ["--isolation", "hyperv"],
            `Invalid isolation: "hyperv" - linux only supports 'default'`,
          ],
          [
            ["--storage-opt", "size=1G"],
            "--storage-opt is supported only for overlay over xfs with 'pquota' mount option",
          ],
        ] as const
      ) {
        const r = await sk(["run", "--rm", "--name", "refused", ...args, "busybox", "true"]);
        assertEquals([r.code, r.stderr.trim()], [125, `Error: ${msg}`]);
      }
      assertEquals((await ok(sk, ["ps", "-aq"])).trim(), "");
    });
  },
);
