/**
 * Starting a container: cgroups, the launch plan and runtime spec, then the
 * C monitor, which creates the namespaces and stays as the container's
 * parent. The network hook is where networking will attach (empty today:
 * a private network namespace with loopback only, or the host's).
 */
import { ExecError, FailedPreconditionError, wrap } from "../errors.ts";
import { writeFileAtomic, writeJsonAtomic } from "../store/atomic.ts";
import type { Store } from "../store/store.ts";
import { CgroupManager } from "./cgroups.ts";
import {
  containerDir,
  type ContainerRecord,
  containerRunDir,
  type ContainerState,
  namesDir,
  putState,
  ZERO_TIME,
} from "./container_store.ts";
import { startMonitor } from "./monitor_client.ts";
import type { PlanExitActions } from "./plan.ts";
import { serializePlan } from "./plan_format.ts";
import { readFromLayers } from "./rootfs_read.ts";
import { buildContainerConfig, findInitBinary } from "./spec.ts";
import { createdContainer } from "./create.ts";
import { currentState, EXIT_RECORD, procStartTime, waitMonitorDone } from "./state.ts";
import { resolveUser } from "./user.ts";
import { writeEtcFiles } from "./etc_files.ts";
import { anonymousVolumeName, prepareVolumes } from "./volumes.ts";
import { lowerDirs } from "./lower_dirs.ts";

export { lowerDirs };

/** Options of `startContainer`. */
export interface StartOptions {
  /** Hold the process until an attach client connects (foreground run, start -a). */
  waitForAttach?: boolean;
}

function kernelVersion(): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(Deno.osRelease());
  return m ? [Number(m[1]), Number(m[2])] : [5, 10];
}

/**
 * Starts a created or exited container and returns its new state.
 *
 * @example
 * ```ts
 * const state = await startContainer(store, rec, { waitForAttach: true });
 * ```
 */
export async function startContainer(
  store: Store,
  rec: ContainerRecord,
  opts: StartOptions = {},
): Promise<ContainerState> {
  const before = await currentState(store, rec);
  if (before.Status === "running" || before.Status === "paused") return before;
  await waitMonitorDone(store, rec); // a previous run's clean-up must not hit this one
  const dir = containerDir(store, rec.Id);
  const runDir = containerRunDir(store, rec.Id);
  await Deno.mkdir(runDir, { recursive: true, mode: 0o700 });
  for (const f of ["exit", "stopping", "restarts", "pid", "finished"]) {
    await Deno.remove(`${runDir}/${f}`).catch(() => {});
  }
  await Deno.remove(`${dir}/${EXIT_RECORD}`).catch(() => {});
  const o = rec.Options;
  const created = createdContainer(rec);
  const mgr = await CgroupManager.detect();
  const cgroupPaths = await mgr.create(rec.Id, created.Limits).catch((err) => {
    throw wrap(err, `create cgroup for ${rec.Name}`);
  });
  try {
    const lowers = await lowerDirs(store, rec);
    const layersTopFirst = [`${dir}/upper`, ...lowers];
    const user = await resolveUser(
      created.User,
      (p) => readFromLayers(layersTopFirst, p),
    );
    const volumes = await prepareVolumes(store, rec, layersTopFirst);
    const hostNetworkName = o.network === "host" && !o.hostname ? Deno.hostname() : undefined;
    const etcFiles = await writeEtcFiles(dir, hostNetworkName ?? rec.Hostname, o.network);
    const { plan, spec } = buildContainerConfig({
      id: rec.Id,
      container: created,
      options: o,
      layers: lowers,
      bundle: {
        upper: `${dir}/upper`,
        work: `${dir}/work`,
        merged: `${dir}/merged`,
        stateDir: runDir,
        logPath: `${dir}/ctr.log`,
      },
      user,
      cgroupPaths,
      volumes,
      // the monitor cleans up itself (exitActions below): no skiff process per exit
      cleanupCommand: [],
      networkHook: [],
      initBinary: o.init ? findInitBinary((p) => existsSync(p)) : undefined,
      cgroupVersion: mgr.mode.version,
      kernel: kernelVersion(),
      hostHostname: o.network === "host" ? Deno.hostname() : undefined,
      etcFiles,
    });
    plan.exitActions = await exitActions(store, rec, cgroupPaths);
    await clampDefaultRlimits(plan.process.rlimits, o.ulimits.map((u) => u.name));
    spec.process.rlimits = plan.process.rlimits.map((r) => ({
      type: `RLIMIT_${r.type.toUpperCase()}`,
      hard: r.hard,
      soft: r.soft,
    }));
    await writeJsonAtomic(`${dir}/config.json`, spec);
    await writeFileAtomic(`${dir}/plan`, serializePlan(plan, opts)); // read by the monitor
    const { pid } = await startMonitor(`${dir}/plan`);
    const monitorPid = Number((await Deno.readTextFile(`${runDir}/monitor.pid`)).trim());
    const state: ContainerState = {
      ...before,
      Status: "running",
      Pid: pid,
      MonitorPid: monitorPid,
      MonitorStartTime: await procStartTime(monitorPid),
      ExitCode: 0,
      Error: "",
      OOMKilled: false,
      StartedAt: new Date().toISOString(),
      FinishedAt: ZERO_TIME,
    };
    if (state.MonitorStartTime === undefined) {
      // The container already ended and its monitor is gone: keep the start, derive the end.
      state.MonitorStartTime = "gone";
    }
    await putState(store, rec.Id, state);
    return state;
  } catch (err) {
    await mgr.destroy(rec.Id, { kill: true }).catch(() => {});
    const failed: ContainerState = {
      ...before,
      Status: before.Status === "created" ? "created" : "exited",
      // Docker records 126/127 for a command that cannot be run
      ExitCode: err instanceof ExecError ? err.exitCode : before.ExitCode,
      Error: (err as Error).message,
    };
    await putState(store, rec.Id, failed).catch(() => {});
    throw err;
  }
}

