/**
 * The container runtime as a Docker user sees it (root only): isolation,
 * security defaults, cgroup limits, exit codes, logs, the lifecycle verbs,
 * restart policies and robustness against crashes and concurrency. Each test
 * has its own store with the busybox fixture image loaded as `busybox`.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { type Sk, termToEnd, withBusyboxStore } from "../helpers/busybox_store.ts";
import { SKIFF_BIN } from "../helpers/skiff.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";
import { controllerDir, skiffCgroups } from "../helpers/cgroups.ts";
import { until } from "../helpers/wait.ts";

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: skipUnless(IS_ROOT) };

/** `run --rm busybox ...args` expecting success; returns stdout. */
async function out(sk: Sk, args: string[]): Promise<string> {
  const r = await sk(["run", "--rm", ...args]);
  assertEquals(r.code, 0, `run ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

function existsOnHost(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

async function inspect(sk: Sk, name: string, format: string): Promise<string> {
  const r = await sk(["inspect", "-f", format, name]);
  assertEquals(r.code, 0, r.stderr);
  return r.stdout.trim();
}

async function psStatus(sk: Sk, name: string): Promise<string> {
  const r = await sk(["ps", "-a", "--filter", `name=${name}`, "--format", "{{.Status}}"]);
  assertEquals(r.code, 0, r.stderr);
  return r.stdout.trim();
}

/** How many sockets process `pid` holds open. */
async function sockets(pid: number): Promise<number> {
  let n = 0;
  for await (const fd of Deno.readDir(`/proc/${pid}/fd`)) {
    const target = await Deno.readLink(`/proc/${pid}/fd/${fd.name}`).catch(() => "");
    if (target.startsWith("socket:")) n++;
  }
  return n;
}

function assertMatch(text: string, re: RegExp): void {
  assert(re.test(text), `Expected ${JSON.stringify(text)} to match ${re}`);
}

function capEff(status: string): string {
  return /CapEff:\s*([0-9a-f]+)/.exec(status)?.[1] ?? "";
}

function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

Deno.test("isolation: pid 1, hostname, private process list and fds", opts, async () => {
  await withBusyboxStore(async (_s, sk) => {
    assertEquals((await out(sk, ["busybox", "sh", "-c", "echo $$"])).trim(), "1");
    const r = await sk(["run", "--name", "h", "busybox", "hostname"]);
    assertEquals(r.code, 0, r.stderr);
    const id = await inspect(sk, "h", "{{.Id}}");
    assertEquals(r.stdout.trim(), id.slice(0, 12));
    assertEquals((await out(sk, ["-h", "box", "busybox", "hostname"])).trim(), "box");
    // Docker's /etc files: hostname, hosts with localhost, a resolv.conf
    const etc = await out(sk, [
      "-h",
      "box",
      "busybox",
      "sh",
      "-c",
      "cat /etc/hostname /etc/hosts; grep -c nameserver /etc/resolv.conf",
    ]);
    assertStringIncludes(etc, "box\n127.0.0.1\tlocalhost\n");
    assertMatch(etc, /\n[1-9]\d*\n$/);
    const ps = (await out(sk, ["busybox", "ps", "-o", "pid,comm"])).trim().split("\n").slice(1);
    assertEquals(ps.map((l) => l.trim().split(/\s+/)[1]), ["ps"]);
    const fds = (await out(sk, ["busybox", "ls", "/proc/self/fd"])).trim().split(/\s+/);
    assertEquals(fds, ["0", "1", "2", "3"]);
    // Nothing of the monitor is reachable from inside.
    const exe = await out(sk, ["busybox", "sh", "-c", "readlink /proc/1/exe; ls /proc/*/exe -l"]);
    assert(!exe.includes("skiff-monitor"), exe);
    assert(!exe.includes("ffi/build"), exe);
    const mounts = await out(sk, ["busybox", "cat", "/proc/self/mountinfo"]);
    assert(!mounts.includes("ffi/build"), mounts);
    assert(!mounts.includes("/work/"), mounts);
  });
});

Deno.test("isolation: masked and read-only paths", opts, async () => {
  await withBusyboxStore(async (_s, sk) => {
    // Files the host can read (checked here first, so the test cannot pass on emptiness).
    const masked = ["/proc/interrupts", "/proc/keys", "/proc/timer_list"];
    for (const p of masked) {
      assert((await Deno.readFile(p)).length > 0, `${p} is empty on the host`);
    }
    assert([...Deno.readDirSync("/sys/firmware")].length > 0, "/sys/firmware is empty on the host");
    const script = [
      ...masked.map((p) => `cat ${p} | wc -c`),
      "ls /sys/firmware | wc -l",
      "echo 1 > /proc/sys/kernel/domainname && echo WROTE || echo REFUSED",
      "echo 1 > /proc/sysrq-trigger && echo WROTE || echo REFUSED",
    ].join("; ");
    // The capabilities that could read or remount them do not help: the mask does it.
    const caps = ["--cap-add", "SYS_RAWIO", "--cap-add", "DAC_READ_SEARCH"];
    const lines = (await out(sk, [...caps, "busybox", "sh", "-c", script])).trim().split("\n");
    assertEquals(lines, ["0", "0", "0", "0", "REFUSED", "REFUSED"]);
    // Each masked path is a mount of its own inside the container.
    const mountinfo = await out(sk, ["busybox", "cat", "/proc/self/mountinfo"]);
    const points = new Set(mountinfo.split("\n").map((l) => l.split(" ")[4]));
    const readOnly = ["/proc/sys", "/proc/sysrq-trigger"].filter((p) => existsOnHost(p));
    for (const p of [...masked, "/sys/firmware", ...readOnly]) {
      assert(points.has(p), `${p} is not mounted over:\n${mountinfo}`);
    }
    // --privileged lifts the masks.
    const priv = (await out(sk, ["--privileged", "busybox", "sh", "-c", script])).trim()
      .split("\n");
    assert(priv.slice(0, 4).every((n) => Number(n) > 0), priv.join(" "));
  });
});

Deno.test("isolation: capabilities, seccomp and no-new-privileges", opts, async () => {
  await withBusyboxStore(async (_s, sk) => {
    const status = (...flags: string[]) =>
      out(sk, [...flags, "busybox", "cat", "/proc/self/status"]);
    const def = await status();
    assertEquals(capEff(def), "00000000a80425fb");
    assertMatch(def, /CapBnd:\s*00000000a80425fb/);
    assertMatch(def, /CapInh:\s*0000000000000000/);
    assertMatch(def, /Seccomp:\s*2/);
    assertMatch(def, /NoNewPrivs:\s*0/);
    assertEquals(capEff(await status("--cap-drop", "ALL")), "0000000000000000");
    const admin = capEff(await status("--cap-add", "SYS_ADMIN"));
    assertEquals(admin, (0xa80425fbn | (1n << 21n)).toString(16).padStart(16, "0"));
    const hostBnd = /CapBnd:\s*([0-9a-f]+)/.exec(await Deno.readTextFile("/proc/self/status"))![1];
    const priv = await status("--privileged");
    assertEquals(capEff(priv), hostBnd);
    assertMatch(priv, /Seccomp:\s*0/);
    assertMatch(await status("--security-opt", "seccomp=unconfined"), /Seccomp:\s*0/);
    assertMatch(await status("--security-opt", "no-new-privileges"), /NoNewPrivs:\s*1/);
    // The default profile refuses what Docker's refuses. A new user namespace needs no
    // capability from the kernel, so only the filter refuses it; unconfined, it works.
    const probe = "unshare -U true && echo ALLOWED || echo REFUSED";
    assertEquals((await out(sk, ["busybox", "sh", "-c", probe])).trim(), "REFUSED");
    const unconfined = await out(sk, [
      "--security-opt",
      "seccomp=unconfined",
      "busybox",
      "sh",
      "-c",
      probe,
    ]);
    assertEquals(unconfined.trim(), "ALLOWED");
    // mount needs CAP_SYS_ADMIN from both the kernel and Docker's profile.
    const r = await sk(["run", "--rm", "busybox", "sh", "-c", "mount -t tmpfs x /mnt"]);
    assert(r.code !== 0, "mount succeeded without CAP_SYS_ADMIN");
  });
});

Deno.test("isolation: read-only root, tmpfs, user, workdir, env, entrypoint", opts, async () => {
  await withBusyboxStore(async (_s, sk) => {
    const ro = await sk(["run", "--rm", "--read-only", "busybox", "touch", "/x"]);
    assertEquals(ro.code, 1);
    assertStringIncludes(ro.stderr, "Read-only file system");
    assertEquals(
      (await out(sk, [
        "--read-only",
        "--tmpfs",
        "/tmp",
        "busybox",
        "sh",
        "-c",
        "touch /tmp/x && echo ok",
      ])).trim(),
      "ok",
    );
    assertEquals((await out(sk, ["-u", "nobody", "busybox", "id", "-u"])).trim(), "65534");
    assertEquals(
      (await out(sk, ["-u", "1234:55", "busybox", "id"])).trim(),
      "uid=1234 gid=55 groups=55",
    );
    assertEquals((await out(sk, ["-w", "/tmp", "busybox", "sh", "-c", "pwd"])).trim(), "/tmp");
    assertEquals(
      (await out(sk, ["-w", "/new/dir", "busybox", "sh", "-c", "pwd"])).trim(),
      "/new/dir",
    );
    const envFile = await Deno.makeTempFile();
    try {
      await Deno.writeTextFile(envFile, "# comment\nFROM_FILE=yes\n\nBOTH=file\n");
      const env = await out(sk, [
        "-e",
        "A=1",
        "--env-file",
        envFile,
        "-e",
        "BOTH=flag",
        "busybox",
        "env",
      ]);
      const lines = env.trim().split("\n");
      assert(lines.includes("A=1"), env);
      assert(lines.includes("FROM_FILE=yes"), env);
      assert(lines.includes("BOTH=flag"), env);
      assert(lines.some((l) => l.startsWith("PATH=")), env);
      assert(lines.some((l) => l.startsWith("HOSTNAME=")), env);
    } finally {
      await Deno.remove(envFile);
    }
    assertEquals((await out(sk, ["--entrypoint", "echo", "busybox", "a", "b"])).trim(), "a b");
    assertEquals((await out(sk, ["--entrypoint", "hostname", "-h", "e", "busybox"])).trim(), "e");
  });
});

Deno.test("isolation: network none and host", opts, async () => {
  await withBusyboxStore(async (_s, sk) => {
    const none = (await out(sk, ["--network", "none", "busybox", "ls", "/sys/class/net"])).trim();
    assertEquals(none.split(/\s+/), ["lo"]);
    const host = (await out(sk, ["--network", "host", "busybox", "ls", "/sys/class/net"])).trim()
      .split(/\s+/).sort();
    const mine: string[] = [];
    for await (const e of Deno.readDir("/sys/class/net")) mine.push(e.name);
    assertEquals(host, mine.sort());
  });
});

Deno.test("cgroups: memory OOM kill, pids limit, cpu quota", opts, async () => {
  await withBusyboxStore(async (_s, sk) => {
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
    assertEquals(await inspect(sk, "oom", "{{.State.OOMKilled}}"), "true");
    assertEquals(await inspect(sk, "oom", "{{.State.ExitCode}}"), "137");

    const bomb = await sk([
      "run",
      "-d",
      "--name",
      "bomb",
      "--pids-limit",
      "20",
      "busybox",
      "sh",
      "-c",
      // the inner shell dies when it cannot fork; exec needs no fork
      "sh -c 'for i in $(seq 100); do sleep 30 & done' 2>/dev/null; echo spawned; exec sleep 30",
    ]);
    assertEquals(bomb.code, 0, bomb.stderr);
    const id = bomb.stdout.trim();
    const cgroups = await skiffCgroups();
    const pids = controllerDir(cgroups, id, "pids");
    assertEquals((await Deno.readTextFile(`${pids}/pids.max`)).trim(), "20");
    await until("the fork bomb to hit the limit", async () => {
      const logs = await sk(["logs", "bomb"]);
      return logs.stdout.includes("spawned") || logs.stderr.includes("fork");
    });
    const current = Number((await Deno.readTextFile(`${pids}/pids.current`)).trim());
    assert(current <= 20, `pids.current ${current}`);
    const k = await sk(["kill", "bomb"]);
    assertEquals(k.code, 0, k.stderr);
    assertEquals((await sk(["wait", "bomb"])).stdout.trim(), "137");

    const cpu = await sk(["run", "-d", "--cpus", "0.5", "busybox", "sleep", "30"]);
    assertEquals(cpu.code, 0, cpu.stderr);
    const cid = cpu.stdout.trim();
    const cpuDir = controllerDir(cgroups, cid, "cpu");
    if (cgroups.version === 1) {
      assertEquals((await Deno.readTextFile(`${cpuDir}/cpu.cfs_quota_us`)).trim(), "50000");
    } else {
      assertEquals((await Deno.readTextFile(`${cpuDir}/cpu.max`)).trim(), "50000 100000");
    }
    assertEquals((await sk(["rm", "-f", cid])).code, 0);
    // The cgroup goes with the container.
    await until("cgroup removal", async () => !(await exists(cpuDir)));
  });
});

Deno.test("exit codes agree across run, wait, ps and inspect", opts, async () => {
  await withBusyboxStore(async (_s, sk) => {
    const cases: [string, string[], number][] = [
      ["three", ["sh", "-c", "exit 3"], 3],
      // pid 1 of a namespace ignores SIGKILL from inside (as in Docker): kill a child
      ["killed", ["sh", "-c", "sh -c 'kill -9 $$'; exit $?"], 137],
      ["zero", ["true"], 0],
    ];
    for (const [name, cmd, code] of cases) {
      const r = await sk(["run", "--name", name, "busybox", ...cmd]);
      assertEquals(r.code, code, `${name}: ${r.stderr}`);
      assertEquals((await sk(["wait", name])).stdout.trim(), String(code));
      assertEquals(await inspect(sk, name, "{{.State.ExitCode}}"), String(code));
      assertMatch(await psStatus(sk, name), new RegExp(`^Exited \\(${code}\\) `));
    }
    const hk = await sk(["run", "-d", "--name", "hk", "busybox", "sleep", "100"]);
    assertEquals(hk.code, 0, hk.stderr);
    Deno.kill(Number(await inspect(sk, "hk", "{{.State.Pid}}")), "SIGKILL");
    assertEquals((await sk(["wait", "hk"])).stdout.trim(), "137");
    assertEquals(await inspect(sk, "hk", "{{.State.ExitCode}}"), "137");
    assertMatch(await psStatus(sk, "hk"), /^Exited \(137\) /);
    const missing = await sk(["run", "--name", "missing", "busybox", "nosuchcommand"]);
    assertEquals(missing.code, 127);
    assertEquals(missing.stderr.trim().split("\n").length, 1, missing.stderr);
    assertStringIncludes(missing.stderr, "nosuchcommand");
    assertEquals(await inspect(sk, "missing", "{{.State.ExitCode}}"), "127");
    assertMatch(await psStatus(sk, "missing"), /^(Exited \(127\)|Created)/);
    const noexec = await sk(["run", "--rm", "busybox", "/etc/passwd"]);
    assertEquals(noexec.code, 126, noexec.stderr);
    assertEquals(noexec.stderr.trim().split("\n").length, 1, noexec.stderr);
    const dir = await sk(["run", "--rm", "busybox", "/etc"]);
    assertEquals(dir.code, 126, dir.stderr);
    const unreachable = await sk(["run", "--rm", "127.0.0.1:1/nothing/here"], {
      timeoutMs: 30_000,
    });
    assertEquals(unreachable.code, 125, unreachable.stderr);
    assertEquals(
      unreachable.stderr.trim().split("\n").filter((l) => l.startsWith("Error")).length,
      1,
    );
  });
});

Deno.test("logs: streams, tail, timestamps, since, follow", opts, async () => {
  await withBusyboxStore(async (s, sk) => {
    // The two streams are separate pipes: the container goes on only once err1 is in the log
    // (the test then creates /gate/go), so the log's order is known.
    const gate = `${s.root}/../gate`;
    await Deno.mkdir(gate);
    const running = sk([
      "run",
      "--name",
      "l",
      "-v",
      `${gate}:/gate`,
      "busybox",
      "sh",
      "-c",
      "echo out1; echo err1 >&2; while [ ! -e /gate/go ]; do sleep 0.05; done; echo out2; echo out3",
    ]);
    await until("err1 in the log", async () => (await sk(["logs", "l"])).stderr === "err1\n");
    await Deno.writeTextFile(`${gate}/go`, "");
    const r = await running;
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, "out1\nout2\nout3\n");
    assertEquals(r.stderr, "err1\n");
    const logs = await sk(["logs", "l"]);
    assertEquals(logs.stdout, "out1\nout2\nout3\n");
    assertEquals(logs.stderr, "err1\n");
    const tail = await sk(["logs", "--tail", "2", "l"]);
    assertEquals(tail.stdout + tail.stderr, "out2\nout3\n");
    const ts = await sk(["logs", "-t", "l"]);
    for (const line of ts.stdout.trim().split("\n")) {
      assertMatch(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z out\d$/);
    }
    const future = await sk(["logs", "--since", new Date(Date.now() + 60_000).toISOString(), "l"]);
    assertEquals(future.stdout, "");
    const past = await sk(["logs", "--since", "1h", "l"]);
    assertEquals(past.stdout, "out1\nout2\nout3\n");

    const d = await sk([
      "run",
      "-d",
      "--name",
      "f",
      "busybox",
      "sh",
      "-c",
      "echo a; sleep 1; echo b",
    ]);
    assertEquals(d.code, 0, d.stderr);
    // follow ends by itself when the container exits (the kill after 60 s would fail the code)
    const follow = await sk(["logs", "-f", "f"], { timeoutMs: 60_000 });
    assertEquals(follow.code, 0, follow.stderr);
    assertEquals(follow.stdout, "a\nb\n");
  });
});

Deno.test("lifecycle: detached, stop, kill, restart, start, rm", opts, async () => {
  await withBusyboxStore(async (_s, sk) => {
    const d = await sk([
      "run",
      "-d",
      "--name",
      "trap",
      "busybox",
      "sh",
      "-c",
      "trap 'echo got TERM; exit 7' TERM; echo ready; while true; do sleep 0.1; done",
    ]);
    assertEquals(d.code, 0, d.stderr);
    assertMatch(d.stdout.trim(), /^[0-9a-f]{64}$/);
    assertMatch(await psStatus(sk, "trap"), /^Up /);
    const ps = await sk(["ps"]);
    assertStringIncludes(ps.stdout, "trap");
    await until("ready", async () => (await sk(["logs", "trap"])).stdout.includes("ready"));
    const st = await sk(["stop", "trap"]);
    assertEquals(st.code, 0, st.stderr);
    assertEquals(st.stdout.trim(), "trap");
    // exit code 7 is the trap's: TERM ended it, stop did not have to kill it after its timeout
    assertEquals(await inspect(sk, "trap", "{{.State.ExitCode}}"), "7");
    assertMatch(await psStatus(sk, "trap"), /^Exited \(7\)/);
    assertStringIncludes((await sk(["logs", "trap"])).stdout, "got TERM");

    // start it again: same container, runs again
    assertEquals((await sk(["start", "trap"])).code, 0);
    assertMatch(await psStatus(sk, "trap"), /^Up /);
    await until(
      "ready twice",
      async () => (await sk(["logs", "trap"])).stdout.split("ready").length === 3,
    );
    assertEquals((await sk(["restart", "-t", "5", "trap"])).code, 0);
    assertMatch(await psStatus(sk, "trap"), /^Up /);
    // restart stopped it with TERM (handled: the second "got TERM"), not a kill after 5 s
    assertEquals((await sk(["logs", "trap"])).stdout.split("got TERM").length, 3);

    // kill -s HUP reaches the process (pid 1 only gets signals it handles)
    const hup = await sk([
      "run",
      "-d",
      "--name",
      "hup",
      "busybox",
      "sh",
      "-c",
      "trap 'exit 4' HUP; echo ready; while true; do sleep 0.1; done",
    ]);
    assertEquals(hup.code, 0, hup.stderr);
    await until("hup ready", async () => (await sk(["logs", "hup"])).stdout.includes("ready"));
    assertEquals((await sk(["kill", "-s", "HUP", "hup"])).code, 0);
    assertEquals((await sk(["wait", "hup"])).stdout.trim(), "4");
    const again = await sk(["kill", "hup"]);
    assertEquals(again.code, 1);
    assertStringIncludes(again.stderr, "is not running");

    // not exiting on TERM: SIGKILL after the timeout
    const ign = await sk([
      "run",
      "-d",
      "--name",
      "ign",
      "busybox",
      "sh",
      "-c",
      "trap 'echo got TERM' TERM; echo ready; while true; do sleep 0.1; done",
    ]);
    assertEquals(ign.code, 0, ign.stderr);
    await until("ign ready", async () => (await sk(["logs", "ign"])).stdout.includes("ready"));
    const t0 = Date.now();
    assertEquals((await sk(["stop", "-t", "1", "ign"])).code, 0);
    // stop waits out its timeout (a lower bound, which load cannot break) ...
    const took = Date.now() - t0;
    assert(took >= 900, `stop -t 1 took ${took} ms`);
    // ... after TERM, which the container saw and outlived, then KILL ended it
    assertStringIncludes((await sk(["logs", "ign"])).stdout, "got TERM");
    assertEquals(await inspect(sk, "ign", "{{.State.ExitCode}}"), "137");
    // -t 1, not the default 10 s: TERM's arrival and the end, both on the monitor's clock
    // (a bound far from both, which a loaded test process cannot break)
    assert(await termToEnd(sk, "ign") < 6000, "stop -t 1 waited the default 10 s");

    // rm of a running container is refused, -f works
    const rm = await sk(["rm", "trap"]);
    assertEquals(rm.code, 1);
    assertStringIncludes(rm.stderr, "running");
    assertMatch(await psStatus(sk, "trap"), /^Up /);
    assertEquals((await sk(["rm", "-f", "trap"])).code, 0);
    assertEquals(await psStatus(sk, "trap"), "");
    // several targets: one report each, a failure does not stop the others
    const multi = await sk(["rm", "hup", "nosuch", "ign"]);
    assertEquals(multi.code, 1);
    assertEquals(multi.stdout.trim().split("\n"), ["hup", "ign"]);
    assertStringIncludes(multi.stderr, "nosuch");
  });
});

Deno.test("lifecycle: --rm, names, create then start", opts, async () => {
  await withBusyboxStore(async (_s, sk) => {
    const r = await sk(["run", "--rm", "--name", "gone", "busybox", "true"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(await psStatus(sk, "gone"), "");
    const d = await sk(["run", "-d", "--rm", "--name", "gone2", "busybox", "sleep", "0.2"]);
    assertEquals(d.code, 0, d.stderr);
    await until("--rm -d removal", async () => (await psStatus(sk, "gone2")) === "");

    assertEquals((await sk(["create", "--name", "n", "busybox", "echo", "hi"])).code, 0);
    assertMatch(await psStatus(sk, "n"), /^Created/);
    const dup = await sk(["run", "--name", "n", "busybox", "true"]);
    assertEquals(dup.code, 125);
    assertStringIncludes(dup.stderr, 'The container name "/n" is already in use');
    assertEquals((await sk(["start", "-a", "n"])).stdout, "hi\n");
    assertEquals((await sk(["rm", "n"])).code, 0);
    assertEquals((await sk(["run", "--name", "n", "busybox", "echo", "again"])).stdout, "again\n");
  });
});

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

/** The cgroup directories a container's launch plan lists. */
async function planCgroups(root: string, id: string): Promise<string[]> {
  const plan = await Deno.readTextFile(`${root}/containers/${id}/plan`);
  return plan.split("\n").filter((l) => l.startsWith("cgroup\t")).map((l) => l.slice(7));
}

Deno.test(
  "the monitor cleans up by itself: --rm leaves nothing, exits survive a reboot",
  opts,
  async () => {
    await withBusyboxStore(async (s, sk) => {
      // --rm: record, run directory, anonymous volume and cgroups all go, with no skiff process
      const d = await sk([
        "run",
        "-d",
        "--rm",
        "-v",
        "/data",
        "busybox",
        "sh",
        "-c",
        // runs on until the test has looked at it (it creates /data/go)
        "echo x > /data/f; while [ ! -e /data/go ]; do sleep 0.05; done",
      ]);
      assertEquals(d.code, 0, d.stderr);
      const id = d.stdout.trim();
      const plan = await Deno.readTextFile(`${s.root}/containers/${id}/plan`);
      assert(!/^cleanup\t/m.test(plan), "no clean-up command is run");
      assertStringIncludes(
        plan,
        `remove\t${s.root}/containers/${id}\t${s.root}/locks/names.lock\n`,
      );
      const cgroups = await planCgroups(s.root, id);
      assert(cgroups.length > 0);
      const volumes = [...Deno.readDirSync(`${s.root}/volumes`)].map((e) => e.name);
      assertEquals(volumes.length, 1);
      await Deno.writeTextFile(`${s.root}/volumes/${volumes[0]}/_data/go`, "");
      await until("--rm removal", async () => !(await exists(`${s.root}/containers/${id}`)));
      await until(
        "the monitor to finish",
        async () => !(await exists(`${s.runroot}/containers/${id}`)),
      );
      assertEquals([...Deno.readDirSync(`${s.root}/volumes`)], []);
      for (const c of cgroups) assert(!(await exists(c)), `${c} is removed`);
      assertEquals(await psStatus(sk, id), "");

      // without --rm: cgroups removed, the exit kept in the data root as well as the run root
      const k = await sk(["run", "-d", "--name", "keep", "busybox", "sh", "-c", "exit 5"]);
      assertEquals(k.code, 0, k.stderr);
      const kid = k.stdout.trim();
      const kCgroups = await planCgroups(s.root, kid);
      const runDir = `${s.runroot}/containers/${kid}`;
      await until("the monitor to finish", async () => !(await exists(`${runDir}/monitor.pid`)));
      for (const c of kCgroups) assert(!(await exists(c)), `${c} is removed`);
      const record = JSON.parse(await Deno.readTextFile(`${s.root}/containers/${kid}/exit.json`));
      assertEquals(record.exitCode, 5);
      // a reboot empties the run root before anything read the state
      await Deno.remove(runDir, { recursive: true });
      assertEquals(await inspect(sk, "keep", "{{.State.Status}} {{.State.ExitCode}}"), "exited 5");
      assertEquals((await sk(["container", "cleanup", "keep"])).code, 0);
      // a restart forgets the previous exit record
      assertEquals((await sk(["start", "-a", "keep"])).code, 5);
      assertEquals(await inspect(sk, "keep", "{{.State.ExitCode}}"), "5");
    });
  },
);

Deno.test("restart policies", opts, async () => {
  await withBusyboxStore(async (s, sk) => {
    const r = await sk([
      "run",
      "-d",
      "--name",
      "of",
      "--restart",
      "on-failure:2",
      "busybox",
      "sh",
      "-c",
      "echo run; exit 1",
    ]);
    assertEquals(r.code, 0, r.stderr);
    await until(
      "on-failure to give up",
      async () =>
        (await sk(["inspect", "-f", "{{.State.Status}} {{.RestartCount}}", "of"])).stdout.trim() ===
          "exited 2",
      20_000,
    );
    assertEquals(await inspect(sk, "of", "{{.State.ExitCode}}"), "1");
    assertEquals((await sk(["logs", "of"])).stdout, "run\nrun\nrun\n");
    // StartedAt is the last run's: after the back-offs (100 + 200 ms) that preceded it
    const [created, started, finished] = (await inspect(
      sk,
      "of",
      "{{.Created}} {{.State.StartedAt}} {{.State.FinishedAt}}",
    )).split(" ").map((t) => Date.parse(t));
    assert(started - created >= 300, `StartedAt ${started - created} ms after Created`);
    assert(finished >= started, "FinishedAt before StartedAt");

    const a = await sk([
      "run",
      "-d",
      "--name",
      "al",
      "--restart",
      "always",
      "busybox",
      "sh",
      "-c",
      "echo run; sleep 0.3",
    ]);
    assertEquals(a.code, 0, a.stderr);
    await until(
      "always to restart",
      async () => Number(await inspect(sk, "al", "{{.RestartCount}}")) >= 2,
      20_000,
    );
    const alId = await inspect(sk, "al", "{{.Id}}");
    assertEquals((await sk(["stop", "al"])).code, 0);
    // the command's own end (0), or the one before a back-off: not a kill after stop's timeout
    assertEquals(await inspect(sk, "al", "{{.State.ExitCode}}"), "0");
    const count = await inspect(sk, "al", "{{.RestartCount}}");
    // once its monitor is gone, nothing can start it again
    await until(
      "al's monitor to finish",
      async () => !(await exists(`${s.runroot}/containers/${alId}/monitor.pid`)),
    );
    assertEquals(await inspect(sk, "al", "{{.State.Status}}"), "exited");
    assertEquals(await inspect(sk, "al", "{{.RestartCount}}"), count);
  });
});

Deno.test(
  "robustness: concurrent runs, killed monitor, killed client, wiped run root",
  opts,
  async () => {
    await withBusyboxStore(async (s, sk) => {
      const runs = await Promise.all(
        Array.from({ length: 20 }, () => sk(["run", "--rm", "busybox", "true"])),
      );
      for (const r of runs) assertEquals(r.code, 0, r.stderr);
      assertEquals((await sk(["ps", "-aq"])).stdout.trim(), "");

      // kill -9 of the monitor: shown as exited, never running forever; the name is reusable
      const d = await sk(["run", "-d", "--name", "orphan", "busybox", "sleep", "100"]);
      assertEquals(d.code, 0, d.stderr);
      const pid = Number(await inspect(sk, "orphan", "{{.State.Pid}}"));
      const mpid = Number(
        (await Deno.readTextFile(`${s.runroot}/containers/${d.stdout.trim()}/monitor.pid`)).trim(),
      );
      Deno.kill(mpid, "SIGKILL");
      await until(
        "orphan to be exited",
        async () => (await psStatus(sk, "orphan")).startsWith("Exited"),
      );
      await until("the container's process to die", () => Promise.resolve(!alive(pid)));
      assertEquals((await sk(["rm", "orphan"])).code, 0);
      assertEquals((await sk(["run", "--rm", "--name", "orphan", "busybox", "true"])).code, 0);

      // killing `skiff run -d` or an attached `skiff run` never kills a detached container
      const child = new Deno.Command(SKIFF_BIN, {
        args: [
          "--root",
          s.root,
          "--runroot",
          s.runroot,
          "run",
          "--name",
          "fg",
          "busybox",
          "sleep",
          "100",
        ],
        stdout: "null",
        stderr: "null",
      }).spawn();
      await until("fg running", async () => (await psStatus(sk, "fg")).startsWith("Up"));
      const fgId = await inspect(sk, "fg", "{{.Id}}");
      const fgMonitor = Number(
        (await Deno.readTextFile(`${s.runroot}/containers/${fgId}/monitor.pid`)).trim(),
      );
      // the monitor holds its listening socket and, while the client is attached, its connection
      await until("the client to attach", async () => (await sockets(fgMonitor)) === 2);
      child.kill("SIGKILL");
      await child.status;
      await until("the monitor to see the client go", async () => (await sockets(fgMonitor)) === 1);
      assertMatch(await psStatus(sk, "fg"), /^Up/);
      assert(alive(Number(await inspect(sk, "fg", "{{.State.Pid}}"))), "fg's process is gone");

      // reboot: monitors gone, run root wiped
      const ids = [];
      for (const name of ["b1", "b2"]) {
        const r = await sk(["run", "-d", "--name", name, "busybox", "sleep", "100"]);
        assertEquals(r.code, 0, r.stderr);
        ids.push(r.stdout.trim());
      }
      for (const id of ids) {
        const m = Number(
          (await Deno.readTextFile(`${s.runroot}/containers/${id}/monitor.pid`)).trim(),
        );
        const p = Number((await Deno.readTextFile(`${s.runroot}/containers/${id}/pid`)).trim());
        Deno.kill(m, "SIGKILL");
        Deno.kill(p, "SIGKILL");
      }
      await Deno.remove(s.runroot, { recursive: true });
      await Deno.mkdir(s.runroot);
      assertMatch(await psStatus(sk, "b1"), /^Exited/);
      assertMatch(await psStatus(sk, "b2"), /^Exited/);
      // fg's monitor lives on with its run directory gone: it can still be removed
      const rmfg = await sk(["rm", "-f", "fg"]);
      assertEquals(rmfg.code, 0, rmfg.stderr);
      await until("fg's monitor to finish", () => Promise.resolve(!alive(fgMonitor)));
      assertEquals((await sk(["start", "b1"])).code, 0);
      assertMatch(await psStatus(sk, "b1"), /^Up/);
    });
  },
);

Deno.test(
  "robustness: rm -f of a container whose run was killed before it recorded the start",
  opts,
  async () => {
    await withBusyboxStore(async (s, sk) => {
      const d = await sk(["run", "-d", "--name", "half", "busybox", "sleep", "100"]);
      assertEquals(d.code, 0, d.stderr);
      const id = d.stdout.trim();
      const runDir = `${s.runroot}/containers/${id}`;
      const monitor = Number((await Deno.readTextFile(`${runDir}/monitor.pid`)).trim());
      const pid = Number((await Deno.readTextFile(`${runDir}/pid`)).trim());
      // What a `run` killed between starting the monitor and recording the start leaves: the
      // monitor and its container run, the state still says created.
      const statePath = `${s.root}/containers/${id}/state.json`;
      const state = JSON.parse(await Deno.readTextFile(statePath));
      await Deno.writeTextFile(
        statePath,
        JSON.stringify({
          ...state,
          Status: "created",
          Pid: 0,
          MonitorPid: 0,
          StartedAt: "0001-01-01T00:00:00Z",
        }) + "\n",
      );
      assertMatch(await psStatus(sk, "half"), /^Created/);
      // The monitor is held still for 3 s, so that its exit comes after rm's kill: rm
      // must wait for it instead of removing the run directory as the monitor writes into it.
      Deno.kill(monitor, "SIGSTOP");
      const resume = setTimeout(() => Deno.kill(monitor, "SIGCONT"), 3000);
      const rm = await sk(["rm", "-f", "half"]);
      clearTimeout(resume);
      try {
        Deno.kill(monitor, "SIGCONT"); // never left stopped, whatever rm did
      } catch {
        // gone: what rm -f must have waited for
      }
      assertEquals([rm.code, rm.stderr], [0, ""]);
      assertEquals(alive(monitor), false, "rm -f returned while the monitor still ran");
      // the monitor wrote the exit before the run directory went, never into a removed one
      assertEquals(existsOnHost(runDir), false, "the run directory came back");
      assertEquals(existsOnHost(`${s.root}/containers/${id}`), false);
      assertEquals(alive(pid), false, "the container's process still runs");
      assertEquals((await sk(["ps", "-aq"])).stdout, "");
    });
  },
);
