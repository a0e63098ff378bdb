import { assertEquals, assertThrows } from "../helpers/assert.ts";
import {
  escapeField,
  parseLine,
  serializeExecPlan,
  serializePlan,
} from "../../src/runtime/plan_format.ts";
import type { LaunchPlan } from "../../src/runtime/plan.ts";

function plan(): LaunchPlan {
  return {
    id: "a".repeat(64),
    rootfs: { lowerdirs: ["/l/2", "/l/1"], upperdir: "/u", workdir: "/w", target: "/m" },
    readonlyRoot: false,
    hostname: "box",
    process: {
      args: ["sh", "-c", "echo a\tb\nc \\ d"],
      env: ["PATH=/bin"],
      cwd: "/",
      uid: 0,
      gid: 0,
      additionalGids: [10],
      terminal: false,
      stdin: true,
      capabilities: ["CAP_CHOWN"],
      noNewPrivileges: true,
      seccomp: {
        defaultErrno: 1,
        allow: Array.from({ length: 40 }, (_, i) => i),
        conditional: [{ nr: 135, arg: 0, op: "eq", value: 0 }],
      },
      rlimits: [{ type: "nofile", soft: 1024, hard: 2048 }],
      oomScoreAdj: 5,
    },
    namespaces: [{ type: "pid" }, { type: "net", path: "/run/netns/x" }],
    mounts: [{
      source: "tmpfs",
      destination: "/dev",
      type: "tmpfs",
      flags: ["nosuid", "strictatime"],
      data: "mode=755",
    }, {
      source: "/v/_data",
      destination: "/mnt",
      type: "bind",
      flags: ["rbind", "rprivate"],
      data: "",
      subpath: "a/b",
    }],
    devices: [{ path: "/dev/null", type: "c", major: 1, minor: 3, mode: 0o666, uid: 0, gid: 0 }],
    maskedPaths: ["/proc/kcore"],
    readonlyPaths: ["/proc/sys"],
    cgroupPaths: ["/sys/fs/cgroup/memory/skiff/x"],
    uidMappings: ["0 100000 65536"],
    gidMappings: [],
    state: { dir: "/run/skiff/containers/x", logPath: "/x/ctr.log", stopSignal: "SIGTERM" },
    restart: { policy: "on-failure", maxRetries: 3 },
    networkHook: [],
    cleanupCommand: ["skiff", "cleanup", "x"],
  };
}

Deno.test("escapeField and parseLine round-trip tabs, newlines and backslashes", () => {
  const values = ["plain", "a\tb", "line\nbreak", "back\\slash", "\\t literal", ""];
  const line = values.map(escapeField).join("\t");
  assertEquals(line.includes("\n"), false);
  assertEquals(parseLine(line), values);
});

Deno.test("escapeField rejects NUL", () => {
  assertThrows(() => escapeField("a\0b"), Error);
});

Deno.test("serializePlan writes the header and directives in order", () => {
  const text = serializePlan(plan(), { waitForAttach: true });
  const lines = text.trimEnd().split("\n").map(parseLine);
  assertEquals(lines[0], ["skiff-plan", "1"]);
  const get = (d: string) => lines.filter((l) => l[0] === d).map((l) => l.slice(1));
  assertEquals(get("lower"), [["/l/2"], ["/l/1"]]);
  assertEquals(get("arg"), [["sh"], ["-c"], ["echo a\tb\nc \\ d"]]);
  assertEquals(get("user"), [["0", "0"]]);
  assertEquals(get("group"), [["10"]]);
  assertEquals(get("stdin"), [["1"]]);
  assertEquals(get("seccomp"), [["1"]]);
  assertEquals(get("seccomp-allow").flat().length, 40);
  assertEquals(get("seccomp-cond"), [["135", "0", "eq", "0", "0"]]);
  assertEquals(get("rlimit"), [["nofile", "1024", "2048"]]);
  assertEquals(get("namespace"), [["pid"], ["net", "/run/netns/x"]]);
  assertEquals(get("mount"), [
    ["tmpfs", "/dev", "tmpfs", "nosuid,strictatime", "mode=755"],
    ["/v/_data", "/mnt", "bind", "rbind,rprivate", "", "a/b"],
  ]);
  assertEquals(get("device"), [["/dev/null", "c", "1", "3", "438", "0", "0"]]);
  assertEquals(get("uid-map"), [["0", "100000", "65536"]]);
  assertEquals(get("restart"), [["on-failure", "3"]]);
  assertEquals(get("network-hook"), []);
  assertEquals(get("cleanup"), [["skiff", "cleanup", "x"]]);
  assertEquals(get("wait-for-attach"), [["1"]]);
});

