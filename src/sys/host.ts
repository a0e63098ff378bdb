/**
 * The host seam: everything the runtime asks of the machine it runs on (files and
 * directories, /proc, signals, processes, the clock, the C library) behind one interface.
 * {@link DenoHost} is the real one; a recording fake (`src/sys/fake_host.ts`) stands in
 * for it in unit tests, so lifecycle logic is tested without root.
 *
 * Errors keep Deno's kinds: a missing path rejects with `Deno.errors.NotFound`, an existing
 * one (with `createNew`) with `Deno.errors.AlreadyExists`, a busy directory (a cgroup that
 * still has processes) with `Deno.errors.Busy`, and a signal to a process that is gone
 * throws `Deno.errors.NotFound`.
 */
import { writeFileAtomic } from "./atomic.ts";
import type { DeviceRule } from "./cgroup_devices.ts";
import { withLock } from "./lock.ts";
import { check } from "./errno.ts";
import { lib } from "./ffi.ts";

/** What `lstat` (or `stat`) tells about a path; the optional facts are absent where unknown. */
export interface HostFileInfo {
  isFile: boolean;
  isDirectory: boolean;
  isSymlink: boolean;
  /** Modification time, ms since the epoch (undefined when the file system has none). */
  mtimeMs?: number;
  /** Access time, ms since the epoch. */
  atimeMs?: number;
  isFifo?: boolean;
  isCharDevice?: boolean;
  isBlockDevice?: boolean;
  /** Bytes. */
  size?: number;
  /** Permission and set-id bits (with the file type bits, as stat gives them). */
  mode?: number;
  uid?: number;
  gid?: number;
  /** Hard links to the inode. */
  nlink?: number;
  /** Device and inode: together they name the file (to find hard links). */
  dev?: number;
  ino?: number;
  /** The device number of a device node (0 for an overlay whiteout). */
  rdev?: number;
}

/** An open file (what `open` returns). */
export interface HostFile {
  /** Reads into `p`; the number of bytes, or null at the end. */
  read(p: Uint8Array): Promise<number | null>;
  /** Writes some of `p`; the number of bytes written. */
  write(p: Uint8Array): Promise<number>;
  /** The rest of the file as a stream (closes the file at its end). */
  readonly readable: ReadableStream<Uint8Array>;
  /** A stream into the file (closes the file when closed). */
  readonly writable: WritableStream<Uint8Array>;
  close(): void;
}

/** An object opened inside a root; `path` names it (and what is under it) until `close`. */
export interface HostInRoot {
  path: string;
  close(): void;
}

/** One directory entry. */
export interface HostDirEntry {
  name: string;
  isFile: boolean;
  isDirectory: boolean;
  isSymlink: boolean;
}

/** How a spawned process's stdio is connected. */
export type HostStdio = "null" | "piped" | "inherit";

/** A process to run. */
export interface HostCommand {
  args: string[];
  /** Added to the inherited environment. */
  env?: Record<string, string>;
  stdin?: HostStdio;
  /** Default "piped". */
  stdout?: HostStdio;
  /** Default "piped". */
  stderr?: HostStdio;
  /** After this many ms the process gets SIGTERM, and SIGKILL a second later (`timedOut`). */
  timeoutMs?: number;
}

/** How a process ended, with its piped output (empty when not piped). */
export interface HostCommandResult {
  code: number;
  success: boolean;
  /** The signal that killed it ("SIGKILL"), or null. */
  signal: string | null;
  stdout: Uint8Array;
  stderr: Uint8Array;
  /** It ran past `timeoutMs` and was killed. */
  timedOut?: boolean;
}

/** A connected stream socket (a container's attach socket). */
export interface HostConn {
  /** Reads into `buf`; the number of bytes, or null at the end. */
  read(buf: Uint8Array): Promise<number | null>;
  /** Writes some of `data`; the number of bytes written. */
  write(data: Uint8Array): Promise<number>;
  /** Closes the connection. */
  close(): void;
}

