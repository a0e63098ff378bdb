/**
 * `run` options not covered elsewhere: --init, --ulimit, labels, --stop-signal,
 * bind mounts read-only and read-write, --mount and --tmpfs options, and bad
 * flag values refused with one line before anything is created.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { termToEnd, withBusyboxStore } from "../helpers/busybox_store.ts";
import { skiffCgroups } from "../helpers/cgroups.ts";
import { until } from "../helpers/wait.ts";
import { ensureFixtures, fixturePaths } from "../helpers/fixtures.ts";
import { skiff, SKIFF_BIN, tempStore } from "../helpers/skiff.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: skipUnless(IS_ROOT) };

Deno.test("--init runs an init as pid 1 that reaps and forwards", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    const r = await sk(["run", "--rm", "--init", "busybox", "sh", "-c", "cat /proc/1/cmdline"]);
    assertEquals(r.code, 0, r.stderr);
    assertStringIncludes(r.stdout.replaceAll("\0", " "), "/sbin/docker-init");
    const code = await sk(["run", "--rm", "--init", "busybox", "sh", "-c", "exit 7"]);
    assertEquals(code.code, 7);
    // Reaps: an orphan re-parented to pid 1 leaves no zombie once it exits (without --init,
    // pid 1 here is `sleep`, which never waits, and the zombie stays).
    const reaper = await sk([
      "run",
      "-d",
      "--init",
      "--name",
      "reap",
      "busybox",
      "sh",
      "-c",
      "(sleep 0.2 &); exec sleep 60",
    ]);
    assertEquals(reaper.code, 0, reaper.stderr);
    const zombies = await sk([
      "exec",
      "reap",
      "sh",
      "-c",
      // wait until only one sleep still runs (the orphan has exited), then count zombies
      `i=0; while [ "$(cat /proc/[0-9]*/stat | grep -c '(sleep) [RS]')" != 1 ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done; cat /proc/[0-9]*/stat | grep -c ') Z ' || true`,
    ]);
    assertEquals(zombies.code, 0, zombies.stderr);
    assertEquals(zombies.stdout.trim(), "0");
    // Forwards: a signal sent to the container reaches the command under the init.
    const started = await sk([
      "run",
      "-d",
      "--init",
      "--name",
      "fwd",
      "busybox",
      "sh",
      "-c",
      "trap 'echo got USR1; exit 5' USR1; echo ready; while :; do sleep 0.1; done",
    ]);
    assertEquals(started.code, 0, started.stderr);
    await until("fwd ready", async () => (await sk(["logs", "fwd"])).stdout.includes("ready"));
    assertEquals((await sk(["kill", "-s", "USR1", "fwd"])).code, 0);
    const waited = await sk(["wait", "fwd"]);
    assertEquals(waited.stdout.trim(), "5");
    assertStringIncludes((await sk(["logs", "fwd"])).stdout, "got USR1");
  });
});

Deno.test("--ulimit sets soft and hard limits", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    const r = await sk([
      "run",
      "--rm",
      "--ulimit",
      "nofile=1024:2048",
      "busybox",
      "sh",
      "-c",
      "ulimit -n; ulimit -Hn",
    ]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout.trim().split("\n"), ["1024", "2048"]);
  });
});

Deno.test("labels show in inspect as a map and in ps as a string", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    const c = await sk(["create", "--name", "lab", "-l", "a=1", "--label", "b=two", "busybox"]);
    assertEquals(c.code, 0, c.stderr);
    const i = await sk(["inspect", "-f", "{{json .Config.Labels}}", "lab"]);
    assertEquals(JSON.parse(i.stdout), { a: "1", b: "two" });
    const ps = await sk(["ps", "-a", "--format", "{{.Labels}}"]);
    assertEquals(ps.stdout.trim(), "a=1,b=two");
    const f = await sk(["ps", "-aq", "--filter", "label=b=two"]);
    assertEquals(f.stdout.trim().length, 12);
  });
});

