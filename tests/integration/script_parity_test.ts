/**
 * Behaviour scripts rely on, matched to Docker's (issue 13, "Breaks scripts"): refusals, exit
 * codes, teardown that tolerates what is already gone, and `ps` filters and formats.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ok, withBusyboxStore } from "../helpers/busybox_store.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

Deno.test(
  "run -it and exec -it with a piped stdin are refused as Docker does, never hang",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      const run = await sk(["run", "-it", "--name", "piped", "busybox", "cat"], {
        stdin: "hello\n",
        timeoutMs: 60_000,
      });
      assertEquals(run.code, 1, run.stderr);
      assertEquals(run.stderr.trim(), "Error: the input device is not a TTY");
      assertEquals(run.stdout, "");
      // refused before anything was created
      assertEquals(await ok(sk, ["ps", "-aq"]), "");
      // -d, -i alone and -t alone are not refused
      const detached = await sk(["run", "-dit", "--name", "bg", "busybox", "sh"]);
      assertEquals(detached.code, 0, detached.stderr);
      const i = await sk(["run", "--rm", "-i", "busybox", "cat"], {
        stdin: "in\n",
        timeoutMs: 60_000,
      });
      assertEquals([i.code, i.stdout], [0, "in\n"], i.stderr);
      const t = await sk(["run", "--rm", "-t", "busybox", "echo", "out"], { timeoutMs: 60_000 });
      assertEquals(t.code, 0, t.stderr);
      assertStringIncludes(t.stdout, "out");

      const exec = await sk(["exec", "-it", "bg", "cat"], { stdin: "hello\n", timeoutMs: 60_000 });
      assertEquals(exec.code, 1, exec.stderr);
      assertEquals(exec.stderr.trim(), "Error: the input device is not a TTY");
      const execI = await sk(["exec", "-i", "bg", "cat"], { stdin: "x\n", timeoutMs: 60_000 });
      assertEquals([execI.code, execI.stdout], [0, "x\n"], execI.stderr);
      assert((await ok(sk, ["ps", "-q"])).trim() !== "", "bg still runs");
    });
  },
);
