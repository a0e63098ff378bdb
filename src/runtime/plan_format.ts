/**
 * The text format the C monitor reads (`ffi/src/plan.c`): a `skiff-plan\t1` header, then one
 * directive a line: a word and tab-separated fields, with backslash, tab and newline escaped
 * as `\\`, `\t` and `\n`. Repeated directives (`arg`, `env`, `mount`...) keep their order.
 *
 * | directive | fields |
 * | --- | --- |
 * | `id`, `hostname`, `domainname` (only when set), `cwd`, `state-dir`, `log-path`, `stop-signal` | value |
 * | `lower` (repeated, top first), `upper`, `work`, `target` | directory |
 * | `readonly-root`, `terminal`, `stdin`, `no-new-privileges`, `wait-for-attach`, `detach` | 0 or 1 |
 * | `arg`, `env` (repeated) | value |
 * | `user` | uid gid |
 * | `group` (repeated) | additional gid |
 * | `cap` (repeated) | capability name |
 * | `seccomp` | default errno (its presence enables the filter) |
 * | `seccomp-allow` (repeated) | syscall numbers |
 * | `seccomp-cond` (repeated, ORed) | nr arg eq or maskedEq value mask |
 * | `seccomp-errno` (repeated) | nr errno: the syscall fails with this errno |
 * | `rlimit` | name soft hard |
 * | `oom-score-adj` | value |
 * | `namespace` | type [path to join] |
 * | `mount` | source destination type comma-separated-flags data [subpath beneath source] |
 * | `device` | path c or b major minor mode uid gid |
 * | `sysctl` (repeated) | path under /proc/sys ("net/ipv4/ip_forward") and value, written in the container |
 * | `masked`, `readonly-path`, `cgroup` (repeated) | path |
 * | `uid-map`, `gid-map` (repeated) | containerId hostId size |
 * | `restart` | no, on-failure, always or unless-stopped; max retries |
 * | `network-hook`, `cleanup` | argv (the hook gets the pid appended) |
 * | `health` | interval-ms start-period-ms start-interval-ms argv (run on that schedule) |
 * | `health-deadline` | ms after which a running check is killed with its process group |
 * | `log-driver` | k8s-file (default), json-file, or journald and its socket (no `log-path`: no log) |
 * | `log-rotate` | max-size max-file: the log file is rotated by size |
 * | `log-tag` | journald's tag; json-file's tag, JSON-escaped (Docker's attrs) |
 * | `remove-cgroups` | 0 or 1: rmdir the `cgroup` paths after the last exit |
 * | `netns-release` (repeated) | namespace file unmounted and removed first after the last exit |
 * | `exit-record` | path of the persistent copy of the exit file |
 * | `remove` (repeated, in order) | path removed recursively after the last exit; [lock file held meanwhile] |
 * | `exec-pid` (exec plans) | pid whose namespaces are joined |
 * | `detach-keys` (exec plans) | the bytes that detach from a pty with stdin (at most 16) |
 * | `die-event` | event log path, event template path (container_events.ts) |
 *
 * @example
 * ```ts ignore
 * await Deno.writeTextFile(`${bundle}/plan`, serializePlan(plan, { waitForAttach: true }));
 * ```
 */
import type { LaunchPlan, PlanProcess } from "./plan.ts";

/** A process to start inside a running container (`skiff exec`). */
export interface ExecPlan {
  /** Host pid of the container's first process, whose namespaces are joined. */
  pid: number;
  process: PlanProcess;
  /** cgroup directories to join; empty: those of `pid`, read from /proc/<pid>/cgroup. */
  cgroupPaths: string[];
  /** Start and return at once (exec -d); the process is reparented inside the container. */
  detach: boolean;
  /** With a pty and stdin: the keys that detach (default ctrl-p ctrl-q), as bytes. */
  detachKeys?: number[];
}

/** Options of the launch plan that are not part of the container's configuration. */
export interface SerializeOptions {
  /** Hold the process before exec until the first attach client connects (foreground run). */
  waitForAttach?: boolean;
}

