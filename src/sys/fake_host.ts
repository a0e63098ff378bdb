/**
 * A recording fake of the host seam for unit tests (never imported by production code):
 * an in-memory file tree, a process table behind a synthesized /proc, a clock that moves
 * only when something sleeps, and a record of every signal, process run and write. It can
 * be told to fail any operation on any path.
 */
import type { DeviceRule } from "./cgroup_devices.ts";
import type {
  Host,
  HostCommand,
  HostCommandResult,
  HostDevice,
  HostDirEntry,
  HostFileInfo,
} from "./host.ts";

/** A process in the fake's table. */
export interface FakeProcess {
  /** Field 22 of /proc/PID/stat. */
  startTime: string;
  /** The text of /proc/PID/cgroup (default: the root cgroup). */
  cgroup?: string;
  /** A zombie shows "Z" in /proc/PID/stat. */
  zombie?: boolean;
  /** Signals it survives (SIGKILL is never survived). Default: none, any signal ends it. */
  ignores?: string[];
}

/** A signal the fake was asked to send. */
export interface SentSignal {
  pid: number;
  signal: string;
  /** The fake clock when it was sent. */
  at: number;
}

/** A program the fake was asked to run. */
export interface RanCommand {
  program: string;
  command: HostCommand;
}

/** Options of the fake. */
export interface FakeHostOptions {
  /** Files a new directory gets (a cgroup directory's kernel files). */
  dirTemplate?: (dir: string) => Record<string, string>;
  /** The clock's start, ms (default 1_700_000_000_000). */
  now?: number;
}

type Op = keyof Host;

function notFound(path: string): Deno.errors.NotFound {
  return new Deno.errors.NotFound(`No such file or directory (os error 2): ${path}`);
}

function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

/**
 * The fake host.
 *
 * @example
 * ```ts
 * const host = new FakeHost();
 * host.addProcess(42, { startTime: "100", ignores: ["SIGTERM"] });
 * host.kill(42, "SIGTERM"); // recorded, survived
 * host.kill(42, "SIGKILL"); // recorded, gone
 * ```
 */
export class FakeHost implements Host {
  /** Files by absolute path. */
  files = new Map<string, string>();
  /** The host's device nodes (what `deviceNodes` lists). */
  devices: HostDevice[] = [];
  /** Directories by absolute path. */
  dirs = new Set<string>(["/", "/tmp"]);
  /** Every writeTextFile, in order: [path, data]. */
  writes: [string, string][] = [];
  /** Every path removed, in order. */
  removed: string[] = [];
  /** The process table. */
  processes = new Map<number, FakeProcess>();
  /** Every signal sent, in order. */
  signals: SentSignal[] = [];
  /** Every program run, in order. */
  runs: RanCommand[] = [];
  /** Every lock taken, in order. */
  locks: string[] = [];
  /** Every device node made: [path, mode, major, minor]. */
  nodes: [string, number, number, number][] = [];
  /** The device rules attached to each v2 cgroup directory. */
  deviceRules = new Map<string, readonly DeviceRule[]>();
  /** What uid() answers (default root). */
  userId = 0;
  /** Called when a process ends by a signal (after it left the table). */
  onExit?: (pid: number, signal: string) => void;
  /** Answers a program run (default: success, no output). */
  onRun?: (
    program: string,
    command: HostCommand,
  ) => Partial<HostCommandResult> | Promise<Partial<HostCommandResult>>;
  #clock: number;
  #mtimes = new Map<string, number>();
  #failures: { op: Op; path?: string | RegExp; error: Error }[] = [];
  #lockChains = new Map<string, Promise<unknown>>();
  #temp = 0;
  #template: (dir: string) => Record<string, string>;

  constructor(options: FakeHostOptions = {}) {
    this.#template = options.dirTemplate ?? (() => ({}));
    this.#clock = options.now ?? 1_700_000_000_000;
  }

  // ---- setting the scene ----

  /** Creates a directory (and parents) with the template's files and `files`. */
  addDir(path: string, files?: Record<string, string>): void {
    const parts = path.split("/").filter((s) => s !== "");
    for (let i = 1; i <= parts.length; i++) {
      const p = "/" + parts.slice(0, i).join("/");
      if (this.dirs.has(p)) continue;
      this.dirs.add(p);
      for (const [name, value] of Object.entries(this.#template(p))) {
        this.files.set(`${p}/${name}`, value);
      }
    }
    for (const [name, value] of Object.entries(files ?? {})) {
      this.files.set(`${path}/${name}`, value);
    }
  }

  /** Creates a file (and its parent directories). */
  addFile(path: string, data: string): void {
    this.addDir(parentOf(path));
    this.files.set(path, data);
    this.#mtimes.set(path, this.#clock);
  }

  /** Puts a process in the table. */
  addProcess(pid: number, process: FakeProcess): void {
    this.processes.set(pid, process);
  }

  /** Makes every later `op` on a matching path (any path when absent) reject with `error`. */
  fail(op: Op, path?: string | RegExp, error: Error = new Error(`${op} failed (fake)`)): void {
    this.#failures.push({ op, path, error });
  }

  /** Moves the clock on. */
  advance(ms: number): void {
    this.#clock += ms;
  }

  /** A file's text, or undefined. */
  file(path: string): string | undefined {
    return this.files.get(path);
  }

  #check(op: Op, path = ""): void {
    for (const f of this.#failures) {
      if (f.op !== op) continue;
      if (
        f.path === undefined || (typeof f.path === "string" ? f.path === path : f.path.test(path))
      ) {
        throw f.error;
      }
    }
  }