Deno.test("serializePlan rejects an empty command and bad id maps", () => {
  const p = plan();
  p.process.args = [];
  assertThrows(() => serializePlan(p), Error);
  const q = plan();
  q.uidMappings = ["0 1"];
  assertThrows(() => serializePlan(q), Error);
});

Deno.test("serializePlan writes the monitor's exit actions in order", () => {
  const p = plan();
  p.exitActions = {
    removeCgroups: true,
    netnsRelease: ["/run/skiff/containers/x/netns"],
    exitRecord: "/var/lib/skiff/containers/x/exit.json",
    remove: [
      { path: "/var/lib/skiff/containers/x", lock: "/var/lib/skiff/locks/names.lock" },
      { path: "/run/skiff/containers/x" },
    ],
  };
  delete p.cleanupCommand;
  const lines = serializePlan(p).trimEnd().split("\n").map(parseLine);
  const get = (d: string) => lines.filter((l) => l[0] === d).map((l) => l.slice(1));
  assertEquals(get("netns-release"), [["/run/skiff/containers/x/netns"]]);
  assertEquals(get("remove-cgroups"), [["1"]]);
  assertEquals(get("exit-record"), [["/var/lib/skiff/containers/x/exit.json"]]);
  assertEquals(get("remove"), [
    ["/var/lib/skiff/containers/x", "/var/lib/skiff/locks/names.lock"],
    ["/run/skiff/containers/x"],
  ]);
  assertEquals(get("cleanup"), []);
  p.exitActions.remove = [{ path: "relative" }];
  assertThrows(() => serializePlan(p), Error);
  p.exitActions.remove = [];
  p.exitActions.netnsRelease = ["netns"];
  assertThrows(() => serializePlan(p), Error);
});

Deno.test("serializeExecPlan names the pid and detach", () => {
  const p = plan();
  const text = serializeExecPlan({ pid: 42, process: p.process, cgroupPaths: [], detach: true });
  const lines = text.trimEnd().split("\n").map(parseLine);
  assertEquals(lines[1], ["exec-pid", "42"]);
  assertEquals(lines.at(-1), ["detach", "1"]);
});

Deno.test("serializePlan writes per-syscall errno rules (clone3 gets ENOSYS)", () => {
  const p = plan();
  p.process.seccomp = {
    defaultErrno: 1,
    allow: [0, 1],
    conditional: [],
    errnoRules: [{ nr: 435, errno: 38 }],
  };
  const lines = serializePlan(p).split("\n");
  assertEquals(lines.includes("seccomp-errno\t435\t38"), true);
});

Deno.test("serializePlan: the health schedule and the log driver", () => {
  const lines = (p: LaunchPlan) => serializePlan(p).split("\n");
  const text = lines({
    ...plan(),
    health: { intervalMs: 200, startPeriodMs: 1000, startIntervalMs: 50, command: ["sk", "x"] },
    log: { driver: "json-file", maxSize: 1000, maxFile: 3 },
  });
  assertEquals(text.includes("health\t200\t1000\t50\tsk\tx"), true);
  assertEquals(text.includes("log-path\t/x/ctr.log"), true);
  assertEquals(text.includes("log-driver\tjson-file"), true);
  assertEquals(text.includes("log-rotate\t1000\t3"), true);
  // the default: a k8s-file log, no driver line, no health line
  const plain = lines(plan());
  assertEquals(plain.filter((l) => /^(health|log-driver|log-rotate)\t/.test(l)), []);
  assertEquals(plain.includes("log-path\t/x/ctr.log"), true);
  // none: no log file at all; journald: its socket and tag
  const none = lines({ ...plan(), log: { driver: "none" } });
  assertEquals(none.some((l) => l.startsWith("log-")), false);
  const journal = lines({
    ...plan(),
    log: { driver: "journald", journalSocket: "/run/j", tag: "web" },
  });
  assertEquals(journal.filter((l) => l.startsWith("log-")), [
    "log-driver\tjournald\t/run/j",
    "log-tag\tweb",
  ]);
});
