/**
 * A recording fake of the host seam for unit tests (never imported by production code):
 * an in-memory file tree, a process table behind a synthesized /proc, a clock that moves
 * only when something sleeps, and a record of every signal, process run and write. It can
 * be told to fail any operation on any path.
 */
import type { DeviceRule } from "./cgroup_devices.ts";
import { SysError } from "./errno.ts";
import type {
  Host,
  HostCommand,
  HostCommandResult,
  HostConn,
  HostDevice,
  HostDirEntry,
  HostFile,
  HostFileInfo,
  HostInRoot,
} from "./host.ts";

const O_DIRECTORY = 0o200000;
const S_IFMT = 0o170000, S_IFIFO = 0o010000, S_IFCHR = 0o020000, S_IFBLK = 0o060000;

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
  /** Symlinks by absolute path: their targets. */
  links = new Map<string, string>();
  /** Permission bits set by mkdir, open, mknod or chmod. */
  modes = new Map<string, number>();
  /** Owners set by lchown: [uid, gid]. */
  owners = new Map<string, [number, number]>();
  /** Times set by lutimes: [atime, mtime] in seconds. */
  times = new Map<string, [number, number]>();
  /** Extended attributes by path. */
  xattrs = new Map<string, Map<string, Uint8Array>>();
  /** Every openInRoot that got as far as the last component: root, path asked for, resolved. */
  opened: { root: string; path: string; resolved: string }[] = [];
  /** What cwd() answers. */
  workingDir = "/";
  /** What capabilityBounding() answers. */
  bounding: bigint | undefined = (1n << 41n) - 1n;
  /** Answers connectUnix for a path (default: NotFound, no one listens). */
  onConnect?: (path: string) => HostConn | Promise<HostConn>;
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
  #inodes = new Map<string, number>();
  #nextInode = 1;
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

  /** Creates a symlink (and its parent directories). */
  addSymlink(path: string, target: string): void {
    this.addDir(parentOf(path));
    this.links.set(path, target);
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

  /**
   * Resolves `path` under `root` as the kernel does: symlinks followed (their absolute targets
   * start again at `root`), `..` never above `root`; a final symlink only with `follow`. A
   * missing or non-directory component on the way rejects with ENOENT or ENOTDIR.
   */
  #resolve(root: string, path: string, follow: boolean, strict = true): string {
    const base = root === "/" ? "" : root.replace(/\/+$/, "");
    const at = (names: string[]) => names.length ? `${base}/${names.join("/")}` : base || "/";
    let rest = path.split("/").filter((p) => p !== "" && p !== ".");
    const cur: string[] = [];
    let hops = 0;
    while (rest.length > 0) {
      const name = rest.shift()!;
      if (name === "..") {
        cur.pop();
        continue;
      }
      const full = at([...cur, name]);
      const target = this.links.get(full);
      if (target !== undefined && (rest.length > 0 || follow)) {
        if (++hops > 40) throw new SysError(40, path);
        if (target.startsWith("/")) cur.length = 0;
        rest = [...target.split("/").filter((p) => p !== "" && p !== "."), ...rest];
        continue;
      }
      if (strict && rest.length > 0 && !this.dirs.has(full)) {
        throw new SysError(this.files.has(full) || this.links.has(full) ? 20 : 2, path);
      }
      cur.push(name);
    }
    return at(cur);
  }

  /** A host path with its symlinks, `.` and `..` resolved. */
  #real(path: string, follow = true): string {
    // what is missing on the way is kept as it is: the operation itself then fails
    return this.#resolve("/", path, follow, false);
  }

  /** Runs a synchronous operation of the fake as the host's promise (failures planted first). */
  #settle<T>(op: Op, path: string, fn: () => T): Promise<T> {
    try {
      this.#check(op, path);
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #ino(path: string): number {
    let n = this.#inodes.get(path);
    if (n === undefined) this.#inodes.set(path, n = this.#nextInode++);
    return n;
  }

  // ---- files ----

  /** Reads a file, or /proc/PID/stat and /proc/PID/cgroup of the process table. */
  readTextFile(path: string): Promise<string> {
    try {
      this.#check("readTextFile", path);
      const proc = this.#procFile(path);
      if (proc !== undefined) return Promise.resolve(proc);
      const v = this.files.get(this.#real(path));
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
  mkdir(path: string, options: { recursive?: boolean; mode?: number } = {}): Promise<void> {
    try {
      this.#check("mkdir", path);
      path = this.#real(path, false);
      if (this.dirs.has(path) || this.files.has(path) || this.links.has(path)) {
        if (options.recursive && this.dirs.has(path)) return Promise.resolve();
        throw new Deno.errors.AlreadyExists(`File exists (os error 17): ${path}`);
      }
      if (!options.recursive && !this.dirs.has(parentOf(path))) throw notFound(path);
      this.addDir(path);
      if (options.mode !== undefined) this.modes.set(path, options.mode & 0o7777);
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
      if (this.files.delete(path) || this.links.delete(path)) {
        this.nodes = this.nodes.filter((n) => n[0] !== path);
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
      for (const l of [...this.links.keys()]) if (under(l)) this.links.delete(l);
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
      return Promise.resolve(this.#info(this.#real(path, false)));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** What the fake knows about `path` itself. */
  #info(path: string): HostFileInfo {
    const isSymlink = this.links.has(path);
    const isDirectory = !isSymlink && this.dirs.has(path);
    const data = isSymlink ? this.links.get(path) : this.files.get(path);
    if (!isDirectory && data === undefined) throw notFound(path);
    const node = this.nodes.find((n) => n[0] === path);
    const type = node ? node[1] & S_IFMT : 0;
    const mode = this.modes.get(path) ?? (isDirectory ? 0o755 : isSymlink ? 0o777 : 0o644);
    const ino = this.#ino(path);
    const owner = this.owners.get(path);
    return {
      isFile: !isDirectory && !isSymlink && !node,
      isDirectory,
      isSymlink,
      isFifo: type === S_IFIFO,
      isCharDevice: type === S_IFCHR,
      isBlockDevice: type === S_IFBLK,
      rdev: node ? node[2] * 256 + node[3] : 0,
      mtimeMs: this.#mtimes.get(path),
      size: isDirectory ? 4096 : new TextEncoder().encode(data).length,
      mode: (node ? type : isDirectory ? 0o040000 : isSymlink ? 0o120000 : 0o100000) | mode,
      uid: owner?.[0] ?? 0,
      gid: owner?.[1] ?? 0,
      nlink:
        [...this.#inodes].filter(([p, n]) => n === ino && (this.files.has(p) || this.links.has(p)))
          .length || 1,
      dev: 1,
      ino,
    };
  }

  /** Follows symlinks. */
  stat(path: string): Promise<HostFileInfo> {
    return this.#settle("stat", path, () => this.#info(this.#real(path)));
  }

  /** A symlink's target. */
  readLink(path: string): Promise<string> {
    return this.#settle("readLink", path, () => {
      const target = this.links.get(this.#real(path, false));
      if (target === undefined) throw new Deno.errors.InvalidData(`Invalid argument: ${path}`);
      return target;
    });
  }

  /** Creates a symlink where nothing is. */
  symlink(target: string, path: string): Promise<void> {
    return this.#settle("symlink", path, () => {
      const at = this.#real(path, false);
      this.#mustBeFree(at);
      this.links.set(at, target);
    });
  }

  /** A second name for a file (same inode). */
  link(existing: string, path: string): Promise<void> {
    return this.#settle("link", path, () => {
      const from = this.#real(existing, false), at = this.#real(path, false);
      const data = this.files.get(from) ?? this.links.get(from);
      if (data === undefined) throw notFound(existing);
      this.#mustBeFree(at);
      if (this.links.has(from)) this.links.set(at, data);
      else this.files.set(at, data);
      this.#inodes.set(at, this.#ino(from));
    });
  }

  /** Records the mode of what `path` names. */
  chmod(path: string, mode: number): Promise<void> {
    return this.#settle("chmod", path, () => {
      const at = this.#real(path);
      this.#info(at);
      this.modes.set(at, mode & 0o7777);
    });
  }

  /** A file over the fake's text: reads from the start, writes append. */
  open(
    path: string,
    options: { read?: boolean; write?: boolean; createNew?: boolean; mode?: number },
  ): Promise<HostFile> {
    return this.#settle("open", path, () => {
      const at = this.#real(path, !options.createNew);
      if (options.createNew) {
        this.#mustBeFree(at);
        this.files.set(at, "");
        this.#mtimes.set(at, this.#clock);
        if (options.mode !== undefined) this.modes.set(at, options.mode & 0o7777);
      }
      const text = this.files.get(at);
      if (text === undefined) {
        throw this.dirs.has(at) ? new Deno.errors.IsADirectory(path) : notFound(path);
      }
      return this.#file(at, text);
    });
  }

  #file(path: string, text: string): HostFile {
    const data = new TextEncoder().encode(text);
    const decoder = new TextDecoder();
    let off = 0;
    const read = (p: Uint8Array) => {
      if (off >= data.length) return Promise.resolve(null);
      const n = Math.min(p.length, data.length - off);
      p.set(data.subarray(off, off + n));
      off += n;
      return Promise.resolve(n);
    };
    const write = (p: Uint8Array) => {
      this.files.set(path, (this.files.get(path) ?? "") + decoder.decode(p, { stream: true }));
      return Promise.resolve(p.length);
    };
    return {
      read,
      write,
      close() {},
      // made when asked for: a stream starts pulling at once
      get readable() {
        return new ReadableStream<Uint8Array>({
          async pull(ctl) {
            const buf = new Uint8Array(4096);
            const n = await read(buf);
            if (n === null) ctl.close();
            else ctl.enqueue(buf.slice(0, n));
          },
        });
      },
      get writable() {
        return new WritableStream<Uint8Array>({ write: async (chunk) => void await write(chunk) });
      },
    };
  }

  #mustBeFree(path: string): void {
    if (!this.dirs.has(parentOf(path))) throw notFound(path);
    if (this.files.has(path) || this.dirs.has(path) || this.links.has(path)) {
      throw new Deno.errors.AlreadyExists(`File exists (os error 17): ${path}`);
    }
  }

  /** Resolves inside `root` (recorded in `opened`); the handle's path is the resolved one. */
  openInRoot(
    root: string,
    path: string,
    options: { flags?: number; follow?: boolean } = {},
  ): Promise<HostInRoot> {
    return this.#settle("openInRoot", path, () => {
      const resolved = this.#resolve(root, path, options.follow !== false);
      this.opened.push({ root, path, resolved });
      const isDir = this.dirs.has(resolved);
      if (!isDir && !this.files.has(resolved) && !this.links.has(resolved)) {
        throw new SysError(2, path);
      }
      if ((options.flags ?? 0) & O_DIRECTORY && !isDir) throw new SysError(20, path);
      return { path: resolved, close() {} };
    });
  }

  /** `workingDir`. */
  cwd(): string {
    return this.workingDir;
  }

  /** A fixed path. */
  execPath(): string {
    return "/usr/bin/deno";
  }

  /** `onConnect`'s connection, else NotFound. */
  connectUnix(path: string): Promise<HostConn> {
    try {
      this.#check("connectUnix", path);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.onConnect) return Promise.resolve(this.onConnect(path));
    return Promise.reject(notFound(path));
  }

  /** Whether a file, a directory or a process's /proc file exists. */
  exists(path: string): Promise<boolean> {
    try {
      this.#check("exists", path);
      let real: string;
      try {
        real = this.#real(path);
      } catch {
        return Promise.resolve(false);
      }
      if (this.files.has(real) || this.dirs.has(real)) return Promise.resolve(true);
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
      path = this.#real(path);
      if (!this.dirs.has(path)) throw notFound(path);
      const prefix = path === "/" ? "/" : path + "/";
      const child = (p: string) =>
        p.startsWith(prefix) && p !== path && !p.slice(prefix.length).includes("/");
      const out: HostDirEntry[] = [];
      const kinds = [[this.dirs, "dir"], [this.files.keys(), "file"], [this.links.keys(), "link"]];
      for (const [paths, kind] of kinds as [Iterable<string>, string][]) {
        for (const p of paths) {
          if (!child(p)) continue;
          out.push({
            name: p.slice(prefix.length),
            isFile: kind === "file",
            isDirectory: kind === "dir",
            isSymlink: kind === "link",
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
  kill(pid: number, sig: string | number): void {
    const signal = typeof sig === "number" ? `SIG${sig}` : sig;
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
  /** `bounding` (default: every capability up to 40). */
  capabilityBounding(): bigint | undefined {
    return this.bounding;
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

  /** The host's device nodes: `devices`, those under `dir`. */
  deviceNodes(dir: string): Promise<HostDevice[]> {
    return Promise.resolve(this.devices.filter((d) => d.path.startsWith(`${dir}/`)));
  }
  /** Records the node as an empty file (lstat tells its type and number). */
  async mknod(path: string, mode: number, major: number, minor: number): Promise<void> {
    this.#check("mknod", path);
    await this.writeTextFile(path, "", { createNew: true });
    this.nodes.push([path, mode, major, minor]);
    this.modes.set(path, mode & 0o7777);
  }
  /** Records the owner of the path itself. */
  lchown(path: string, uid: number, gid: number): Promise<void> {
    return this.#settle("lchown", path, () => {
      const at = this.#real(path, false);
      this.#info(at);
      this.owners.set(at, [uid, gid]);
    });
  }
  /** Records the times of the path itself. */
  lutimes(path: string, atime: number, mtime: number): Promise<void> {
    return this.#settle("lutimes", path, () => {
      const at = this.#real(path, false);
      this.#info(at);
      this.times.set(at, [atime, mtime]);
      this.#mtimes.set(at, mtime * 1000);
    });
  }
  /** An attribute of `xattrs`. */
  lgetxattr(path: string, name: string): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.xattrs.get(this.#real(path, false))?.get(name));
  }
  /** The names in `xattrs`. */
  llistxattr(path: string): Promise<string[]> {
    return Promise.resolve([...this.xattrs.get(this.#real(path, false))?.keys() ?? []]);
  }
  /** Sets an attribute in `xattrs`. */
  lsetxattr(path: string, name: string, value: Uint8Array): Promise<void> {
    return this.#settle("lsetxattr", path, () => {
      const at = this.#real(path, false);
      this.#info(at);
      if (!this.xattrs.has(at)) this.xattrs.set(at, new Map());
      this.xattrs.get(at)!.set(name, value);
    });
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