/** The host as the runtime sees it. */
export interface Host {
  // ---- files and directories (absolute paths) ----
  /** Reads a whole text file (also /proc and cgroup files). */
  readTextFile(path: string): Promise<string>;
  /**
   * Writes a text file in one write. `create: false` writes only an existing file (a
   * cgroup knob); `createNew` fails when the file exists (a name reservation).
   */
  writeTextFile(
    path: string,
    data: string,
    options?: { mode?: number; create?: boolean; createNew?: boolean },
  ): Promise<void>;
  /** Writes a file so that readers see the old or the new content, never a part. */
  writeFileAtomic(path: string, data: string, mode?: number): Promise<void>;
  /** Creates a directory; `recursive` also creates parents and accepts an existing one. */
  mkdir(path: string, options?: { recursive?: boolean; mode?: number }): Promise<void>;
  /** Removes a file or an empty directory, or with `recursive` a whole tree. */
  remove(path: string, options?: { recursive?: boolean }): Promise<void>;
  /** Renames (atomically replaces) a path. */
  rename(from: string, to: string): Promise<void>;
  /** Facts about the path itself (a symlink is not followed). */
  lstat(path: string): Promise<HostFileInfo>;
  /** Whether the path exists (following symlinks: a dangling one does not). */
  exists(path: string): Promise<boolean>;
  /** The entries of a directory. */
  readDir(path: string): Promise<HostDirEntry[]>;
  /** Creates an empty file with a unique name in `dir` (default: the system's). */
  makeTempFile(options?: { dir?: string; prefix?: string }): Promise<string>;
  /** Runs `fn` while holding the exclusive lock file at `path`. */
  withLock<T>(path: string, fn: () => Promise<T>): Promise<T>;
  /** Facts about what the path names, following symlinks. */
  stat(path: string): Promise<HostFileInfo>;
  /** The target of a symlink. */
  readLink(path: string): Promise<string>;
  /** Creates the symlink `path` pointing at `target` (fails when `path` exists). */
  symlink(target: string, path: string): Promise<void>;
  /** Creates the hard link `path` to `existing` (neither's final symlink followed). */
  link(existing: string, path: string): Promise<void>;
  /** Sets the permission bits of what `path` names. */
  chmod(path: string, mode: number): Promise<void>;
  /**
   * Opens a file: for reading, or for writing (`createNew`: only a file that does not exist
   * yet, never through a symlink).
   */
  open(
    path: string,
    options: { read?: boolean; write?: boolean; createNew?: boolean; mode?: number },
  ): Promise<HostFile>;
  /**
   * Opens `path` inside `root` as openat2 RESOLVE_IN_ROOT does: `..` stops at the root and
   * a symlink's target is looked up inside it, so nothing outside `root` is ever named.
   * `follow: false` keeps a final symlink; `flags` are open(2)'s (default O_PATH).
   * Rejects with a SysError (ENOENT, ENOTDIR, ELOOP) when it cannot be opened.
   */
  openInRoot(
    root: string,
    path: string,
    options?: { flags?: number; follow?: boolean },
  ): Promise<HostInRoot>;
  /** The process's working directory. */
  cwd(): string;
  /** The path of the running executable (deno, or the compiled skiff). */
  execPath(): string;
  /** Connects to a unix stream socket, whatever the length of its path. */
  connectUnix(path: string): Promise<HostConn>;

  // ---- processes ----
  /** Sends a signal ("SIGTERM") to a process; throws Deno.errors.NotFound when it is gone. */
  kill(pid: number, signal: string | number): void;
  /** Runs a program to its end. */
  run(program: string, command: HostCommand): Promise<HostCommandResult>;

  // ---- the kernel and the clock ----
  /** The kernel release ("6.1.0-18-amd64"). */
  osRelease(): string;
  /** This process's capability bounding set (bit n: capability n), undefined without /proc. */
  capabilityBounding(): bigint | undefined;
  /** The host's name. */
  hostname(): string;
  /** The effective user id of this process. */
  uid(): number;
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds. */
  sleep(ms: number): Promise<void>;

  // ---- the C library ----
  /** Creates a device node, FIFO or whiteout at `path` (never following a final symlink). */
  mknod(path: string, mode: number, major: number, minor: number): Promise<void>;
  /** Changes the owner of `path` itself. */
  lchown(path: string, uid: number, gid: number): Promise<void>;
  /** Sets the access and modification times (seconds) of `path` itself. */
  lutimes(path: string, atime: number, mtime: number): Promise<void>;
  /** The extended attribute `name` of `path` itself; undefined when it has none. */
  lgetxattr(path: string, name: string): Promise<Uint8Array | undefined>;
  /** The names of the extended attributes of `path` itself. */
  llistxattr(path: string): Promise<string[]>;
  /** Sets an extended attribute of `path` itself. */
  lsetxattr(path: string, name: string, value: Uint8Array): Promise<void>;
  /** Makes `rules` the device rules of a v2 cgroup directory (an eBPF program). */
  attachDeviceFilter(dir: string, rules: readonly DeviceRule[]): Promise<void>;
  /**
   * The device nodes under `dir`, recursively, as a privileged container gets them (runc's
   * rule): not under pts, shm, fd or mqueue, and not the console or ptmx, which the
   * container's own pty provides.
   */
  deviceNodes(dir: string): Promise<HostDevice[]>;
}