/** Escapes one field; NUL cannot be passed to C and is rejected. */
export function escapeField(value: string): string {
  if (value.includes("\0")) {
    throw new Error(`Plan field contains a NUL byte: ${JSON.stringify(value)}`);
  }
  return value.replace(/[\\\t\n]/g, (c) => (c === "\\" ? "\\\\" : c === "\t" ? "\\t" : "\\n"));
}

/** Splits one line back into unescaped fields (the inverse of the writer; for tests and tools). */
export function parseLine(line: string): string[] {
  return line.split("\t").map((f) =>
    f.replace(/\\(.)/g, (_, c: string) => (c === "t" ? "\t" : c === "n" ? "\n" : c))
  );
}

class Writer {
  lines: string[] = ["skiff-plan\t1"];
  add(directive: string, ...fields: (string | number | boolean)[]): void {
    const out = fields.map((f) =>
      typeof f === "boolean" ? (f ? "1" : "0") : escapeField(String(f))
    );
    this.lines.push([directive, ...out].join("\t"));
  }
  text(): string {
    return this.lines.join("\n") + "\n";
  }
}

function int(value: number, what: string): number {
  if (!Number.isSafeInteger(value)) {
    throw new Error(`Expected an integer for ${what}, found ${value}`);
  }
  return value;
}

function writeProcess(w: Writer, p: PlanProcess): void {
  if (p.args.length === 0) throw new Error("Expected a command to run, found none");
  for (const a of p.args) w.add("arg", a);
  for (const e of p.env) w.add("env", e);
  w.add("cwd", p.cwd || "/");
  w.add("user", int(p.uid, "uid"), int(p.gid, "gid"));
  for (const g of p.additionalGids) w.add("group", int(g, "additional gid"));
  w.add("terminal", p.terminal);
  w.add("stdin", p.stdin);
  for (const c of p.capabilities) w.add("cap", c);
  w.add("no-new-privileges", p.noNewPrivileges);
  if (p.seccomp) {
    w.add("seccomp", int(p.seccomp.defaultErrno, "seccomp defaultErrno"));
    for (let i = 0; i < p.seccomp.allow.length; i += 32) {
      w.add("seccomp-allow", ...p.seccomp.allow.slice(i, i + 32).map((n) => int(n, "syscall")));
    }
    for (const e of p.seccomp.errnoRules ?? []) {
      w.add("seccomp-errno", int(e.nr, "syscall"), int(e.errno, "errno"));
    }
    for (const c of p.seccomp.conditional) {
      w.add("seccomp-cond", c.nr, c.arg, c.op, c.value, c.mask ?? 0);
    }
  }
  for (const r of p.rlimits) w.add("rlimit", r.type, r.soft, r.hard);
  if (p.oomScoreAdj !== undefined) w.add("oom-score-adj", int(p.oomScoreAdj, "oomScoreAdj"));
}

function splitMap(line: string): string[] {
  const parts = line.trim().split(/\s+/);
  if (parts.length !== 3) throw new Error(`Expected "containerId hostId size", found "${line}"`);
  return parts;
}

/** The log directives: none keeps no file; journald names its socket; files may rotate. */
function writeLog(w: Writer, plan: LaunchPlan): void {
  const log = plan.log ?? { driver: "k8s-file" };
  if (log.driver === "none") return;
  if (log.driver === "journald") {
    if (!log.journalSocket) throw new Error("Expected journald's socket, found none");
    w.add("log-driver", "journald", log.journalSocket);
    if (log.tag) w.add("log-tag", log.tag);
    return;
  }
  w.add("log-path", plan.state.logPath);
  if (log.driver !== "k8s-file") w.add("log-driver", log.driver);
  if (log.maxSize) {
    w.add("log-rotate", int(log.maxSize, "max-size"), int(log.maxFile ?? 1, "max-file"));
  }
  if (log.driver === "json-file" && log.tag) w.add("log-tag", log.tag);
}

