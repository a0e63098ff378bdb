/**
 * A container's state is derived from the store plus the living processes:
 * the persisted state says what skiff last did, the run root says what the
 * monitor last wrote, and /proc says whether the monitor still lives. After
 * a reboot (run root emptied) or a `kill -9` of the monitor, a container is
 * shown as exited, never as running forever.
 */
import { readJson } from "../store/atomic.ts";
import type { Store } from "../store/store.ts";
import {
  containerDir,
  type ContainerRecord,
  containerRunDir,
  type ContainerState,
  getState,
  putState,
} from "./container_store.ts";

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
 * ```ts
 * const exit = await readExit(store, rec.Id); // undefined: the container never exited
 * ```
 */
export async function readExit(store: Store, id: string): Promise<ExitFile | undefined> {
  return await readJson<ExitFile>(`${containerRunDir(store, id)}/exit`).catch(() => undefined) ??
    await readJson<ExitFile>(`${containerDir(store, id)}/${EXIT_RECORD}`).catch(() => undefined);
}

/** Process facts the state derivation needs; a fake stands in for tests. */
export interface ProcessProbe {
  /** Start time (field 22 of /proc/PID/stat), undefined when the process does not exist. */
  startTime(pid: number): Promise<string | undefined>;
  /** Whether the container's cgroup is frozen (paused). */
  frozen(id: string): Promise<boolean>;
}

/** Reads /proc/PID/stat's start time. */
export async function procStartTime(pid: number): Promise<string | undefined> {
  if (!pid) return undefined;
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    // The command name may contain spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z") return undefined; // a zombie is as good as gone
    return fields[19];
  } catch {
    return undefined;
  }
}

/** The real probe: /proc and the freezer cgroup. */
export const realProbe: ProcessProbe = {
  startTime: procStartTime,
  async frozen(id: string) {
    for (
      const path of [
        `/sys/fs/cgroup/freezer/skiff/${id}/freezer.state`,
        `/sys/fs/cgroup/skiff/${id}/cgroup.freeze`,
      ]
    ) {
      try {
        const text = (await Deno.readTextFile(path)).trim();
        return text === "FROZEN" || text === "FREEZING" || text === "1";
      } catch {
        // not this cgroup version
      }
    }
    return false;
  },
};

/**
 * The container's current state, persisting any transition it discovers
 * (a running container whose monitor is gone becomes exited).
 *
 * @example
 * ```ts
 * const state = await currentState(store, record);
 * if (state.Status === "running") ...
 * ```
 */
export async function currentState(
  store: Store,
  rec: ContainerRecord,
  probe: ProcessProbe = realProbe,
): Promise<ContainerState> {
  const state = await getState(store, rec.Id);
  if (!["running", "paused", "restarting"].includes(state.Status)) return state;
  const runDir = containerRunDir(store, rec.Id);
  const monitorAlive = state.MonitorPid > 0 &&
    (await probe.startTime(state.MonitorPid)) === state.MonitorStartTime &&
    state.MonitorStartTime !== undefined;
  if (monitorAlive) {
    const pidText = await Deno.readTextFile(`${runDir}/pid`).catch(() => "");
    const pid = Number(pidText.trim()) || state.Pid;
    const exit = await readJson<ExitFile>(`${runDir}/exit`).catch(() => undefined);
    const restarts = await readRestarts(runDir);
    const RestartCount = restarts > 0 ? restarts : state.RestartCount;
    if (exit !== undefined && (await probe.startTime(pid)) === undefined) {
      const finished = await Deno.stat(`${runDir}/finished`).then(() => true, () => false);
      if (finished) {
        // No restart follows; the monitor is still running the clean-up, which persists this.
        return { ...exitedState(state, exit), RestartCount };
      }
      return { ...state, Pid: pid, Status: "restarting", RestartCount };
    }
    const paused = await probe.frozen(rec.Id);
    return { ...state, Pid: pid, Status: paused ? "paused" : "running", RestartCount };
  }
  // The monitor is gone: the container has ended (or must be treated as ended).
  const exit = await readExit(store, rec.Id);
  const restarts = await readRestarts(runDir);
  const ended: ContainerState = {
    ...exitedState(state, exit),
    RestartCount: restarts > 0 ? restarts : state.RestartCount,
  };
  if (!exit && state.Pid > 0 && await inContainerCgroup(state.Pid, rec.Id)) {
    // A container whose monitor was killed must not run on unsupervised. The pid is only
    // trusted while it is still in this container's cgroup: after a reboot it may be anyone's.
    try {
      Deno.kill(state.Pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  await putState(store, rec.Id, ended).catch(() => {});
  return ended;
}

/** Whether `pid` is (still) a process of container `id`, judged by its cgroup. */
async function inContainerCgroup(pid: number, id: string): Promise<boolean> {
  const cgroups = await Deno.readTextFile(`/proc/${pid}/cgroup`).catch(() => "");
  return cgroups.includes(`/${id}\n`) || cgroups.includes(`/${id}/`);
}

/** How many times the monitor restarted the container (0 when unknown). */
async function readRestarts(runDir: string): Promise<number> {
  const n = Number((await Deno.readTextFile(`${runDir}/restarts`).catch(() => "")).trim());
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
 * ```ts
 * await waitMonitorDone(store, rec);
 * ```
 */
export async function waitMonitorDone(
  store: Store,
  rec: ContainerRecord,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 2;
  while (Date.now() < deadline) {
    const state = await getState(store, rec.Id);
    if (!state.MonitorPid || state.MonitorStartTime === undefined) return;
    if ((await procStartTime(state.MonitorPid)) !== state.MonitorStartTime) return;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 50);
  }
}