  #procFile(path: string): string | undefined {
    const m = /^\/proc\/(\d+)\/(stat|cgroup)$/.exec(path);
    if (!m) return undefined;
    const p = this.processes.get(Number(m[1]));
    if (!p) throw notFound(path);
    if (m[2] === "cgroup") return p.cgroup ?? "0::/\n";
    const fields = [p.zombie ? "Z" : "S", ...Array(18).fill("0"), p.startTime, "0"];
    return `${m[1]} (fake) ${fields.join(" ")}\n`;
  }

  // ---- files ----

  /** Reads a file, or /proc/PID/stat and /proc/PID/cgroup of the process table. */
  readTextFile(path: string): Promise<string> {
    try {
      this.#check("readTextFile", path);
      const proc = this.#procFile(path);
      if (proc !== undefined) return Promise.resolve(proc);
      const v = this.files.get(path);
      if (v === undefined) throw notFound(path);
      return Promise.resolve(v);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Writes a file whose directory exists (`create: false`: only an existing file). */
  writeTextFile(
    path: string,
    data: string,
    options: { mode?: number; create?: boolean; createNew?: boolean } = {},
  ): Promise<void> {
    try {
      this.#check("writeTextFile", path);
      const exists = this.files.has(path);
      if (options.create === false && !exists) throw notFound(path);
      if (options.createNew && exists) {
        throw new Deno.errors.AlreadyExists(`File exists (os error 17): ${path}`);
      }
      if (!this.dirs.has(parentOf(path))) throw notFound(path);
      this.files.set(path, data);
      this.#mtimes.set(path, this.#clock);
      this.writes.push([path, data]);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Writes a file whose directory exists, at once. */
  writeFileAtomic(path: string, data: string): Promise<void> {
    try {
      this.#check("writeFileAtomic", path);
      if (!this.dirs.has(parentOf(path))) throw notFound(path);
      this.files.set(path, data);
      this.#mtimes.set(path, this.#clock);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Creates a directory with the template's files (`recursive`: parents too, no error if it exists). */
  mkdir(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    try {
      this.#check("mkdir", path);
      if (this.dirs.has(path) || this.files.has(path)) {
        if (options.recursive && this.dirs.has(path)) return Promise.resolve();
        throw new Deno.errors.AlreadyExists(`File exists (os error 17): ${path}`);
      }
      if (!options.recursive && !this.dirs.has(parentOf(path))) throw notFound(path);
      this.addDir(path);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Removes a file, or a directory with its files as cgroupfs does (Busy while its
   * cgroup.procs lists a process or it has subdirectories), or with `recursive` a tree.
   */
  remove(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    try {
      this.#check("remove", path);
      if (this.files.delete(path)) {
        this.removed.push(path);
        return Promise.resolve();
      }
      if (!this.dirs.has(path)) throw notFound(path);
      const under = (p: string) => p.startsWith(path + "/");
      if (!options.recursive) {
        if ((this.files.get(`${path}/cgroup.procs`) ?? "").trim() !== "") {
          throw new Deno.errors.Busy(`Device or resource busy (os error 16): ${path}`);
        }
        if ([...this.dirs].some(under)) {
          throw new Deno.errors.Busy(`Device or resource busy (os error 16): ${path}`);
        }
      }
      for (const d of [...this.dirs]) if (d === path || under(d)) this.dirs.delete(d);
      for (const f of [...this.files.keys()]) if (under(f)) this.files.delete(f);
      this.removed.push(path);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Renames a file. */
  rename(from: string, to: string): Promise<void> {
    try {
      this.#check("rename", from);
      if (!this.dirs.has(parentOf(to))) throw notFound(to);
      if (this.dirs.has(from)) {
        // a directory: the whole subtree moves
        const moved = (p: string) => p === from || p.startsWith(`${from}/`);
        for (const d of [...this.dirs].filter(moved)) {
          this.dirs.delete(d);
          this.dirs.add(to + d.slice(from.length));
        }
        for (const [f, v] of [...this.files].filter(([f]) => moved(f))) {
          this.files.delete(f);
          this.files.set(to + f.slice(from.length), v);
        }
        return Promise.resolve();
      }
      const v = this.files.get(from);
      if (v === undefined) throw notFound(from);
      this.files.delete(from);
      this.files.set(to, v);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** A file or a directory. */
  lstat(path: string): Promise<HostFileInfo> {
    try {
      this.#check("lstat", path);
      const isFile = this.files.has(path), isDirectory = this.dirs.has(path);
      if (!isFile && !isDirectory) throw notFound(path);
      return Promise.resolve({
        isFile,
        isDirectory,
        isSymlink: false,
        mtimeMs: this.#mtimes.get(path),
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Whether a file, a directory or a process's /proc file exists. */
  exists(path: string): Promise<boolean> {
    try {
      this.#check("exists", path);
      if (this.files.has(path) || this.dirs.has(path)) return Promise.resolve(true);
      const m = /^\/proc\/(\d+)(\/.*)?$/.exec(path);
      return Promise.resolve(m !== null && this.processes.has(Number(m[1])));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** The files and directories directly in `path`. */
  readDir(path: string): Promise<HostDirEntry[]> {
    try {
      this.#check("readDir", path);
      if (!this.dirs.has(path)) throw notFound(path);
      const prefix = path === "/" ? "/" : path + "/";
      const child = (p: string) =>
        p.startsWith(prefix) && p !== path && !p.slice(prefix.length).includes("/");
      const out: HostDirEntry[] = [];
      for (const d of this.dirs) {
        if (child(d)) {
          out.push({
            name: d.slice(prefix.length),
            isFile: false,
            isDirectory: true,
            isSymlink: false,
          });
        }
      }
      for (const f of this.files.keys()) {
        if (child(f)) {
          out.push({
            name: f.slice(prefix.length),
            isFile: true,
            isDirectory: false,
            isSymlink: false,
          });
        }
      }
      return Promise.resolve(out);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** An empty file with a fresh name. */
  async makeTempFile(options: { dir?: string; prefix?: string } = {}): Promise<string> {
    this.#check("makeTempFile", options.dir);
    const path = `${options.dir ?? "/tmp"}/${options.prefix ?? "tmp"}${++this.#temp}`;
    await this.writeTextFile(path, "", { createNew: true });
    return path;
  }

  /** Records the lock and runs `fn` after the lock's previous holder finished. */
  withLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
    this.locks.push(path);
    const prev = this.#lockChains.get(path) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(() => {
      this.#check("withLock", path);
      return fn();
    });
    this.#lockChains.set(path, next);
    return next;
  }

  // ---- processes ----

  /** Records the signal; the process ends unless it ignores it (never SIGKILL). */
  kill(pid: number, signal: string): void {
    this.#check("kill", String(pid));
    const p = this.processes.get(pid);
    if (!p) throw new Deno.errors.NotFound(`No such process (os error 3): ${pid}`);
    this.signals.push({ pid, signal, at: this.#clock });
    if (signal !== "SIGKILL" && p.ignores?.includes(signal)) return;
    this.processes.delete(pid);
    this.onExit?.(pid, signal);
  }

  /** Records the run and answers with `onRun` (default: success, no output). */
  async run(program: string, command: HostCommand): Promise<HostCommandResult> {
    this.#check("run", program);
    this.runs.push({ program, command });
    const r = (await this.onRun?.(program, command)) ?? {};
    const code = r.code ?? 0;
    return {
      code,
      success: r.success ?? code === 0,
      signal: r.signal ?? null,
      stdout: r.stdout ?? new Uint8Array(),
      stderr: r.stderr ?? new Uint8Array(),
    };
  }

  // ---- the kernel and the clock ----

  /** A fixed release. */
  osRelease(): string {
    return "6.1.0-fake";
  }
  /** A fixed name. */
  hostname(): string {
    return "fakehost";
  }
  /** `userId`. */
  uid(): number {
    return this.userId;
  }
  /** The fake clock. */
  now(): number {
    return this.#clock;
  }
  /** Moves the fake clock on at once. */
  async sleep(ms: number): Promise<void> {
    this.#clock += ms;
    await Promise.resolve();
  }

  // ---- the C library ----

  /** Records the node as an empty file. */
  /** The host's device nodes: `devices`, those under `dir`. */
  deviceNodes(dir: string): Promise<HostDevice[]> {
    return Promise.resolve(this.devices.filter((d) => d.path.startsWith(`${dir}/`)));
  }
  async mknod(path: string, mode: number, major: number, minor: number): Promise<void> {
    this.#check("mknod", path);
    await this.writeTextFile(path, "", { createNew: true });
    this.nodes.push([path, mode, major, minor]);
  }
  /** Checks that the path exists. */
  async lchown(path: string): Promise<void> {
    this.#check("lchown", path);
    if (!(await this.exists(path))) throw notFound(path);
  }
  /** Records the rules of an existing directory. */
  attachDeviceFilter(dir: string, rules: readonly DeviceRule[]): Promise<void> {
    try {
      this.#check("attachDeviceFilter", dir);
      if (!this.dirs.has(dir)) throw notFound(dir);
      this.deviceRules.set(dir, rules);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }
}
