/**
 * The launch plan: everything the C monitor needs to start one container,
 * prepared by the TypeScript side (`src/runtime/spec.ts`) from the image
 * config and the user's flags. The monitor reads it from `<bundle>/plan`
 * (serialized by `src/runtime/plan_format.ts`); the OCI `config.json` beside it
 * is the same information in the runtime spec's shape, for users and tools.
 */

/** One mount made inside the container's mount namespace, after the root is mounted. */
export interface PlanMount {
  /** Source path on the host (bind), or the file system name (proc, tmpfs...). */
  source: string;
  /** Absolute path inside the container; resolved inside the root, never following symlinks out. */
  destination: string;
  /** File system type: "bind", "proc", "sysfs", "tmpfs", "devpts", "mqueue", "cgroup"... */
  type: string;
  /** mount(2) flags as option words: ro, nosuid, nodev, noexec, rbind, rprivate... */
  flags: string[];
  /** File-system-specific data, such as "mode=755,size=65536k". */
  data: string;
  /**
   * A bind mount of this path beneath `source` (a volume's `volume-subpath`): the monitor opens
   * it with openat2 RESOLVE_BENEATH from `source` and mounts the opened object, so no symlink
   * planted in the volume can lead outside it.
   */
  subpath?: string;
}

/** A device node created in the container's /dev. */
export interface PlanDevice {
  path: string;
  type: "c" | "b";
  major: number;
  minor: number;
  mode: number;
  uid: number;
  gid: number;
}

/** A resource limit for setrlimit(2); `type` is the RLIMIT_ name without prefix, lower case ("nofile"). */
export interface PlanRlimit {
  type: string;
  soft: number;
  hard: number;
}

/** The seccomp filter: syscalls by number (x86_64) that are allowed; everything else gets `defaultErrno`. */
export interface PlanSeccomp {
  /** errno returned for syscalls not in `allow` (Docker: EPERM = 1). */
  defaultErrno: number;
  /** Allowed syscall numbers. */
  allow: number[];
  /** Syscalls allowed only with argument conditions, e.g. personality(0x0), clone without namespace flags. */
  conditional: { nr: number; arg: number; op: "eq" | "maskedEq"; value: number; mask?: number }[];
  /** Syscalls answered with their own errno (Docker: clone3 gets ENOSYS so libc falls back to clone). */
  errnoRules?: { nr: number; errno: number }[];
}

/** How a process runs: shared by container start and exec. */
export interface PlanProcess {
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  additionalGids: number[];
  terminal: boolean;
  /** Keep stdin open (docker -i). */
  stdin: boolean;
  /** Capability names ("CAP_CHOWN"...) kept in bounding, effective, permitted (and inheritable) sets. */
  capabilities: string[];
  noNewPrivileges: boolean;
  /** undefined: no filter (--privileged or seccomp=unconfined). */
  seccomp?: PlanSeccomp;
  rlimits: PlanRlimit[];
  /** oom_score_adj written before exec, when set. */
  oomScoreAdj?: number;
}

/** Restart policy the monitor applies while it lives. */
export interface PlanRestart {
  policy: "no" | "on-failure" | "always" | "unless-stopped";
  /** on-failure:N; 0 means unlimited. */
  maxRetries: number;
}

