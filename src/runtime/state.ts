/**
 * A container's state is derived from the store plus the living processes:
 * the persisted state says what skiff last did, the run root says what the
 * monitor last wrote, and /proc says whether the monitor still lives. After
 * a reboot (run root emptied) or a `kill -9` of the monitor, a container is
 * shown as exited, never as running forever.
 */
import type { Store } from "../store/store.ts";
import { type Host, procStartTime as hostStartTime, readJsonFile, realHost } from "../sys/host.ts";
import {
  containerDir,
  type ContainerRecord,
  containerRunDir,
  type ContainerState,
  getState,
  putState,
  releaseNetnsFile,
} from "./container_store.ts";
import { DEFAULT_CGROUP_PARENT } from "./cgroups.ts";
import { isSupervised } from "./status.ts";
import { waitUntil } from "./wait.ts";

/** What the monitor writes into `<run dir>/exit` when the container ends. */
export interface ExitFile {
  exitCode: number;
  exitedAt: string;
  oomKilled: boolean;
  error?: string;
}

/** Name of the monitor's persistent copy of the exit file in the container's data directory. */
export const EXIT_RECORD = "exit.json";

/**
 * The monitor's exit record: the run root's `exit` (the newest, written on every exit), else
 * the copy in the data root, which survives a reboot that empties the run root.
 *
 * @example
 * ```ts ignore
 * const exit = await readExit(store, rec.Id); // undefined: the container never exited
 * ```
 */
export async function readExit(
  store: Store,
  id: string,
  host: Host = realHost,
): Promise<ExitFile | undefined> {
  const read = (path: string) => readJsonFile<ExitFile>(host, path).catch(() => undefined);
  return await read(`${containerRunDir(store, id)}/exit`) ??
    await read(`${containerDir(store, id)}/${EXIT_RECORD}`);
}

/** Process facts the state derivation needs, read through the host seam. */
export interface ProcessProbe {
  /** Start time (field 22 of /proc/PID/stat), undefined when the process does not exist. */
  startTime(pid: number): Promise<string | undefined>;
  /** Whether the container's cgroup (under its recorded parent, "" the default) is frozen. */
  frozen(id: string, parent?: string): Promise<boolean>;
}

/**
 * Reads /proc/PID/stat's start time (undefined: no such process, or a zombie).
 *
 * @example
 * ```ts ignore
 * const start = await procStartTime(pid);
 * ```
 */
export function procStartTime(pid: number, host: Host = realHost): Promise<string | undefined> {
  return hostStartTime(host, pid);
}

/**
 * The probe on a host: /proc and the freezer cgroup.
 *
 * @example
 * ```ts ignore
 * const probe = hostProbe(realHost);
 * ```
 */
export function hostProbe(host: Host): ProcessProbe {
  return {
    startTime: (pid) => hostStartTime(host, pid),
    async frozen(id: string, parent?: string) {
      const dir = `${(parent || DEFAULT_CGROUP_PARENT).replace(/^\/+/, "")}/${id}`;
      for (
        const path of [
          `/sys/fs/cgroup/freezer/${dir}/freezer.state`,
          `/sys/fs/cgroup/${dir}/cgroup.freeze`,
        ]
      ) {
        try {
          const text = (await host.readTextFile(path)).trim();
          return text === "FROZEN" || text === "FREEZING" || text === "1";
        } catch {
          // not this cgroup version
        }
      }
      return false;
    },
  };
}

/**
 * The container's current state, persisting any transition it discovers
 * (a running container whose monitor is gone becomes exited).
 *
 * @example
 * ```ts ignore
 * const state = await currentState(store, record);
 * if (state.Status === "running") ...
 * ```
 */