Deno.test("bind mounts: read-write, read-only, --mount and --tmpfs options", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/in.txt`, "from host\n");
      const rw = await sk([
        "run",
        "--rm",
        "-v",
        `${dir}:/data`,
        "busybox",
        "sh",
        "-c",
        "cat /data/in.txt; echo back > /data/out.txt",
      ]);
      assertEquals(rw.code, 0, rw.stderr);
      assertEquals(rw.stdout, "from host\n");
      assertEquals(await Deno.readTextFile(`${dir}/out.txt`), "back\n");
      const ro = await sk([
        "run",
        "--rm",
        "--mount",
        `type=bind,source=${dir},target=/data,readonly`,
        "busybox",
        "sh",
        "-c",
        "touch /data/x",
      ]);
      assertEquals(ro.code !== 0, true);
      assertStringIncludes(ro.stderr + ro.stdout, "Read-only file system");
      const tmp = await sk([
        "run",
        "--rm",
        "--tmpfs",
        "/scratch:size=1m,mode=1770",
        "busybox",
        "sh",
        "-c",
        "stat -c %a /scratch; grep /scratch /proc/mounts",
      ]);
      assertEquals(tmp.code, 0, tmp.stderr);
      assertStringIncludes(tmp.stdout, "1770");
      assertStringIncludes(tmp.stdout, "size=1024k");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("bad run flags are refused with one line and create nothing", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    const cases: [string[], string][] = [
      [["--memory", "12x"], "invalid size"],
      [["--cpus", "abc"], "failed to parse"],
      [["--restart", "sometimes"], "invalid restart policy"],
      [["--ulimit", "nofile"], "invalid"],
      [["--cap-add", "NOT_A_CAP"], "unknown capability"],
      [["-v", "a:b:c:d"], "invalid"],
      [["--name", "bad name!"], "Invalid container name"],
      [["--stop-signal", "SIGNOPE"], "signal"],
      [["--security-opt", "seccomp=/nonexistent.json"], "seccomp"],
      [["--memory-swap", "100m"], "Memory limit"],
      [["-m", "100m", "--memory-swap", "50m"], "memoryswap"],
    ];
    for (const [flags, message] of cases) {
      const r = await sk(["run", "--rm", ...flags, "busybox", "true"]);
      assertEquals(r.code, 125, `${flags.join(" ")}: ${r.stderr}`);
      assertStringIncludes(r.stderr.toLowerCase(), message.toLowerCase());
      assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
    }
    assertEquals((await sk(["ps", "-aq"])).stdout.trim(), "");
  });
});

Deno.test("run -a picks the streams shown; ps -s and inspect -s report sizes", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    const script = "echo out; echo err >&2";
    const out = await sk(["run", "--rm", "-a", "stdout", "busybox", "sh", "-c", script]);
    assertEquals([out.stdout, out.stderr], ["out\n", ""]);
    const err = await sk(["run", "--rm", "-a", "STDERR", "busybox", "sh", "-c", script]);
    assertEquals([err.stdout, err.stderr], ["", "err\n"]);
    const bad = await sk(["run", "--rm", "-a", "stdweird", "busybox", "true"]);
    assertEquals(bad.code, 125);

    const made = await sk([
      "run",
      "--name",
      "sized",
      "busybox",
      "sh",
      "-c",
      "dd if=/dev/zero of=/blob bs=1024 count=200 2>/dev/null",
    ]);
    assertEquals(made.code, 0, made.stderr);
    const ps = await sk(["ps", "-a", "-s", "--format", "{{.Size}}"]);
    assertStringIncludes(ps.stdout, "205kB (virtual ");
    const i = await sk(["container", "inspect", "-s", "-f", "{{.SizeRw}}", "sized"]);
    assertEquals(i.stdout.trim(), "204800");
  });
});

Deno.test("an attached run forwards SIGINT and SIGTERM to the container", opts, async () => {
  await ensureFixtures();
  const store = await tempStore();
  try {
    const load = await skiff(["load", "-q", "-i", `${fixturePaths().busybox}.docker.tar`], store);
    assertEquals(load.code, 0, load.stderr);
    for (const [signal, code] of [["SIGINT", 4], ["SIGTERM", 5]] as const) {
      const child = new Deno.Command(SKIFF_BIN, {
        args: [
          "--root",
          store.root,
          "--runroot",
          store.runroot,
          "run",
          "--rm",
          "busybox",
          "sh",
          "-c",
          `trap "echo got; exit ${code}" ${
            signal.slice(3)
          }; echo ready; while true; do sleep 0.1; done`,
        ],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let seen = "";
      while (!seen.includes("ready")) seen += (await reader.read()).value ?? "";
      child.kill(signal);
      for (;;) {
        const r = await reader.read();
        if (r.done) break;
        seen += r.value;
      }
      const status = await child.status;
      await child.stderr.cancel();
      assertStringIncludes(seen, "got");
      assertEquals(status.code, code);
    }
  } finally {
    await store.cleanup();
  }
});

Deno.test("--cpu-shares, --stop-timeout and logs --until", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    // inside the container's cgroup namespace: v1's cpu.shares, or v2's cpu.weight (runc's
    // conversion: 1 + (512 - 2) * 9999 / 262142)
    const v1 = (await skiffCgroups()).version === 1;
    const shares = await sk([
      "run",
      "--rm",
      "--cpu-shares",
      "512",
      "busybox",
      "cat",
      v1 ? "/sys/fs/cgroup/cpu/cpu.shares" : "/sys/fs/cgroup/cpu.weight",
    ]);
    assertEquals(shares.code, 0, shares.stderr);
    assertEquals(shares.stdout.trim(), v1 ? "512" : "20");

    const d = await sk([
      "run",
      "-d",
      "--name",
      "slow",
      "--stop-timeout",
      "1",
      "busybox",
      "sh",
      "-c",
      // a second apart in the log; then TERM is seen and outlived
      "trap 'echo got TERM' TERM; echo first; sleep 1; echo second; while true; do sleep 0.1; done",
    ]);
    assertEquals(d.code, 0, d.stderr);
    const timeout = await sk(["inspect", "-f", "{{.Config.StopTimeout}}", "slow"]);
    assertEquals(timeout.stdout.trim(), "1");
    let logs = "";
    await until("second in the log", async () => {
      logs = (await sk(["logs", "-t", "slow"])).stdout;
      return logs.includes("second");
    });
    const [first, second] = logs.trim().split("\n").map((l) => Date.parse(l.split(" ")[0]));
    const between = new Date((first + second) / 2).toISOString();
    const before = await sk(["logs", "--until", between, "slow"]);
    assertEquals(before.stdout, "first\n");
    const started = Date.now();
    const stop = await sk(["stop", "slow"]);
    assertEquals(stop.code, 0, stop.stderr);
    // stop waits out the container's timeout (a lower bound, which load cannot break) ...
    const took = Date.now() - started;
    assert(took >= 900, `stop took ${took} ms`);
    // ... after TERM, which the container saw and outlived, then KILL ended it
    assertEquals((await sk(["inspect", "-f", "{{.State.ExitCode}}", "slow"])).stdout.trim(), "137");
    // the container's 1 s, not the default 10 s: TERM's arrival and the end, both on the
    // monitor's clock (a bound far from both, which a loaded test process cannot break)
    assert(await termToEnd(sk, "slow") < 6000, "stop waited the default 10 s");
  });
});

Deno.test(
  "--group-add: groups by name and number for run and exec; an unknown name is refused",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      const id = await sk([
        "run",
        "--rm",
        "--group-add",
        "10",
        "--group-add",
        "nogroup",
        "busybox",
        "id",
      ]);
      assertEquals([id.code, id.stdout], [
        0,
        "uid=0(root) gid=0(root) groups=0(root),10,65534(nogroup)\n",
      ], id.stderr);
      const d = await sk([
        "run",
        "-d",
        "--name",
        "ga",
        "--group-add",
        "10",
        "busybox",
        "sleep",
        "600",
      ]);
      assertEquals(d.code, 0, d.stderr);
      // exec's processes get them too, also as another user
      assertEquals(
        (await sk(["exec", "ga", "id"])).stdout,
        "uid=0(root) gid=0(root) groups=0(root),10\n",
      );
      assertEquals(
        (await sk(["exec", "-u", "5:5", "ga", "id"])).stdout,
        "uid=5 gid=5 groups=5,10\n",
      );
      assertEquals(
        (await sk(["inspect", "-f", "{{json .HostConfig.GroupAdd}}", "ga"])).stdout,
        '["10"]\n',
      );
      const bad = await sk(["run", "--rm", "--group-add", "nope", "busybox", "true"]);
      assertEquals(bad.code, 125);
      assertEquals(
        bad.stderr.trim(),
        "Error: Unable to find group nope: no matching entries in group file",
      );
    });
  },
);

Deno.test(
  "--cidfile: the new container's id; a file that exists is refused; a failure leaves none",
  opts,
  async () => {
    await withBusyboxStore(async (store, sk) => {
      const dir = `${store.root}/..`;
      const d = await sk(["run", "-d", "--cidfile", `${dir}/cid`, "busybox", "sleep", "600"]);
      assertEquals(d.code, 0, d.stderr);
      assertEquals(await Deno.readTextFile(`${dir}/cid`), d.stdout.trim());
      const before = (await sk(["ps", "-aq"])).stdout;
      const again = await sk(["run", "--cidfile", `${dir}/cid`, "busybox", "true"]);
      assertEquals(again.code, 125);
      assertEquals(
        again.stderr.trim(),
        `Error: Container ID file found, make sure the other container isn't running or delete ${dir}/cid`,
      );
      assertEquals((await sk(["create", "--cidfile", `${dir}/cid`, "busybox", "true"])).code, 1);
      assertEquals((await sk(["ps", "-aq"])).stdout, before, "a refused run created a container");
      assertEquals(await Deno.readTextFile(`${dir}/cid`), d.stdout.trim(), "the file was changed");
      const c = await sk(["create", "--cidfile", `${dir}/cid2`, "busybox", "true"]);
      assertEquals(
        [c.code, await Deno.readTextFile(`${dir}/cid2`)],
        [0, c.stdout.trim()],
        c.stderr,
      );
      const failed = await sk([
        "run",
        "--pull",
        "never",
        "--cidfile",
        `${dir}/cid3`,
        "nosuchimage",
        "true",
      ]);
      assertEquals(failed.code, 125);
      await assertRejectsNotFound(`${dir}/cid3`);
    });
  },
);

async function assertRejectsNotFound(path: string): Promise<void> {
  try {
    await Deno.lstat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  throw new Error(`${path} exists`);
}
