/**
 * Removing a container and cleaning up after one: cgroups, runtime state,
 * its directories, and with `-v` its anonymous volumes.
 */
import { FailedPreconditionError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import { getVolume, removeVolume } from "../store/volumes.ts";
import { type Host, realHost } from "../sys/host.ts";
import { type Cgroups, detectCgroups } from "./cgroups.ts";
import {
  type ContainerRecord,
  containerRunDir,
  getState,
  putState,
  removeContainerRecord,
} from "./container_store.ts";
import {
  currentState,
  readExit,
  unrecordedMonitor,
  waitMonitorDone,
  waitProcessGone,
} from "./state.ts";
import { canRemove, isSupervised } from "./status.ts";
import { stopContainer } from "./stop.ts";
import { anonymousVolumeName } from "./volumes.ts";

/** What removal acts through; the real host and its cgroups by default. */
export interface RemoveEnv {
  host?: Host;
  /** The cgroup manager (default: detected on the host). */
  cgroups?: Cgroups;
  /** Removes an anonymous volume if it exists (default: from the store, errors ignored). */
  removeVolume?: (store: Store, name: string) => Promise<void>;
}

/**
 * Records the exit and frees the container's resources. The monitor does this itself when
 * the container exits (the plan's exitActions); `skiff container cleanup` runs this for a
 * container whose monitor was killed, and it is harmless when the monitor already did it.
 *
 * @example
 * ```ts ignore
 * await cleanupContainer(store, rec);
 * ```
 */
export async function cleanupContainer(
  store: Store,
  rec: ContainerRecord,
  env: RemoveEnv = {},
): Promise<void> {
  const host = env.host ?? realHost;
  const runDir = containerRunDir(store, rec.Id);
  const exit = await readExit(store, rec.Id, host);
  const state = await getState(store, rec.Id, host);
  if (exit) {
    const restarts = Number(
      (await host.readTextFile(`${runDir}/restarts`).catch(() => "0")).trim(),
    ) || 0;
    await putState(store, rec.Id, {
      ...state,
      Status: "exited",
      Pid: 0,
      MonitorPid: 0,
      ExitCode: exit.exitCode,
      OOMKilled: exit.oomKilled,
      Error: exit.error ?? "",
      FinishedAt: exit.exitedAt,
      RestartCount: Math.max(restarts, state.RestartCount),
    }, host);
  }
  const cgroups = (env.cgroups ?? await detectCgroups(host)).forParent(rec.CgroupParent);
  await cgroups.destroy(rec.Id, { kill: true }).catch(() => {});
  if (rec.Options.autoRemove) {
    await removeContainer(store, rec, { force: true, volumes: true, fromMonitor: true }, {
      ...env,
      cgroups,
    });
  }
}

/** Options of `removeContainer`. */
export interface RemoveOptions {
  force: boolean;
  volumes: boolean;
  /** Called by the monitor's own clean-up: do not wait for the monitor to finish. */
  fromMonitor?: boolean;
}

/**
 * Removes a container; a running one only with `force` (killed first).
 *
 * @example
 * ```ts ignore
 * await removeContainer(store, rec, { force: true, volumes: false });
 * ```
 */
export async function removeContainer(
  store: Store,
  rec: ContainerRecord,
  opts: RemoveOptions,
  env: RemoveEnv = {},
): Promise<void> {
  const host = env.host ?? realHost;
  const state = await currentState(store, rec, host);
  if (!canRemove(state.Status, opts.force)) {
    throw new FailedPreconditionError(
      `cannot remove container "${rec.Name}": container is running: stop the container before removing or force remove`,
    );
  }
  if (isSupervised(state.Status)) await stopContainer(store, rec, 0, "SIGKILL", env);
  const cgroups = (env.cgroups ?? await detectCgroups(host)).forParent(rec.CgroupParent);
  if (!opts.fromMonitor) {
    await waitMonitorDone(store, rec, undefined, host);
    // A monitor the state does not name (its `run` was killed before recording the start)
    // would write its exit into the run directory as it is removed: its container is killed
    // and the monitor given time to finish; one that does not finish is killed too.
    const stray = isSupervised(state.Status)
      ? undefined
      : await unrecordedMonitor(store, rec, host);
    if (stray) {
      await cgroups.destroy(rec.Id, { kill: true }).catch(() => {});
      if (!await waitProcessGone(host, stray.pid, stray.startTime, 10_000)) {
        try {
          host.kill(stray.pid, "SIGKILL");
        } catch {
          // gone meanwhile
        }
      }
    }
  }
  await cgroups.destroy(rec.Id, { kill: true }).catch(() => {});
  await removeContainerRecord(store, rec.Id, host);
  if (opts.volumes) {
    const remove = env.removeVolume ?? removeAnonymousVolume;
    for (const m of rec.Options.mounts) {
      if (m.type !== "volume" || m.name !== undefined) continue;
      await remove(store, await anonymousVolumeName(rec.Id, m.target));
    }
  }
}

async function removeAnonymousVolume(store: Store, name: string): Promise<void> {
  if (await getVolume(store, name)) await removeVolume(store, name).catch(() => {});
}