/** A character or block device node of the host. */
export interface HostDevice {
  path: string;
  type: "c" | "b";
  major: number;
  minor: number;
  /** Permission bits. */
  mode: number;
  uid: number;
  gid: number;
}

/** Directories and nodes under /dev a privileged container does not take from the host. */
const SKIPPED_DEVICE_DIRS = new Set(["pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"]);
const SKIPPED_DEVICE_NODES = new Set(["console", "ptmx"]);

/**
 * Reads a JSON file through the host; undefined when it does not exist.
 *
 * @example
 * ```ts ignore
 * const state = await readJsonFile<{ Status: string }>(host, `${dir}/state.json`);
 * ```
 */
export async function readJsonFile<T>(host: Host, path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await host.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
  return JSON.parse(text) as T;
}

/**
 * Reads a text file through the host; `fallback` when it cannot be read.
 *
 * @example
 * ```ts ignore
 * const limits = await readTextOr(host, "/proc/self/limits", "");
 * ```
 */
export function readTextOr(host: Host, path: string, fallback: string): Promise<string> {
  return host.readTextFile(path).catch(() => fallback);
}

/** The C library's file calls, loaded on first use (a computed specifier: Deno loads the graph
 * of a literal dynamic import at start-up, libskiff's wrappers included). */
function loadFs(): Promise<typeof import("./fs.ts")> {
  return import(new URL("./fs.ts", import.meta.url).href);
}

/**
 * The start time of a process (field 22 of /proc/PID/stat), which tells it from a later
 * process that reuses its pid; undefined when it does not exist or is a zombie.
 *
 * @example
 * ```ts ignore
 * const start = await procStartTime(host, pid);
 * ```
 */