/**
 * What the monitor does itself after the container's last exit: remove its cgroups, keep a
 * copy of the exit record in the data root, and for `--rm` remove the container's data
 * directory (under the names lock, as removeContainerRecord does), its anonymous volumes
 * and its run directory, the last one last (the monitor's own state lives there).
 */
async function exitActions(
  store: Store,
  rec: ContainerRecord,
  cgroupPaths: string[],
): Promise<PlanExitActions> {
  const dir = containerDir(store, rec.Id);
  const remove: PlanExitActions["remove"] = [];
  if (rec.Options.autoRemove) {
    remove.push({ path: dir, lock: `${store.locks}/names.lock` });
    remove.push({
      path: `${namesDir(store)}/${rec.Name}`,
      lock: `${store.locks}/names.lock`,
      ifContent: rec.Id,
    });
    for (const m of rec.Options.mounts) {
      if (m.type !== "volume" || m.name !== undefined) continue;
      remove.push({ path: `${store.volumes}/${await anonymousVolumeName(rec.Id, m.target)}` });
    }
    remove.push({ path: containerRunDir(store, rec.Id) });
  }
  return { removeCgroups: cgroupPaths.length > 0, exitRecord: `${dir}/${EXIT_RECORD}`, remove };
}

/**
 * Lowers default limits (not the user's --ulimit) to what this process may
 * set: without CAP_SYS_RESOURCE a hard limit cannot be raised, and Docker's
 * default nofile of 1048576 would make every start fail (Podman does the same).
 */
async function clampDefaultRlimits(
  rlimits: { type: string; soft: number; hard: number }[],
  userSet: string[],
): Promise<void> {
  const text = await Deno.readTextFile("/proc/self/limits").catch(() => "");
  const names: Record<string, string> = { nofile: "Max open files", nproc: "Max processes" };
  for (const r of rlimits) {
    if (userSet.includes(r.type) || !names[r.type]) continue;
    const line = text.split("\n").find((l) => l.startsWith(names[r.type]));
    const hard = line?.slice(names[r.type].length).trim().split(/\s+/)[1];
    if (!hard || hard === "unlimited") continue;
    const max = Number(hard);
    if (r.hard > max && !(await hasCapSysResource())) {
      r.hard = max;
      r.soft = Math.min(r.soft, max);
    }
  }
}

async function hasCapSysResource(): Promise<boolean> {
  const status = await Deno.readTextFile("/proc/self/status").catch(() => "");
  const eff = /CapEff:\s*([0-9a-f]+)/.exec(status)?.[1];
  return eff !== undefined && (BigInt(`0x${eff}`) & (1n << 24n)) !== 0n;
}

function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Refuses to act on a container that is not running. */
export function assertRunning(rec: ContainerRecord, state: ContainerState): void {
  if (state.Status !== "running" && state.Status !== "paused") {
    throw new FailedPreconditionError(`container ${rec.Id} is not running`);
  }
}
