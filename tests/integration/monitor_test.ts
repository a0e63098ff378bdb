/**
 * The C monitor and exec helper on real containers (root): a busybox root file system built
 * here as the single lower layer, started through `startMonitor`, observed through the log,
 * the exit file, attach and exec.
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../helpers/assert.ts";
import {
  attach,
  execInContainer,
  monitorPath,
  startMonitor,
} from "../../src/runtime/monitor_client.ts";
import { type ExecPlan, serializeExecPlan, serializePlan } from "../../src/runtime/plan_format.ts";
import type { LaunchPlan, PlanProcess } from "../../src/runtime/plan.ts";
import { ExecError } from "../../src/errors.ts";
import { skipUnless } from "../helpers/requires.ts";
import { cgroupOf, testCgroup } from "../helpers/cgroups.ts";
import { until } from "../helpers/wait.ts";

const isRoot = Deno.uid() === 0;
const decoder = new TextDecoder();
const encoder = new TextEncoder();
const busybox = ["/bin/busybox", "/usr/bin/busybox"].find((p) => {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
});
const ignore = skipUnless(isRoot, busybox !== undefined);

let lowerDir: string | undefined;

/** One busybox layer shared by all tests (read-only lower directory). */
async function lower(): Promise<string> {
  if (lowerDir) return lowerDir;
  const dir = await Deno.makeTempDir({ prefix: "skiff-lower-" });
  for (const d of ["bin", "proc", "sys", "dev", "etc", "tmp", "data"]) {
    await Deno.mkdir(`${dir}/${d}`);
  }
  await Deno.copyFile(busybox!, `${dir}/bin/busybox`);
  await Deno.chmod(`${dir}/bin/busybox`, 0o755);
  const applets = [
    "sh",
    "echo",
    "cat",
    "sleep",
    "hostname",
    "id",
    "ls",
    "seq",
    "readlink",
    "ps",
    "true",
    "grep",
    "wc",
    "stty",
    "tty",
    "mkdir",
    "touch",
  ];
  for (const a of applets) await Deno.symlink("busybox", `${dir}/bin/${a}`);
  await Deno.writeTextFile(`${dir}/etc/secret`, "top secret\n");
  lowerDir = dir;
  globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
  return dir;
}

interface Container {
  plan: LaunchPlan;
  dir: string;
  stateDir: string;
  planPath: string;
  pid?: number;
}

function proc(args: string[], extra: Partial<PlanProcess> = {}): PlanProcess {
  return {
    args,
    env: ["PATH=/bin", "HOME=/"],
    cwd: "/",
    uid: 0,
    gid: 0,
    additionalGids: [],
    terminal: false,
    stdin: false,
    capabilities: ["CAP_CHOWN", "CAP_KILL", "CAP_SETUID", "CAP_SETGID", "CAP_NET_BIND_SERVICE"],
    noNewPrivileges: true,
    rlimits: [{ type: "nofile", soft: 1024, hard: 1024 }],
    ...extra,
  };
}

