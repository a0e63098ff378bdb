/**
 * `logs` of a `--log-driver journald` container (root only): read back with `journalctl -o json`
 * for the container's CONTAINER_ID_FULL, stderr from PRIORITY 3, partial messages joined, and
 * --tail and -t applied; a clear line when journalctl is missing or fails, and for --follow.
 * The container is made through the engine (this host has no journal socket for the CLI to
 * accept the driver), and a stand-in `journalctl` on PATH answers as the real one would.
 */
import { assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { withBusyboxStore } from "../helpers/busybox_store.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";
import { skiff } from "../helpers/skiff.ts";
import { createContainer } from "../../src/engine/container_create.ts";
import { defaultRunOptions } from "../../src/runtime/run_options.ts";

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: skipUnless(IS_ROOT) };

Deno.test("logs of a journald container go through journalctl", opts, async () => {
  await withBusyboxStore(async (store) => {
    const { rec } = await createContainer(store, {
      image: "busybox",
      name: "jl",
      options: { ...defaultRunOptions(), logConfig: { Type: "journald", Config: {} } },
    }, { pulling: () => Promise.reject(new Error("no pull")) });
    const bin = await Deno.makeTempDir({ prefix: "skiff-journalctl-" });
    const entries = [
      { MESSAGE: "one", PRIORITY: "6", __REALTIME_TIMESTAMP: "1700000000000001" },
      { MESSAGE: "oops", PRIORITY: "3", __REALTIME_TIMESTAMP: "1700000001000000" },
      {
        MESSAGE: "par",
        PRIORITY: "6",
        CONTAINER_PARTIAL_MESSAGE: "true",
        __REALTIME_TIMESTAMP: "1700000002000000",
      },
      // a message journalctl shows as bytes (not clean UTF-8 text)
      { MESSAGE: [116, 9, 33], PRIORITY: "6", __REALTIME_TIMESTAMP: "1700000003000000" },
    ].map((e) => JSON.stringify(e)).join("\n");
    await Deno.writeTextFile(`${bin}/entries`, entries + "\n");
    // answers only for this container's field, as journalctl's match would
    await Deno.writeTextFile(
      `${bin}/journalctl`,
      [
        "#!/bin/sh",
        `if [ "$*" = "--no-pager --all -o json CONTAINER_ID_FULL=${rec.Id}" ]; then`,
        `  cat ${bin}/entries`,
        "else",
        '  echo "unexpected: $*" >&2; exit 1',
        "fi",
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
    try {
      const env = { PATH: `${bin}:/usr/bin:/bin` };
      const all = await skiff(["logs", "jl"], { ...store, env });
      assertEquals(all.code, 0, all.stderr);
      assertEquals(all.stdout, "one\npart\t!\n");
      assertEquals(all.stderr, "oops\n");
      const tail = await skiff(["logs", "--tail", "1", "-t", "jl"], { ...store, env });
      assertEquals(tail.stdout, "2023-11-14T22:13:22.000000000Z part\t!\n");
      const follow = await skiff(["logs", "-f", "jl"], { ...store, env });
      assertEquals(follow.code, 1);
      assertStringIncludes(follow.stderr, "logs --follow of a journald container");

      const missing = await skiff(["logs", "jl"], { ...store, env: { PATH: "/nonexistent" } });
      assertEquals(missing.code, 1);
      assertEquals(
        missing.stderr,
        "Error: the journald log driver's logs are read with journalctl, which is not installed\n",
      );
      await Deno.writeTextFile(
        `${bin}/journalctl`,
        "#!/bin/sh\necho 'No journal files were found.' >&2\nexit 1\n",
      );
      const failed = await skiff(["logs", "jl"], { ...store, env });
      assertEquals(failed.stderr, "Error: journalctl failed: No journal files were found.\n");
    } finally {
      await skiff(["rm", "jl"], store);
      await Deno.remove(bin, { recursive: true });
    }
  });
});
