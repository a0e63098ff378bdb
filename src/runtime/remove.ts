/**
 * Removing a container and cleaning up after one: cgroups, runtime state,
 * its directories, and with `-v` its anonymous volumes.
 */
import { FailedPreconditionError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import { getVolume, removeVolume } from "../store/volumes.ts";
import { CgroupManager } from "./cgroups.ts";
import {
  type ContainerRecord,
  containerRunDir,
  getState,
  putState,
  removeContainerRecord,
} from "./container_store.ts";
import { currentState, readExit, waitMonitorDone } from "./state.ts";
import { stopContainer } from "./stop.ts";
import { anonymousVolumeName } from "./volumes.ts";

/**
 * Records the exit and frees the container's resources. The monitor does this itself when
 * the container exits (the plan's exitActions); `skiff container cleanup` runs this for a
 * container whose monitor was killed, and it is harmless when the monitor already did it.
 */
export async function cleanupContainer(store: Store, rec: ContainerRecord): Promise<void> {
  const runDir = containerRunDir(store, rec.Id);
  const exit = await readExit(store, rec.Id);
  const state = await getState(store, rec.Id);
  if (exit) {
    const restarts = Number(
      (await Deno.readTextFile(`${runDir}/restarts`).catch(() => "0")).trim(),
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
    });
  }
  const mgr = await CgroupManager.detect();
  await mgr.destroy(rec.Id, { kill: true }).catch(() => {});
  if (rec.Options.autoRemove) {
    await removeContainer(store, rec, { force: true, volumes: true, fromMonitor: true });
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
 * ```ts
 * await removeContainer(store, rec, { force: true, volumes: false });
 * ```
 */
export async function removeContainer(
  store: Store,
  rec: ContainerRecord,
  opts: RemoveOptions,
): Promise<void> {
  const state = await currentState(store, rec);
  if (state.Status === "running" || state.Status === "paused" || state.Status === "restarting") {
    if (!opts.force) {
      throw new FailedPreconditionError(
        `cannot remove container "${rec.Name}": container is running: stop the container before removing or force remove`,
      );
    }
    await stopContainer(store, rec, 0, "SIGKILL");
  }
  if (!opts.fromMonitor) await waitMonitorDone(store, rec);
  const mgr = await CgroupManager.detect();
  await mgr.destroy(rec.Id, { kill: true }).catch(() => {});
  await removeContainerRecord(store, rec.Id);
  if (opts.volumes) {
    for (const m of rec.Options.mounts) {
      if (m.type !== "volume" || m.name !== undefined) continue;
      const name = await anonymousVolumeName(rec.Id, m.target);
      if (await getVolume(store, name)) await removeVolume(store, name).catch(() => {});
    }
  }
}