export async function procStartTime(host: Host, pid: number): Promise<string | undefined> {
  if (!pid) return undefined;
  let stat: string;
  try {
    stat = await host.readTextFile(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  // The command name may contain spaces and parentheses: split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (fields[0] === "Z") return undefined; // a zombie is as good as gone
  return fields[19];
}

/** Deno's file facts as the seam's (null becomes absent). */
function fileInfo(i: Deno.FileInfo): HostFileInfo {
  return {
    isFile: i.isFile,
    isDirectory: i.isDirectory,
    isSymlink: i.isSymlink,
    mtimeMs: i.mtime?.getTime(),
    atimeMs: i.atime?.getTime(),
    isFifo: i.isFifo ?? undefined,
    isCharDevice: i.isCharDevice ?? undefined,
    isBlockDevice: i.isBlockDevice ?? undefined,
    size: i.size,
    mode: i.mode ?? undefined,
    uid: i.uid ?? undefined,
    gid: i.gid ?? undefined,
    nlink: i.nlink ?? undefined,
    dev: i.dev,
    ino: i.ino ?? undefined,
    rdev: i.rdev ?? undefined,
  };
}

/** Deno's errors for EBUSY carry only a code: give them the Busy class. */
function busy(err: unknown): unknown {
  if ((err as { code?: string }).code === "EBUSY") {
    return new Deno.errors.Busy((err as Error).message, { cause: err });
  }
  return err;
}

/**
 * The real host: Deno's APIs and libskiff. Small writes are synchronous on purpose:
 * Deno's first async writeFile costs ~5 ms of set-up that every command would pay.
 *
 * @example
 * ```ts
 * const text = await realHost.readTextFile("/proc/self/mountinfo");
 * ```
 */
export class DenoHost implements Host {
  /** Reads a whole text file. */
  readTextFile(path: string): Promise<string> {
    return Deno.readTextFile(path);
  }
  /** One synchronous write. */
  writeTextFile(
    path: string,
    data: string,
    options: { mode?: number; create?: boolean; createNew?: boolean } = {},
  ): Promise<void> {
    try {
      Deno.writeTextFileSync(path, data, options);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }
  /** Temporary file, then rename. */
  writeFileAtomic(path: string, data: string, mode?: number): Promise<void> {
    return writeFileAtomic(path, data, mode);
  }
  /** mkdir (-p with `recursive`). */
  mkdir(path: string, options?: { recursive?: boolean; mode?: number }): Promise<void> {
    return Deno.mkdir(path, options);
  }
  /** rm, rmdir or rm -r. */
  async remove(path: string, options?: { recursive?: boolean }): Promise<void> {
    try {
      await Deno.remove(path, options);
    } catch (err) {
      throw busy(err);
    }
  }
  /** rename(2). */
  rename(from: string, to: string): Promise<void> {
    return Deno.rename(from, to);
  }
  /** lstat(2) (synchronous: one system call). */
  lstat(path: string): Promise<HostFileInfo> {
    try {
      return Promise.resolve(fileInfo(Deno.lstatSync(path)));
    } catch (err) {
      return Promise.reject(err);
    }
  }
  /** stat(2). */
  async stat(path: string): Promise<HostFileInfo> {
    return fileInfo(await Deno.stat(path));
  }
  /** readlink(2). */
  readLink(path: string): Promise<string> {
    return Deno.readLink(path);
  }
  /** symlink(2). */
  symlink(target: string, path: string): Promise<void> {
    return Deno.symlink(target, path);
  }
  /** link(2). */
  link(existing: string, path: string): Promise<void> {
    return Deno.link(existing, path);
  }
  /** chmod(2). */
  chmod(path: string, mode: number): Promise<void> {
    return Deno.chmod(path, mode);
  }
  /** open(2) (O_CREAT|O_EXCL with `createNew`). */
  open(
    path: string,
    options: { read?: boolean; write?: boolean; createNew?: boolean; mode?: number },
  ): Promise<HostFile> {
    return Deno.open(path, options);
  }
  /** openat2(2) with RESOLVE_IN_ROOT (libskiff). */
  async openInRoot(
    root: string,
    path: string,
    options?: { flags?: number; follow?: boolean },
  ): Promise<HostInRoot> {
    const { openInRoot }: typeof import("./resolve.ts") = await import(
      new URL("./resolve.ts", import.meta.url).href
    );
    return openInRoot(root, path, options);
  }
  /** getcwd(3). */
  cwd(): string {
    return Deno.cwd();
  }
  /** Deno.execPath(). */
  execPath(): string {
    return Deno.execPath();
  }
  /**
   * Deno.connect on a unix socket. A sockaddr_un holds 107 bytes, so a long path is reached
   * relative to its directory (the working directory is restored).
   */
  async connectUnix(path: string): Promise<HostConn> {
    if (path.length < 100) return await Deno.connect({ transport: "unix", path });
    const slash = path.lastIndexOf("/");
    const cwd = Deno.cwd();
    Deno.chdir(path.slice(0, slash) || "/");
    try {
      return await Deno.connect({ transport: "unix", path: path.slice(slash + 1) });
    } finally {
      Deno.chdir(cwd);
    }
  }
  /** Whether stat succeeds. */
  exists(path: string): Promise<boolean> {
    try {
      Deno.statSync(path);
      return Promise.resolve(true);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return Promise.resolve(false);
      return Promise.reject(err);
    }
  }
  /** The directory's entries. */
  async readDir(path: string): Promise<HostDirEntry[]> {
    const out: HostDirEntry[] = [];
    for await (const e of Deno.readDir(path)) {
      out.push({
        name: e.name,
        isFile: e.isFile,
        isDirectory: e.isDirectory,
        isSymlink: e.isSymlink,
      });
    }
    return out;
  }
  /** mkstemp. */
  makeTempFile(options?: { dir?: string; prefix?: string }): Promise<string> {
    return Deno.makeTempFile(options);
  }
  /** flock on a lock file that records its holder. */
  withLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
    return withLock(path, fn);
  }
  /** kill(2). */
  kill(pid: number, signal: string | number): void {
    if (typeof signal === "string") return Deno.kill(pid, signal as Deno.Signal);
    // by number (the real-time signals Deno has no name for), through the C library
    const r = lib().skiff_kill(pid, signal);
    if (r === -3) throw new Deno.errors.NotFound(`No such process (os error 3): ${pid}`);
    check(r, `kill ${pid} with signal ${signal}`);
  }
  /** Runs a program: collects piped output, or waits for its status with inherited stdio. */
  async run(program: string, command: HostCommand): Promise<HostCommandResult> {
    const stdout = command.stdout ?? "piped", stderr = command.stderr ?? "piped";
    const cmd = new Deno.Command(program, {
      args: command.args,
      env: command.env,
      stdin: command.stdin ?? "null",
      stdout,
      stderr,
    });
    if (command.timeoutMs !== undefined) return await runWithTimeout(cmd, command.timeoutMs);
    if (stdout === "piped" || stderr === "piped") {
      const out = await cmd.output();
      return {
        code: out.code,
        success: out.success,
        signal: out.signal,
        stdout: stdout === "piped" ? out.stdout : new Uint8Array(),
        stderr: stderr === "piped" ? out.stderr : new Uint8Array(),
      };
    }
    const status = await cmd.spawn().status;
    const empty = new Uint8Array();
    return {
      code: status.code,
      success: status.success,
      signal: status.signal,
      stdout: empty,
      stderr: empty,
    };
  }
  /** uname -r. */
  osRelease(): string {
    return Deno.osRelease();
  }
  /** CapBnd of /proc/self/status. */
  capabilityBounding(): bigint | undefined {
    try {
      const hex = /CapBnd:\s*([0-9a-f]+)/.exec(Deno.readTextFileSync("/proc/self/status"))?.[1];
      return hex ? BigInt(`0x${hex}`) : undefined;
    } catch {
      return undefined;
    }
  }
  /** uname -n. */
  hostname(): string {
    return Deno.hostname();
  }
  /** getuid(2); -1 where the platform has none. */
  uid(): number {
    return Deno.uid() ?? -1;
  }
  /** Date.now(), with the sub-millisecond digits the platform gives. */
  now(): number {
    return performance.timeOrigin + performance.now();
  }
  /** setTimeout. */
  sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
  }
  /** skiff_mknod (libskiff is loaded on first use). */
  async mknod(path: string, mode: number, major: number, minor: number): Promise<void> {
    (await loadFs()).mknod(path, mode, major, minor);
  }
  /** skiff_lchown. */
  async lchown(path: string, uid: number, gid: number): Promise<void> {
    (await loadFs()).lchown(path, uid, gid);
  }
  /** skiff_lutimes. */
  async lutimes(path: string, atime: number, mtime: number): Promise<void> {
    (await loadFs()).lutimes(path, atime, mtime);
  }
  /** skiff_lgetxattr. */
  async lgetxattr(path: string, name: string): Promise<Uint8Array | undefined> {
    return (await loadFs()).lgetxattr(path, name);
  }
  /** skiff_llistxattr. */
  async llistxattr(path: string): Promise<string[]> {
    return (await loadFs()).llistxattr(path);
  }
  /** skiff_lsetxattr. */
  async lsetxattr(path: string, name: string, value: Uint8Array): Promise<void> {
    (await loadFs()).lsetxattr(path, name, value);
  }
  /** Walks `dir` with lstat; the device number is split as the kernel's new encoding says. */
  async deviceNodes(dir: string): Promise<HostDevice[]> {
    const found: HostDevice[] = [];
    for await (const e of Deno.readDir(dir)) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory) {
        if (!SKIPPED_DEVICE_DIRS.has(e.name)) found.push(...await this.deviceNodes(path));
        continue;
      }
      if (e.isSymlink || SKIPPED_DEVICE_NODES.has(e.name)) continue;
      const st = await Deno.lstat(path).catch(() => undefined);
      if (!st || (!st.isCharDevice && !st.isBlockDevice) || st.rdev === null) continue;
      const rdev = BigInt(st.rdev);
      found.push({
        path,
        type: st.isBlockDevice ? "b" : "c",
        major: Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)),
        minor: Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)),
        mode: (st.mode ?? 0) & 0o7777,
        uid: st.uid ?? 0,
        gid: st.gid ?? 0,
      });
    }
    return found.sort((a, b) => a.path.localeCompare(b.path));
  }
  /** skiff_cgroup_device_filter. */
  async attachDeviceFilter(dir: string, rules: readonly DeviceRule[]): Promise<void> {
    const { attachDeviceFilter }: typeof import("./cgroup_devices.ts") = await import(
      new URL("./cgroup_devices.ts", import.meta.url).href
    );
    attachDeviceFilter(dir, rules);
  }
}

/** The one real host. */
export const realHost: Host = new DenoHost();

/** Runs cmd (piped output) and kills it when it runs past timeoutMs: SIGTERM, then SIGKILL. */
async function runWithTimeout(cmd: Deno.Command, timeoutMs: number): Promise<HostCommandResult> {
  const child = cmd.spawn();
  let timedOut = false;
  let killer: ReturnType<typeof setTimeout> | undefined;
  const kill = (signal: Deno.Signal) => {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill("SIGTERM");
    killer = setTimeout(() => kill("SIGKILL"), 1000);
  }, timeoutMs);
  try {
    const out = await child.output();
    return {
      code: out.code,
      success: out.success,
      signal: out.signal,
      stdout: out.stdout,
      stderr: out.stderr,
      timedOut,
    };
  } finally {
    clearTimeout(timer);
    if (killer !== undefined) clearTimeout(killer);
  }
}