/** Serializes a launch plan for `skiff-monitor start`. */
export function serializePlan(plan: LaunchPlan, options: SerializeOptions = {}): string {
  const w = new Writer();
  w.add("id", plan.id);
  for (const l of plan.rootfs.lowerdirs) w.add("lower", l);
  w.add("upper", plan.rootfs.upperdir);
  w.add("work", plan.rootfs.workdir);
  w.add("target", plan.rootfs.target);
  w.add("readonly-root", plan.readonlyRoot);
  w.add("hostname", plan.hostname);
  if (plan.domainname) w.add("domainname", plan.domainname);
  writeProcess(w, plan.process);
  for (const ns of plan.namespaces) {
    if (ns.path) w.add("namespace", ns.type, ns.path);
    else w.add("namespace", ns.type);
  }
  for (const m of plan.mounts) {
    if (m.subpath) {
      w.add("mount", m.source, m.destination, m.type, m.flags.join(","), m.data, m.subpath);
    } else w.add("mount", m.source, m.destination, m.type, m.flags.join(","), m.data);
  }
  for (const d of plan.devices) {
    w.add("device", d.path, d.type, d.major, d.minor, d.mode, d.uid, d.gid);
  }
  for (const x of plan.sysctls ?? []) w.add("sysctl", x.path, x.value);
  for (const p of plan.maskedPaths) w.add("masked", p);
  for (const p of plan.readonlyPaths) w.add("readonly-path", p);
  for (const c of plan.cgroupPaths) w.add("cgroup", c);
  for (const m of plan.uidMappings) w.add("uid-map", ...splitMap(m));
  for (const m of plan.gidMappings) w.add("gid-map", ...splitMap(m));
  w.add("state-dir", plan.state.dir);
  writeLog(w, plan);
  w.add("stop-signal", plan.state.stopSignal);
  w.add("restart", plan.restart.policy, int(plan.restart.maxRetries, "maxRetries"));
  if (plan.networkHook.length > 0) w.add("network-hook", ...plan.networkHook);
  if (plan.health) {
    const h = plan.health;
    if (h.command.length === 0) throw new Error("Expected a health command, found none");
    w.add(
      "health",
      int(h.intervalMs, "health interval"),
      int(h.startPeriodMs, "health start period"),
      int(h.startIntervalMs, "health start interval"),
      ...h.command,
    );
    if (h.deadlineMs) w.add("health-deadline", int(h.deadlineMs, "health deadline"));
  }
  const cleanup = plan.cleanupCommand ?? [];
  if (cleanup.length > 0) w.add("cleanup", ...cleanup);
  const exit = plan.exitActions;
  if (exit) {
    for (const ns of exit.netnsRelease ?? []) {
      if (!ns.startsWith("/")) throw new Error(`Expected an absolute netns path, found "${ns}"`);
      w.add("netns-release", ns);
    }
    w.add("remove-cgroups", exit.removeCgroups);
    if (exit.exitRecord) w.add("exit-record", exit.exitRecord);
    for (const r of exit.remove) {
      if (!r.path.startsWith("/")) {
        throw new Error(`Expected an absolute path to remove, found "${r.path}"`);
      }
      if (r.ifContent) w.add("remove", r.path, r.lock ?? "", r.ifContent);
      else if (r.lock) w.add("remove", r.path, r.lock);
      else w.add("remove", r.path);
    }
  }
  if (plan.dieEvent) {
    w.add("die-event", plan.dieEvent.log, plan.dieEvent.template);
  }
  w.add("wait-for-attach", options.waitForAttach ?? false);
  return w.text();
}

/** Serializes an exec plan for `skiff-monitor exec`. */
export function serializeExecPlan(plan: ExecPlan): string {
  const w = new Writer();
  w.add("exec-pid", int(plan.pid, "pid"));
  writeProcess(w, plan.process);
  for (const c of plan.cgroupPaths) w.add("cgroup", c);
  w.add("detach", plan.detach);
  if (plan.detachKeys?.length) w.add("detach-keys", ...plan.detachKeys);
  return w.text();
}