/** Everything needed to start a container. */
export interface LaunchPlan {
  /** Full 64-hex container id. */
  id: string;
  /** Overlay root: lower directories top-first, upper and work directories, and the mount point. */
  rootfs: { lowerdirs: string[]; upperdir: string; workdir: string; target: string };
  /** Remount the root read-only after setup (--read-only). */
  readonlyRoot: boolean;
  hostname: string;
  /** The UTS NIS domain name (--domainname); absent: left empty. */
  domainname?: string;
  process: PlanProcess;
  /** Namespaces to create. A namespace with a path is joined instead (e.g. an existing net namespace). */
  namespaces: {
    type: "pid" | "net" | "ipc" | "uts" | "mount" | "cgroup" | "user";
    path?: string;
  }[];
  /** Mounts made in order after the root is mounted and before pivot_root. */
  mounts: PlanMount[];
  devices: PlanDevice[];
  /** --sysctl: values written under /proc/sys in the container's namespaces (path "net/ipv4/ip_forward"). */
  sysctls?: { key: string; path: string; value: string }[];
  /** Paths masked inside the container (a file gets /dev/null bound over it, a directory an empty read-only tmpfs). */
  maskedPaths: string[];
  /** Paths bind-remounted read-only inside the container. */
  readonlyPaths: string[];
  /** cgroup directories (absolute host paths) whose cgroup.procs receives the container's pid before it is released; created and limited by the TS side. */
  cgroupPaths: string[];
  /** uid/gid maps when a user namespace is created (rootless): "containerId hostId size". */
  uidMappings: string[];
  gidMappings: string[];
  /** Runtime state files, in the run root. */
  state: {
    /** Directory of this container's runtime state (attach socket, pid file, exit file). */
    dir: string;
    /** k8s-file log, one line per record: "<RFC3339Nano> stdout|stderr F|P <text>". */
    logPath: string;
    /** Signal used by `stop` (name, e.g. "SIGTERM"); the monitor forwards it to the container. */
    stopSignal: string;
  };
  restart: PlanRestart;
  /**
   * Hook run by the monitor with the container's pid after the namespaces exist and before the
   * process is released (networking sets up the net namespace here). Empty: no hook.
   */
  networkHook: string[];
  /**
   * What the monitor itself does once the container has exited for good, so that no
   * skiff (Deno) process is started per exit. Absent: nothing beyond the exit file.
   */
  exitActions?: PlanExitActions;
  /** The health check the monitor starts on schedule while the container runs; absent: none. */
  health?: PlanHealth;
  /** How the monitor writes the log; absent: k8s-file at `state.logPath`, never rotated. */
  log?: PlanLog;
  /**
   * The events the monitor appends to the store's event log: `die` at each exit (and `destroy`
   * after a --rm removal), from a template file it reads then (container_events.ts). Absent:
   * none.
   */
  dieEvent?: { log: string; template: string };
  /** An extra command the monitor runs after the container has exited for good (after the exit actions' records, before the removals); absent or empty: none. */
  cleanupCommand?: string[];
}

/** The monitor's health-check schedule (`command` is skiff's `healthcheck run ID`). */
export interface PlanHealth {
  intervalMs: number;
  /** From the container's start: the start interval applies (when not 0). */
  startPeriodMs: number;
  startIntervalMs: number;
  /** A check still running after this is killed with its process group (0: never). */
  deadlineMs?: number;
  command: string[];
}

/** The monitor's log driver: a file at `state.logPath` (rotated when maxSize is set), journald, or none. */
export interface PlanLog {
  driver: "k8s-file" | "json-file" | "journald" | "none";
  /** Rotate before the file passes this many bytes, keeping maxFile files. */
  maxSize?: number;
  maxFile?: number;
  /** journald's CONTAINER_TAG and SYSLOG_IDENTIFIER. */
  tag?: string;
  /** journald's socket. */
  journalSocket?: string;
}

/** The monitor's own clean-up after the container's last exit (no restart follows). */
export interface PlanExitActions {
  /** Remove `cgroupPaths` once the container's processes are reaped (leftovers are killed first). */
  removeCgroups: boolean;
  /** Network namespace files (made by a network driver) the monitor unmounts and removes first, with no process: the namespace then goes with the container's last process. */
  netnsRelease?: string[];
  /** A persistent copy of the exit record (written atomically), e.g. `R/containers/<id>/exit.json`, that survives a reboot emptying the run root. */
  exitRecord?: string;
  /**
   * `--rm`: directories removed recursively, in order, never following symlinks; with `lock`,
   * while holding that flock (the store's names lock for the container directory). With
   * `ifContent`, only a file holding exactly that text is removed (the name reservation).
   */
  remove: { path: string; lock?: string; ifContent?: string }[];
}