async function makeContainer(
  args: string[],
  options: {
    process?: Partial<PlanProcess>;
    cgroupPaths?: string[];
    waitForAttach?: boolean;
    restart?: LaunchPlan["restart"];
    networkHook?: string[];
    cleanupCommand?: string[];
  } = {},
): Promise<Container> {
  const dir = await Deno.makeTempDir({ prefix: "skiff-ctr-" });
  for (const d of ["upper", "work", "merged", "state"]) await Deno.mkdir(`${dir}/${d}`);
  const plan: LaunchPlan = {
    id: crypto.randomUUID().replaceAll("-", "").repeat(2),
    rootfs: {
      lowerdirs: [await lower()],
      upperdir: `${dir}/upper`,
      workdir: `${dir}/work`,
      target: `${dir}/merged`,
    },
    readonlyRoot: false,
    hostname: "testbox",
    process: proc(args, options.process),
    namespaces: ["pid", "mount", "uts", "ipc", "net", "cgroup"].map((type) => ({
      type: type as LaunchPlan["namespaces"][number]["type"],
    })),
    mounts: [
      {
        source: "proc",
        destination: "/proc",
        type: "proc",
        flags: ["nosuid", "noexec", "nodev"],
        data: "",
      },
      {
        source: "tmpfs",
        destination: "/dev",
        type: "tmpfs",
        flags: ["nosuid", "strictatime"],
        data: "mode=755,size=65536k",
      },
      {
        source: "devpts",
        destination: "/dev/pts",
        type: "devpts",
        flags: ["nosuid", "noexec"],
        data: "newinstance,ptmxmode=0666,mode=0620",
      },
      {
        source: "sysfs",
        destination: "/sys",
        type: "sysfs",
        flags: ["nosuid", "noexec", "nodev", "ro"],
        data: "",
      },
      {
        source: "cgroup",
        destination: "/sys/fs/cgroup",
        type: "cgroup",
        flags: ["nosuid", "noexec", "nodev", "relatime", "ro"],
        data: "",
      },
      {
        source: "tmpfs",
        destination: "/dev/shm",
        type: "tmpfs",
        flags: ["nosuid", "noexec", "nodev"],
        data: "mode=1777,size=65536k",
      },
    ],
    devices: [
      { path: "/dev/null", type: "c", major: 1, minor: 3, mode: 0o666, uid: 0, gid: 0 },
      { path: "/dev/zero", type: "c", major: 1, minor: 5, mode: 0o666, uid: 0, gid: 0 },
      { path: "/dev/urandom", type: "c", major: 1, minor: 9, mode: 0o666, uid: 0, gid: 0 },
    ],
    maskedPaths: ["/proc/kcore", "/proc/acpi", "/etc/secret", "/proc/does-not-exist"],
    readonlyPaths: ["/proc/sys", "/proc/sysrq-trigger"],
    cgroupPaths: options.cgroupPaths ?? [],
    uidMappings: [],
    gidMappings: [],
    state: { dir: `${dir}/state`, logPath: `${dir}/state/ctr.log`, stopSignal: "SIGTERM" },
    restart: options.restart ?? { policy: "no", maxRetries: 0 },
    networkHook: options.networkHook ?? [],
    cleanupCommand: options.cleanupCommand ?? [],
  };
  const planPath = `${dir}/plan`;
  await Deno.writeTextFile(planPath, serializePlan(plan, { waitForAttach: options.waitForAttach }));
  return { plan, dir, stateDir: `${dir}/state`, planPath };
}

/** Whether process `pid` exists and is not a zombie. */
function running(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

interface ExitFile {
  exitCode: number;
  exitedAt: string;
  oomKilled: boolean;
  error: string;
}

/** Waits for the monitor to finish (exit file written, monitor.pid removed). */
async function waitExit(c: Container, timeoutMs = 15000): Promise<ExitFile> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await exists(`${c.stateDir}/exit`) && !await exists(`${c.stateDir}/monitor.pid`)) {
      return JSON.parse(await Deno.readTextFile(`${c.stateDir}/exit`));
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`Container in ${c.dir} did not exit within ${timeoutMs} ms`);
}

