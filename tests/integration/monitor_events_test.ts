/**
 * The events only a container's monitor sees, as root, written with no skiff alive: `start`
 * each time the restart policy runs the container again (Docker's daemon writes die, start),
 * and `oom` before the `die` of a run the kernel killed for memory; and `exec_die` with the
 * exec's id and exit code after `exec_create` and `exec_start`.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { ok, type Sk, withBusyboxStore } from "../helpers/busybox_store.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";
import { until } from "../helpers/wait.ts";

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: skipUnless(IS_ROOT) };

/** The past events of container `name` as `ACTION [exitCode]` lines. */
async function actions(sk: Sk, name: string): Promise<string[]> {
  const out = await ok(sk, [
    "events",
    "--since",
    "1h",
    "--until",
    "0s",
    "--filter",
    `container=${name}`,
    "--format",
    "{{.Action}}{{with .Actor.Attributes.exitCode}} {{.}}{{end}}",
  ]);
  return out.split("\n").filter(Boolean);
}

Deno.test("a restart by policy: die then start, written by the monitor", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    await ok(sk, [
      "run",
      "-d",
      "--name",
      "rs",
      "--restart",
      "on-failure:2",
      "busybox",
      "sh",
      "-c",
      "exit 3",
    ]);
    // two restarts, then the policy gives up: three runs, each with its die
    await until(
      "three dies",
      async () => (await actions(sk, "rs")).filter((a) => a === "die 3").length === 3,
    );
    await until(
      "the policy to give up",
      async () => (await ok(sk, ["inspect", "-f", "{{.State.Status}}", "rs"])).trim() === "exited",
    );
    assertEquals(await actions(sk, "rs"), [
      "create",
      "start",
      "die 3",
      "start",
      "die 3",
      "start",
      "die 3",
    ]);
    assertEquals((await ok(sk, ["inspect", "-f", "{{.RestartCount}}", "rs"])).trim(), "2");
    await ok(sk, ["rm", "rs"]);
  });
});

Deno.test("an OOM kill: oom before die; exec_die after an exec", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    const oom = await sk([
      "run",
      "--name",
      "oom",
      "--memory",
      "32m",
      "busybox",
      "sh",
      "-c",
      "head -c 100m /dev/zero | tail",
    ]);
    assertEquals(oom.code, 137, oom.stderr);
    assertEquals(await actions(sk, "oom"), ["create", "attach", "start", "oom", "die 137"]);
    // the next run is killed again: one more oom, before its die
    assertEquals((await sk(["start", "-a", "oom"])).code, 137);
    assertEquals((await actions(sk, "oom")).slice(5), ["attach", "start", "oom", "die 137"]);

    await ok(sk, ["run", "-d", "--name", "ex", "busybox", "sleep", "60"]);
    const r = await sk(["exec", "ex", "sh", "-c", "exit 4"]);
    assertEquals(r.code, 4);
    const lines = (await ok(sk, [
      "events",
      "--since",
      "1h",
      "--until",
      "0s",
      "--filter",
      "container=ex",
      "--format",
      "{{json .}}",
    ])).trim().split("\n").map((l) => JSON.parse(l));
    const execs = lines.filter((e) => e.Action.startsWith("exec_"));
    assertEquals(execs.map((e) => e.Action), [
      "exec_create: sh -c exit 4",
      "exec_start: sh -c exit 4",
      "exec_die",
    ]);
    const ids = new Set(execs.map((e) => e.Actor.Attributes.execID));
    assertEquals(ids.size, 1);
    assert(/^[0-9a-f]{64}$/.test([...ids][0]));
    assertEquals(execs[2].Actor.Attributes.exitCode, "4");
    assertEquals(execs[2].Actor.Attributes.name, "ex");
    // a detached exec is waited for by nobody: no exec_die for it
    await ok(sk, ["exec", "-d", "ex", "true"]);
    const dies = (await ok(sk, [
      "events",
      "--since",
      "1h",
      "--until",
      "0s",
      "--filter",
      "event=exec_die",
      "--format",
      "{{.Action}}",
    ])).trim().split("\n");
    assertEquals(dies, ["exec_die"]);
    await ok(sk, ["rm", "-f", "ex", "oom"]);
  });
});