export async function currentState(
  store: Store,
  rec: ContainerRecord,
  host: Host = realHost,
): Promise<ContainerState> {
  const probe = hostProbe(host);
  const state = await getState(store, rec.Id, host);
  if (!isSupervised(state.Status)) return state;
  const runDir = containerRunDir(store, rec.Id);
  const monitorAlive = state.MonitorPid > 0 &&
    (await probe.startTime(state.MonitorPid)) === state.MonitorStartTime &&
    state.MonitorStartTime !== undefined;
  if (monitorAlive) {
    const pidText = await host.readTextFile(`${runDir}/pid`).catch(() => "");
    const exit = await readJsonFile<ExitFile>(host, `${runDir}/exit`).catch(() => undefined);
    // The monitor removes the pid file before it reaps the process (its zombie still holds
    // the pid), so after an exit a missing file means no process: never the pid of the state,
    // which the kernel may have given to another process since.
    const pid = Number(pidText.trim()) || (exit === undefined ? state.Pid : 0);
    const restarts = await readRestarts(host, runDir);
    const RestartCount = restarts > 0 ? restarts : state.RestartCount;
    const StartedAt = (await readRestartedAt(host, runDir)) ?? state.StartedAt;
    if (exit !== undefined && (pid === 0 || (await probe.startTime(pid)) === undefined)) {
      const finished = await host.exists(`${runDir}/finished`).catch(() => false);
      if (finished) {
        // No restart follows; the monitor is still running the clean-up, which persists this.
        return { ...exitedState(state, exit), RestartCount, StartedAt };
      }
      return { ...state, Pid: 0, Status: "restarting", RestartCount, StartedAt };
    }
    const paused = await probe.frozen(rec.Id, rec.CgroupParent);
    return { ...state, Pid: pid, Status: paused ? "paused" : "running", RestartCount, StartedAt };
  }
  // The monitor is gone: the container has ended (or must be treated as ended).
  const exit = await readExit(store, rec.Id, host);
  const restarts = await readRestarts(host, runDir);
  const ended: ContainerState = {
    ...exitedState(state, exit),
    RestartCount: restarts > 0 ? restarts : state.RestartCount,
    StartedAt: (await readRestartedAt(host, runDir)) ?? state.StartedAt,
  };
  if (!exit && state.Pid > 0 && await inContainerCgroup(host, state.Pid, rec.Id)) {
    // A container whose monitor was killed must not run on unsupervised. The pid is only
    // trusted while it is still in this container's cgroup: after a reboot it may be anyone's.
    try {
      host.kill(state.Pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  await putState(store, rec.Id, ended, host).catch(() => {});
  // The monitor's tear-down did not run: the namespace file would hold the container's
  // network (veth pair, address) until the container is removed or started again.
  await releaseNetnsFile(store, rec.Id, host).catch(() => {});
  return ended;
}

/** Whether `pid` is (still) a process of container `id`, judged by its cgroup. */
async function inContainerCgroup(host: Host, pid: number, id: string): Promise<boolean> {
  const cgroups = await host.readTextFile(`/proc/${pid}/cgroup`).catch(() => "");
  return cgroups.includes(`/${id}\n`) || cgroups.includes(`/${id}/`);
}

/** When the monitor last restarted the container (by its policy), if it did. */
async function readRestartedAt(host: Host, runDir: string): Promise<string | undefined> {
  const at = (await host.readTextFile(`${runDir}/started`).catch(() => "")).trim();
  return at === "" ? undefined : at;
}

/** How many times the monitor restarted the container (0 when unknown). */
async function readRestarts(host: Host, runDir: string): Promise<number> {
  const n = Number((await host.readTextFile(`${runDir}/restarts`).catch(() => "")).trim());
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/** The state of an ended container, from the monitor's exit file when there is one. */
function exitedState(state: ContainerState, exit: ExitFile | undefined): ContainerState {
  return {
    ...state,
    Status: "exited",
    Pid: 0,
    MonitorPid: 0,
    ExitCode: exit?.exitCode ?? 137,
    OOMKilled: exit?.oomKilled ?? false,
    Error: exit?.error ?? (exit ? "" : "container monitor exited unexpectedly"),
    FinishedAt: exit?.exitedAt ?? new Date().toISOString(),
  };
}

/**
 * Waits (up to `timeoutMs`) until the monitor recorded in the persisted state
 * has finished its clean-up: an exited container's monitor may still be
 * running `container cleanup`, which must not race a new start or a removal.
 *
 * @example
 * ```ts ignore
 * await waitMonitorDone(store, rec);
 * ```
 */
export async function waitMonitorDone(
  store: Store,
  rec: ContainerRecord,
  timeoutMs = 10_000,
  host: Host = realHost,
): Promise<void> {
  await waitUntil(async () => {
    const state = await getState(store, rec.Id, host);
    if (!state.MonitorPid || state.MonitorStartTime === undefined) return true;
    return (await hostStartTime(host, state.MonitorPid)) !== state.MonitorStartTime;
  }, { timeoutMs, initialDelayMs: 2, maxDelayMs: 50, clock: host });
}

/**
 * A monitor that runs for the container although the persisted state names none: a `run` or
 * `start` killed after it started the monitor and before it recorded the start. Its pid comes
 * from `<run dir>/monitor.pid` and is trusted only while that process's command line names the
 * container (the kernel may have given the pid to another process since). Undefined: none.
 *
 * @example
 * ```ts ignore
 * const stray = await unrecordedMonitor(store, rec);
 * ```
 */
export async function unrecordedMonitor(
  store: Store,
  rec: ContainerRecord,
  host: Host = realHost,
): Promise<{ pid: number; startTime: string } | undefined> {
  const text = await host.readTextFile(`${containerRunDir(store, rec.Id)}/monitor.pid`)
    .catch(() => "");
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const startTime = await hostStartTime(host, pid);
  if (startTime === undefined) return undefined;
  const cmdline = await host.readTextFile(`/proc/${pid}/cmdline`).catch(() => "");
  return cmdline.includes(rec.Id) ? { pid, startTime } : undefined;
}

/**
 * Waits (up to `timeoutMs`) until the process `pid` that started at `startTime` is gone;
 * resolves false when it still runs at the end.
 */
export async function waitProcessGone(
  host: Host,
  pid: number,
  startTime: string,
  timeoutMs: number,
): Promise<boolean> {
  return await waitUntil(async () => (await hostStartTime(host, pid)) !== startTime, {
    timeoutMs,
    initialDelayMs: 2,
    maxDelayMs: 50,
    clock: host,
  });
}