async function cleanup(c: Container): Promise<void> {
  if (!c.pid) {
    await Deno.remove(c.dir, { recursive: true }).catch(() => {});
    return;
  }
  {
    try {
      Deno.kill(c.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  await waitExit(c).catch(() => {});
  await Deno.remove(c.dir, { recursive: true }).catch(() => {});
}

async function run(args: string[], options: Parameters<typeof makeContainer>[1] = {}) {
  const c = await makeContainer(args, options);
  try {
    c.pid = (await startMonitor(c.planPath)).pid;
    const exit = await waitExit(c);
    const log = await Deno.readTextFile(`${c.stateDir}/ctr.log`).catch(() => "");
    return { exit, log, c };
  } finally {
    await cleanup(c);
  }
}

/** The text of the log's records for one stream, joined back. */
function logText(log: string, stream: "stdout" | "stderr"): string {
  let out = "";
  for (const line of log.split("\n")) {
    const m = line.match(/^(\S+) (stdout|stderr) ([FP]) ([^\n]*)$/);
    if (!m || m[2] !== stream) continue;
    out += m[4] + (m[3] === "F" ? "\n" : "");
  }
  return out;
}

async function execCapture(plan: ExecPlan): Promise<{ code: number; out: string; err: string }> {
  const file = await Deno.makeTempFile({ prefix: "skiff-exec-test-" });
  try {
    await Deno.writeTextFile(file, serializeExecPlan(plan));
    const o = await new Deno.Command(monitorPath(), {
      args: ["exec", file],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: o.code, out: decoder.decode(o.stdout), err: decoder.decode(o.stderr) };
  } finally {
    await Deno.remove(file);
  }
}

const opts = { ignore, sanitizeResources: false, sanitizeOps: false };

Deno.test("monitor: exit codes 0 and 3 are recorded", opts, async () => {
  assertEquals((await run(["true"].map(() => "sh").concat(["-c", "exit 0"]))).exit.exitCode, 0);
  const r = await run(["sh", "-c", "exit 3"]);
  assertEquals(r.exit.exitCode, 3);
  assertEquals(r.exit.oomKilled, false);
  assertEquals(r.exit.error, "");
  assert(!Number.isNaN(Date.parse(r.exit.exitedAt)), `bad exitedAt ${r.exit.exitedAt}`);
});

Deno.test("monitor: SIGKILL gives 137", opts, async () => {
  const c = await makeContainer(["sleep", "60"]);
  try {
    c.pid = (await startMonitor(c.planPath)).pid;
    assertEquals(Number(await Deno.readTextFile(`${c.stateDir}/pid`)), c.pid);
    Deno.kill(c.pid, "SIGKILL");
    assertEquals((await waitExit(c)).exitCode, 137);
  } finally {
    await cleanup(c);
  }
});

Deno.test("monitor: stdout and stderr go to the k8s-file log", opts, async () => {
  const { log, exit } = await run([
    "sh",
    "-c",
    "echo out1; echo err1 >&2; printf partial; echo; echo out2",
  ]);
  assertEquals(exit.exitCode, 0);
  for (const line of log.trimEnd().split("\n")) {
    assert(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr) [FP] /.test(line),
      `bad line ${line}`,
    );
  }
  assertEquals(logText(log, "stdout"), "out1\npartial\nout2\n");
  assertEquals(logText(log, "stderr"), "err1\n");
});

Deno.test("monitor: hostname, pid 1 and masked paths", opts, async () => {
  const { log } = await run([
    "sh",
    "-c",
    "hostname; echo pid=$$; echo secret=$(cat /etc/secret); ls /proc/acpi 2>&1 | wc -l; " +
    "echo x > /proc/sys/kernel/hostname 2>/dev/null && echo writable || echo readonly",
  ]);
  const out = logText(log, "stdout");
  assertStringIncludes(out, "testbox\n");
  assertStringIncludes(out, "pid=1\n");
  assertStringIncludes(out, "secret=\n");
  assertStringIncludes(out, "readonly\n");
});

Deno.test("monitor: a missing command fails the start with 127", opts, async () => {
  const c = await makeContainer(["nosuchcmd"]);
  try {
    const err = await assertRejects(() => startMonitor(c.planPath), ExecError);
    assertEquals(err.exitCode, 127);
    assertStringIncludes(err.message, `exec: "nosuchcmd": executable file not found in $PATH`);
  } finally {
    await Deno.remove(c.dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("monitor: a bad mount fails the start with a one-line error", opts, async () => {
  const c = await makeContainer(["true"]);
  try {
    const text = (await Deno.readTextFile(c.planPath)).replace(
      `lower\t${await lower()}`,
      `lower\t${c.dir}/missing-layer`,
    );
    await Deno.writeTextFile(c.planPath, text);
    const err = await assertRejects(() => startMonitor(c.planPath), Error);
    assertStringIncludes(err.message, "mount overlay on");
  } finally {
    await Deno.remove(c.dir, { recursive: true }).catch(() => {});
  }
});

Deno.test(
  "monitor: attach with waitForAttach sees all output and the exit code",
  opts,
  async () => {
    const c = await makeContainer(["sh", "-c", "seq 1 2000; echo done >&2; exit 5"], {
      waitForAttach: true,
    });
    try {
      c.pid = (await startMonitor(c.planPath)).pid;
      // Held before its exec until attach comes (without waitForAttach the start returns only
      // once the command has been executed, and its first output would be lost).
      const held = await Deno.readTextFile(`/proc/${c.pid}/cmdline`);
      assert(!held.startsWith("sh\0"), `the command ran before attach: ${JSON.stringify(held)}`);
      let out = "", err = "";
      const code = await attach(`${c.stateDir}/attach`, {
        stdout: (b) => {
          out += decoder.decode(b, { stream: true });
        },
        stderr: (b) => {
          err += decoder.decode(b);
        },
      });
      assertEquals(code, 5);
      assertEquals(out, Array.from({ length: 2000 }, (_, i) => `${i + 1}\n`).join(""));
      assertEquals(err, "done\n");
      assertEquals((await waitExit(c)).exitCode, 5);
    } finally {
      await cleanup(c);
    }
  },
);

Deno.test("monitor: stdin through attach", opts, async () => {
  const c = await makeContainer(["cat"], { process: { stdin: true }, waitForAttach: true });
  try {
    c.pid = (await startMonitor(c.planPath)).pid;
    let out = "";
    const stdin = ReadableStream.from([encoder.encode("hello "), encoder.encode("world\n")]);
    const code = await attach(`${c.stateDir}/attach`, {
      stdin,
      stdout: (b) => {
        out += decoder.decode(b);
      },
      stderr: () => {},
    });
    assertEquals(code, 0);
    assertEquals(out, "hello world\n");
  } finally {
    await cleanup(c);
  }
});

Deno.test("monitor: the container is placed in its cgroup", opts, async () => {
  const cg = await testCgroup();
  const c = await makeContainer(["sleep", "60"], { cgroupPaths: cg.paths });
  try {
    c.pid = (await startMonitor(c.planPath)).pid;
    // every hierarchy (v1) or the one tree (v2) places it in its directory
    for (const controller of ["memory", "pids", "cpu", "freezer"]) {
      const dir = await cgroupOf(cg.mgr, c.pid, controller);
      assert(cg.paths.includes(dir), `${controller}: ${dir} is not one of ${cg.paths}`);
    }
    for (const p of cg.paths) {
      const procs = await Deno.readTextFile(`${p}/cgroup.procs`);
      assertEquals(procs.trim().split("\n").includes(String(c.pid)), true, p);
    }
  } finally {
    await cleanup(c);
    await cg.remove();
  }
});

Deno.test(
  "exec: joins the container's hostname and pid namespace; missing command is 127",
  opts,
  async () => {
    const c = await makeContainer(["sleep", "60"]);
    try {
      c.pid = (await startMonitor(c.planPath)).pid;
      const process = proc([
        "sh",
        "-c",
        "hostname; echo $$; readlink /proc/self/ns/pid; cat /proc/1/cmdline",
      ]);
      const r = await execCapture({ pid: c.pid, process, cgroupPaths: [], detach: false });
      assertEquals(r.code, 0, r.err);
      const [host, pid, ns, cmd] = r.out.split("\n");
      assertEquals(host, "testbox");
      assert(Number(pid) > 1 && Number(pid) < 100, `pid ${pid}`);
      assertEquals(ns, await Deno.readLink(`/proc/${c.pid}/ns/pid`));
      assertEquals(cmd, "sleep\x0060\x00");
      const code = await execCapture({
        pid: c.pid,
        process: proc(["sh", "-c", "exit 7"]),
        cgroupPaths: [],
        detach: false,
      });
      assertEquals(code.code, 7);
      const missing = await execCapture({
        pid: c.pid,
        process: proc(["nosuch"]),
        cgroupPaths: [],
        detach: false,
      });
      assertEquals(missing.code, 127);
      assertStringIncludes(
        missing.err,
        `OCI runtime exec failed: exec failed: unable to start container process: exec: "nosuch": executable file not found in $PATH`,
      );
      const viaClient = await execInContainer({
        pid: c.pid,
        process: proc(["sh", "-c", "exit 4"]),
        cgroupPaths: [],
        detach: false,
      });
      assertEquals(viaClient, 4);
    } finally {
      await cleanup(c);
    }
  },
);

Deno.test("exec: many sequential execs leave no process behind", opts, async () => {
  const c = await makeContainer(["sleep", "120"]);
  try {
    c.pid = (await startMonitor(c.planPath)).pid;
    const process = proc(["true"]);
    for (let i = 0; i < 1000; i++) {
      const r = await execCapture({ pid: c.pid, process, cgroupPaths: [], detach: false });
      assertEquals(r.code, 0, r.err);
    }
    const d = await execCapture({
      pid: c.pid,
      process: proc(["sleep", "1"]),
      cgroupPaths: [],
      detach: true,
    });
    assertEquals(d.code, 0);
    assertEquals(d.out + d.err, "");
    const ps = await execCapture({
      pid: c.pid,
      process: proc(["sh", "-c", "ls /proc | grep -c '^[0-9]'"]),
      cgroupPaths: [],
      detach: false,
    });
    // sleep 120, the detached sleep 1, and sh itself (ls and grep may be counted too)
    assertEquals(ps.code, 0, ps.err);
    assert(/^\d+$/.test(ps.out.trim()), `not a count: ${JSON.stringify(ps.out)}`);
    const count = Number(ps.out.trim());
    assert(count >= 2 && count <= 5, `processes in the container: ${ps.out}`);
    const children = await Deno.readTextFile(`/proc/${c.pid}/task/${c.pid}/children`).catch(() =>
      ""
    );
    assert(children.trim().split(/\s+/).filter(Boolean).length <= 1, `children: ${children}`);
  } finally {
    await cleanup(c);
  }
});

Deno.test("monitor: survives the death of the process that started it", opts, async () => {
  const c = await makeContainer(["sleep", "60"]);
  try {
    const starter = new Deno.Command("sh", {
      args: ["-c", `"${monitorPath()}" start "${c.planPath}" >/dev/null && exec sleep 60`],
      stdout: "null",
      stderr: "null",
    }).spawn();
    await until("the monitor to start", () => exists(`${c.stateDir}/pid`));
    const monitorPid = Number(await Deno.readTextFile(`${c.stateDir}/monitor.pid`));
    assert(monitorPid > 0, "monitor did not start");
    c.pid = Number(await Deno.readTextFile(`${c.stateDir}/pid`));
    starter.kill("SIGKILL");
    await starter.status;
    // Alive, not a zombie; and the exit file below, which only the monitor writes, shows that
    // it outlived its starter and saw the container's end.
    assert(running(monitorPid), "monitor died with its starter");
    assert(running(c.pid), "container died with its starter");
    const status = await Deno.readTextFile(`/proc/${monitorPid}/status`);
    const rss = Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
    assert(rss > 0 && rss < 2048, `monitor RSS ${rss} kB`);
    Deno.kill(c.pid, "SIGKILL"); // pid 1 without a handler ignores SIGTERM, as in Docker
    const exit = await waitExit(c);
    assertEquals(exit.exitCode, 137);
    await until("the monitor to exit", () => !running(monitorPid));
  } finally {
    await cleanup(c);
  }
});

Deno.test("monitor: capabilities, user and seccomp are applied", opts, async () => {
  const allow = Array.from({ length: 460 }, (_, i) => i).filter((n) => n !== 83 && n !== 258);
  const { log } = await run([
    "sh",
    "-c",
    "grep -E '^Cap(Bnd|Eff|Amb)|^NoNewPrivs' /proc/self/status; mkdir /tmp/x 2>&1; echo mkdir=$?",
  ], {
    process: { seccomp: { defaultErrno: 1, allow, conditional: [] } },
  });
  const out = logText(log, "stdout");
  assertStringIncludes(out, "CapBnd:\t00000000000004e1\n");
  assertStringIncludes(out, "CapEff:\t00000000000004e1\n");
  assertStringIncludes(out, "CapAmb:\t0000000000000000\n");
  assertStringIncludes(out, "NoNewPrivs:\t1\n");
  assertStringIncludes(out, "Operation not permitted");
  assertStringIncludes(out, "mkdir=1\n");
  const user = await run(["sh", "-c", "id -u; id -g; id -G; grep CapEff /proc/self/status"], {
    process: { uid: 1000, gid: 1000, additionalGids: [1000, 27] },
  });
  assertEquals(logText(user.log, "stdout"), "1000\n1000\n1000 27\nCapEff:\t0000000000000000\n");
});

Deno.test("monitor: terminal output through a pty, with resize", opts, async () => {
  // waits (20 s at most) for the resize sent on attach to reach its pty (stty fails quietly
  // on the 0x0 pty before it), then reports
  const script = 'i=0; while [ "$(stty size 2>/dev/null)" != "33 111" ] && [ $i -lt 400 ]; do ' +
    "sleep 0.05; i=$((i+1)); done; tty; stty size; echo err >&2";
  const c = await makeContainer(["sh", "-c", script], {
    process: { terminal: true, stdin: true },
    waitForAttach: true,
  });
  try {
    c.pid = (await startMonitor(c.planPath)).pid;
    let out = "";
    const code = await attach(`${c.stateDir}/attach`, {
      stdout: (b) => {
        out += decoder.decode(b);
      },
      stderr: () => {},
      onResize: (session) => void session.sendResize(33, 111),
    });
    assertEquals(code, 0);
    assertEquals(out, "/dev/pts/0\r\n33 111\r\nerr\r\n");
    assertStringIncludes(
      logText(await Deno.readTextFile(`${c.stateDir}/ctr.log`), "stdout"),
      "33 111",
    );
  } finally {
    await cleanup(c);
  }
});

Deno.test("monitor: on-failure restarts up to its limit, then records the exit", opts, async () => {
  const { exit, log } = await run(["sh", "-c", "echo run; exit 2"], {
    restart: { policy: "on-failure", maxRetries: 2 },
  });
  assertEquals(exit.exitCode, 2);
  assertEquals(logText(log, "stdout"), "run\nrun\nrun\n");
});

Deno.test("monitor: a stopping file suppresses the restart policy", opts, async () => {
  const c = await makeContainer(["sleep", "60"], { restart: { policy: "always", maxRetries: 0 } });
  try {
    c.pid = (await startMonitor(c.planPath)).pid;
    Deno.kill(c.pid, "SIGKILL"); // restarted
    let pid = c.pid;
    let sawNoPid = false; // in the back-off, no pid file names the dead (maybe reused) pid
    // polled every 20 ms to see the back-off; 20 s at most
    for (let i = 0; i < 1000 && (pid === c.pid || pid === 0); i++) {
      await new Promise((r) => setTimeout(r, 20));
      pid = Number(await Deno.readTextFile(`${c.stateDir}/pid`).catch(() => "0"));
      if (pid === 0) sawNoPid = true;
    }
    assert(pid !== c.pid && pid !== 0, "not restarted");
    assert(sawNoPid, "the dead process's pid stayed in the pid file during the back-off");
    assertEquals(await Deno.readTextFile(`${c.stateDir}/restarts`), "1");
    c.pid = pid;
    await Deno.writeTextFile(`${c.stateDir}/stopping`, "");
    Deno.kill(pid, "SIGKILL");
    assertEquals((await waitExit(c)).exitCode, 137);
  } finally {
    await cleanup(c);
  }
});

Deno.test("monitor: an OOM kill is reported", opts, async () => {
  const cg = await testCgroup({ memory: 16 << 20 });
  try {
    const { exit } = await run(["sh", "-c", "head -c 100000000 /dev/zero | tail -c 50000000"], {
      cgroupPaths: cg.paths,
    });
    assertEquals(exit.exitCode, 137);
    assertEquals(exit.oomKilled, true);
  } finally {
    await cg.remove();
  }
});

Deno.test("monitor: memory stays flat however much the container logs", opts, async () => {
  // a monitor whose container logs 300000 lines against one whose container logs two
  const loud = await makeContainer(["sh", "-c", "seq 1 300000; seq 1 1000 >&2; sleep 60"]);
  const quiet = await makeContainer(["sh", "-c", "echo 1; echo 1000 >&2; sleep 60"]);
  try {
    const peak = async (c: Container): Promise<number> => {
      c.pid = (await startMonitor(c.planPath)).pid;
      const monitorPid = Number(await Deno.readTextFile(`${c.stateDir}/monitor.pid`));
      await until(
        "all output in the log",
        async () =>
          logText(await Deno.readTextFile(`${c.stateDir}/ctr.log`), "stderr").endsWith("1000\n"),
      );
      const status = await Deno.readTextFile(`/proc/${monitorPid}/status`);
      return Number(status.match(/VmHWM:\s+(\d+)/)?.[1] ?? 0);
    };
    const loudPeak = await peak(loud);
    const quietPeak = await peak(quiet);
    const log = await Deno.readTextFile(`${loud.stateDir}/ctr.log`);
    assertEquals(logText(log, "stdout").split("\n").length, 300001);
    assert(quietPeak > 0, "no VmHWM for the quiet monitor");
    // about 2 MB went through the loud one: its peak grew by none of it (128 kB of slack
    // for buffers touched once)
    assert(
      loudPeak - quietPeak <= 128,
      `peak RSS ${loudPeak} kB after 300000 lines, ${quietPeak} kB after two`,
    );
  } finally {
    await cleanup(loud);
    await cleanup(quiet);
  }
});

Deno.test("exec: a terminal, and the container's cgroups", opts, async () => {
  const cg = await testCgroup();
  const c = await makeContainer(["sleep", "60"], { cgroupPaths: cg.paths });
  try {
    c.pid = (await startMonitor(c.planPath)).pid;
    // v1: the memory hierarchy's line; v2: the unified tree's (`0::`); both at the root of
    // the container's cgroup namespace
    const line = cg.mgr.version === 1 ? ":memory:" : "^0::";
    const r = await execCapture({
      pid: c.pid,
      process: proc(["sh", "-c", `tty; grep '${line}' /proc/self/cgroup`], { terminal: true }),
      cgroupPaths: [],
      detach: false,
    });
    assertEquals(r.code, 0, r.err);
    const want = cg.mgr.version === 1
      ? /^\/dev\/pts\/\d+\r\n\d+:memory:\/\r\n$/
      : /^\/dev\/pts\/\d+\r\n0::\/\r\n$/;
    assert(want.test(r.out), JSON.stringify(r.out));
  } finally {
    await cleanup(c);
    await cg.remove();
  }
});

Deno.test(
  "monitor: network hook gets the pid before release; cleanup runs at the end",
  opts,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "skiff-hooks-" });
    try {
      const hook = [
        "sh",
        "-c",
        `readlink /proc/$1/ns/net > ${dir}/hook; echo $1 > ${dir}/hookpid`,
        "hook",
      ];
      const cleanupCmd = ["sh", "-c", `echo cleaned > ${dir}/cleanup`];
      const { exit, c } = await run(["sh", "-c", "readlink /proc/self/ns/net"], {
        networkHook: hook,
        cleanupCommand: cleanupCmd,
      });
      assertEquals(exit.exitCode, 0);
      assertEquals(Number(await Deno.readTextFile(`${dir}/hookpid`)), c.pid);
      assertEquals(await Deno.readTextFile(`${dir}/cleanup`), "cleaned\n");
      assert((await Deno.readTextFile(`${dir}/hook`)).startsWith("net:["));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("monitor: a failing network hook fails the start", opts, async () => {
  const c = await makeContainer(["true"], { networkHook: ["sh", "-c", "exit 9"] });
  try {
    const err = await assertRejects(() => startMonitor(c.planPath), Error);
    assertStringIncludes(err.message, "sh exited with status 9");
  } finally {
    await cleanup(c);
  }
});

Deno.test("monitor: a namespace with a path is joined", opts, async () => {
  const a = await makeContainer(["sleep", "60"]);
  try {
    a.pid = (await startMonitor(a.planPath)).pid;
    const b = await makeContainer(["readlink", "/proc/self/ns/net"]);
    b.plan.namespaces = b.plan.namespaces.map((ns) =>
      ns.type === "net" ? { type: "net", path: `/proc/${a.pid}/ns/net` } : ns
    );
    await Deno.writeTextFile(b.planPath, serializePlan(b.plan));
    try {
      b.pid = (await startMonitor(b.planPath)).pid;
      assertEquals((await waitExit(b)).exitCode, 0);
      const log = await Deno.readTextFile(`${b.stateDir}/ctr.log`);
      assertEquals(logText(log, "stdout"), `${await Deno.readLink(`/proc/${a.pid}/ns/net`)}\n`);
    } finally {
      await cleanup(b);
    }
  } finally {
    await cleanup(a);
  }
});
