/**
 * `update` (issue 11) on this host's real cgroups: a running container's memory, CPU and
 * pids limits change in its cgroup files and in inspect, a stopped one gets them at its next
 * start, the restart policy is recorded, and a removed container is one clear line.
 */
import { assertEquals } from "../helpers/assert.ts";
import { ok, withBusyboxStore } from "../helpers/busybox_store.ts";
import { controllerDir, skiffCgroups } from "../helpers/cgroups.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";
import { until } from "../helpers/wait.ts";

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: skipUnless(IS_ROOT) };

async function read(path: string): Promise<string> {
  return (await Deno.readTextFile(path)).trim();
}

Deno.test("update: a running container's cgroup files and inspect change", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    const id = (await ok(sk, ["run", "-d", "--name", "u", "busybox", "sleep", "300"])).trim();
    const mgr = await skiffCgroups();
    const v1 = mgr.mode.version === 1;
    const out = await ok(sk, [
      "update",
      "-m",
      "64m",
      "--memory-swap",
      "128m",
      "--cpus",
      "0.5",
      "--pids-limit",
      "50",
      "--restart",
      "on-failure:3",
      "u",
    ]);
    assertEquals(out, "u\n");
    const mem = controllerDir(mgr, id, "memory");
    const cpu = controllerDir(mgr, id, "cpu");
    const pids = controllerDir(mgr, id, "pids");
    assertEquals(await read(`${mem}/${v1 ? "memory.limit_in_bytes" : "memory.max"}`), "67108864");
    assertEquals(
      v1 ? await read(`${cpu}/cpu.cfs_quota_us`) : await read(`${cpu}/cpu.max`),
      v1 ? "50000" : "50000 100000",
    );
    assertEquals(await read(`${pids}/pids.max`), "50");
    const shown = await ok(sk, [
      "inspect",
      "-f",
      "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}",
      "u",
    ]);
    assertEquals(shown.trim(), "67108864 500000000 50 on-failure:3");
    // lifted again, and the memory limit raised above the old memory+swap limit
    await ok(sk, ["update", "--pids-limit", "-1", "-m", "256m", "--memory-swap", "512m", "u"]);
    assertEquals(await read(`${pids}/pids.max`), "max");
    assertEquals(await read(`${mem}/${v1 ? "memory.limit_in_bytes" : "memory.max"}`), "268435456");
  });
});

Deno.test("update: a stopped container gets the limits at its next start", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    const id = (await ok(sk, ["create", "--name", "s", "busybox", "sleep", "300"])).trim();
    await ok(sk, ["update", "--pids-limit", "33", "s"]);
    await ok(sk, ["start", "s"]);
    const mgr = await skiffCgroups();
    assertEquals(await read(`${controllerDir(mgr, id, "pids")}/pids.max`), "33");
  });
});

Deno.test("update: bad values and missing containers are one line each", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    await ok(sk, ["create", "--name", "c", "busybox"]);
    await ok(sk, ["create", "--name", "gone", "busybox"]);
    await ok(sk, ["rm", "gone"]);
    const r = await sk(["update", "--pids-limit", "9", "gone", "c"]);
    assertEquals([r.code, r.stdout, r.stderr.trim()], [1, "c\n", "Error: No such container: gone"]);
    const none = await sk(["update", "c"]);
    assertEquals(
      [none.code, none.stderr.trim()],
      [1, "Error: you must provide one or more flags when using this command"],
    );
    const small = await sk(["update", "-m", "1m", "c"]);
    assertEquals([small.code, small.stderr.trim()], [
      1,
      "Error: Minimum memory limit allowed is 6MB",
    ]);
    await ok(sk, ["create", "--rm", "--name", "auto", "busybox"]);
    const auto = await sk(["update", "--restart", "always", "auto"]);
    assertEquals(
      auto.stderr.trim(),
      "Error: Restart policy cannot be updated because AutoRemove is enabled for the container",
    );
    const pids = await ok(sk, ["inspect", "-f", "{{.HostConfig.PidsLimit}}", "c"]);
    assertEquals(pids.trim(), "9");
  });
});

Deno.test(
  "update --restart: a running container's monitor follows the new policy",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      // exits 3 each time /go appears (the file is removed first, so a restart waits again)
      const script = "while [ ! -f /go ]; do sleep 0.1; done; rm /go; exit 3";
      await ok(sk, ["run", "-d", "--name", "rp", "busybox", "sh", "-c", script]);
      await ok(sk, ["update", "--restart", "on-failure:1", "rp"]);
      const inspect = async () =>
        (await ok(sk, ["inspect", "-f", "{{.State.Status}} {{.RestartCount}}", "rp"])).trim();
      await ok(sk, ["exec", "rp", "touch", "/go"]);
      await until("restarted once", async () => (await inspect()) === "running 1");
      await ok(sk, ["exec", "rp", "touch", "/go"]);
      await until("then stopped", async () => (await inspect()).startsWith("exited"));
      assertEquals(await inspect(), "exited 1");
    });
  },
);
