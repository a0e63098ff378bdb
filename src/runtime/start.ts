/**
 * Starting a container: cgroups, the root file system, the network, the launch
 * plan and runtime spec, then the C monitor, which creates the namespaces and
 * stays as the container's parent. Each of these is a seam (`StartOptions`):
 * the host, the cgroup manager, the root file system provider, the network
 * driver and the id mapping, real ones by default and fakes in unit tests.
 */
import { HEALTH_FILE } from "./health_state.ts";
import { healthPlan } from "./health_plan.ts";
import { logPlan } from "./logs_plan.ts";
import { dieEventPlan, writeEventTemplate } from "./container_events.ts";
import { ExecError, FailedPreconditionError, wrap } from "../errors.ts";
import { rfc3339Nano } from "../units.ts";
import type { Store } from "../store/store.ts";
import { type Host, procStartTime, realHost } from "../sys/host.ts";
import { type Cgroups, detectCgroups } from "./cgroups.ts";
import {
  containerDir,
  type ContainerRecord,
  containerRunDir,
  type ContainerState,
  namesDir,
  putState,
  ZERO_TIME,
} from "./container_store.ts";
import { writeEtcFiles } from "./etc_files.ts";
import { hostIds, type IdMapper } from "./idmap.ts";
import { rootlessMapper } from "./userns_mapper.ts";
import { devptsData } from "./userns.ts";
import { resolveNamespaceJoins } from "./namespace_join.ts";
import { startMonitor } from "./monitor_client.ts";
import { type NetworkAttachment, type NetworkDriver, networkDriver } from "./network.ts";
import type { LaunchPlan, PlanExitActions } from "./plan.ts";
import { serializePlan } from "./plan_format.ts";
import { kernelOverlay, type RootfsProvider } from "./rootfs.ts";
import { buildContainerConfig, findInitBinary, INIT_BINARIES, type OciSpec } from "./spec.ts";
import { createdContainer } from "./create.ts";
import { currentState, EXIT_RECORD, waitMonitorDone } from "./state.ts";
import { canStart, isRunning } from "./status.ts";
import { resolveUser } from "./user.ts";
import { anonymousVolumeName, createBindSources, prepareVolumes } from "./volumes.ts";

export { lowerDirs } from "./lower_dirs.ts";

/** Options of `startContainer`: what to do, and the seams it acts through (real ones by default). */
export interface StartOptions {
  /** Hold the process until an attach client connects (foreground run, start -a). */
  waitForAttach?: boolean;
  /** The host (files, /proc, processes). */
  host?: Host;
  /** The cgroup manager (default: detected on the host). */
  cgroups?: Cgroups;
  /** The root file system provider (default: the kernel's overlay). */
  rootfs?: RootfsProvider;
  /** The network driver (default: the one for the container's --network). */
  network?: NetworkDriver;
  /** The id mapping (default: none, the host's ids; rootless, the user's ranges). */
  idMapper?: IdMapper;
}

function kernelVersion(host: Host): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(host.osRelease());
  return m ? [Number(m[1]), Number(m[2])] : [5, 10];
}

/**
 * Starts a created or exited container and returns its new state.
 *
 * @example
 * ```ts ignore
 * const state = await startContainer(store, rec, { waitForAttach: true });
 * ```
 */
export async function startContainer(
  store: Store,
  rec: ContainerRecord,
  opts: StartOptions = {},
): Promise<ContainerState> {
  const host = opts.host ?? realHost;
  const before = await currentState(store, rec, host);
  if (!canStart(before.Status)) return before;
  await waitMonitorDone(store, rec, undefined, host); // a previous run's clean-up must not hit this one
  const dir = containerDir(store, rec.Id);
  const runDir = containerRunDir(store, rec.Id);
  await host.mkdir(runDir, { recursive: true, mode: 0o700 });
  // restart-policy: one `update` gave the last run; the record has it now
  const stale = ["exit", "stopping", "restarts", "started", "pid", "finished", HEALTH_FILE];
  for (const f of [...stale, "restart-policy"]) {
    await host.remove(`${runDir}/${f}`).catch(() => {});
  }
  await host.remove(`${dir}/${EXIT_RECORD}`).catch(() => {});
  const o = rec.Options;
  const created = createdContainer(rec);
  const cgroups = (opts.cgroups ?? await detectCgroups(host)).forParent(created.CgroupParent);
  const cgroupPaths = await cgroups.create(rec.Id, created.Limits).catch((err) => {
    throw wrap(err, `create cgroup for ${rec.Name}`);
  });
  const network = opts.network ?? networkDriver(o.network);
  let networkUp = false;
  try {
    const root = await (opts.rootfs ?? kernelOverlay).prepare(store, rec);
    const user = await resolveUser(created.User, root.readFile, o.groupAdd);
    await createBindSources(rec, host);
    const volumes = await prepareVolumes(store, rec, root.layersTopFirst, host);
    const hostUts = o.network === "host" || o.namespaces?.uts === "host";
    const hostNetworkName = hostUts && !o.hostname ? host.hostname() : undefined;
    const namespaceJoins = await resolveNamespaceJoins(store, rec, host);
    const etcFiles = await writeEtcFiles(dir, hostNetworkName ?? rec.Hostname, o.network, host, o);
    const attachment = await network.setUp(rec);
    networkUp = true;
    const idMapper = opts.idMapper ??
      (host.uid() === 0 ? hostIds : rootlessMapper(host, (m) => console.error(`WARNING: ${m}`)));
    const idMappings = await idMapper.mappings(rec);
    const { plan, spec } = buildContainerConfig({
      id: rec.Id,
      container: created,
      options: o,
      layers: root.rootfs.lowerdirs,
      bundle: {
        upper: root.rootfs.upperdir,
        work: root.rootfs.workdir,
        merged: root.rootfs.target,
        stateDir: runDir,
        logPath: `${dir}/ctr.log`,
      },
      user,
      cgroupPaths,
      volumes,
      // run by the monitor itself (as are the exitActions below): no skiff process per exit
      cleanupCommand: attachment.teardown,
      networkHook: attachment.hook,
      ...(idMappings ? { idMappings } : {}),
      initBinary: o.init ? await findInit(host) : undefined,
      // Docker and Podman give a privileged container every device node of the host
      privilegedDevices: o.privileged ? await host.deviceNodes("/dev") : undefined,
      cgroupVersion: cgroups.version,
      kernel: kernelVersion(host),
      hostHostname: hostUts ? host.hostname() : undefined,
      namespaceJoins,
      etcFiles,
    });
    applyNetworkNamespace(plan, spec, attachment);
    if (idMappings) {
      for (const m of plan.mounts) {
        if (m.type === "devpts") m.data = devptsData(m.data, idMappings.gid);
      }
    }
    plan.health = healthPlan(store, rec, host);
    plan.log = logPlan(rec);
    plan.exitActions = await exitActions(store, rec, cgroupPaths);
    // die (and --rm's destroy) are written by the monitor: no skiff needs to be alive then
    await writeEventTemplate(store, rec, host);
    plan.dieEvent = dieEventPlan(store, rec.Id);
    await host.mkdir(`${store.root}/events`, { recursive: true, mode: 0o700 });
    if (attachment.releaseNamespace && attachment.namespace.kind === "own") {
      plan.exitActions.netnsRelease = attachment.namespace.path ? [attachment.namespace.path] : [];
    }
    await clampDefaultRlimits(host, plan.process.rlimits, o.ulimits.map((u) => u.name));
    spec.process.rlimits = plan.process.rlimits.map((r) => ({
      type: `RLIMIT_${r.type.toUpperCase()}`,
      hard: r.hard,
      soft: r.soft,
    }));
    await host.writeFileAtomic(`${dir}/config.json`, JSON.stringify(spec) + "\n");
    await host.writeFileAtomic(
      `${dir}/plan`,
      serializePlan(plan, { waitForAttach: opts.waitForAttach }),
    ); // read by the monitor
    const { pid } = await startMonitor(`${dir}/plan`, host);
    const monitorPid = Number((await host.readTextFile(`${runDir}/monitor.pid`)).trim());
    const state: ContainerState = {
      ...before,
      Status: "running",
      Pid: pid,
      MonitorPid: monitorPid,
      MonitorStartTime: await procStartTime(host, monitorPid),
      ExitCode: 0,
      Error: "",
      OOMKilled: false,
      StartedAt: rfc3339Nano(host.now()), // sub-millisecond digits kept, as docker prints them
      FinishedAt: ZERO_TIME,
    };
    if (state.MonitorStartTime === undefined) {
      // The container already ended and its monitor is gone: keep the start, derive the end.
      state.MonitorStartTime = "gone";
    }
    await putState(store, rec.Id, state, host);
    await network.started?.(rec);
    return state;
  } catch (err) {
    if (networkUp) await network.tearDown(rec).catch(() => {});
    await cgroups.destroy(rec.Id, { kill: true }).catch(() => {});
    const failed: ContainerState = {
      ...before,
      Status: before.Status === "created" ? "created" : "exited",
      // Docker records 126/127 for a command that cannot be run
      ExitCode: err instanceof ExecError ? err.exitCode : before.ExitCode,
      Error: (err as Error).message,
    };
    await putState(store, rec.Id, failed, host).catch(() => {});
    throw err;
  }
}

/** The first init binary present on the host. */
async function findInit(host: Host): Promise<string> {
  const present = new Set<string>();
  for (const path of INIT_BINARIES) if (await host.exists(path)) present.add(path);
  return findInitBinary((p) => present.has(p));
}

/**
 * Makes the plan and the spec join the network namespace the driver prepared, when it
 * made one beforehand (a namespace file); `none` and `host` leave them as built.
 */
function applyNetworkNamespace(plan: LaunchPlan, spec: OciSpec, att: NetworkAttachment): void {
  if (att.namespace.kind !== "own" || att.namespace.path === undefined) return;
  const path = att.namespace.path;
  const net = plan.namespaces.find((n) => n.type === "net");
  if (net) net.path = path;
  else plan.namespaces.push({ type: "net", path });
  const namespaces = spec.linux.namespaces as { type: string; path?: string }[];
  const ociNet = namespaces.find((n) => n.type === "network");
  if (ociNet) ociNet.path = path;
  else namespaces.push({ type: "network", path });
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
  host: Host,
  rlimits: { type: string; soft: number; hard: number }[],
  userSet: string[],
): Promise<void> {
  const text = await host.readTextFile("/proc/self/limits").catch(() => "");
  const names: Record<string, string> = { nofile: "Max open files", nproc: "Max processes" };
  for (const r of rlimits) {
    if (userSet.includes(r.type) || !names[r.type]) continue;
    const line = text.split("\n").find((l) => l.startsWith(names[r.type]));
    const hard = line?.slice(names[r.type].length).trim().split(/\s+/)[1];
    if (!hard || hard === "unlimited") continue;
    const max = Number(hard);
    if (r.hard > max && !(await hasCapSysResource(host))) {
      r.hard = max;
      r.soft = Math.min(r.soft, max);
    }
  }
}

async function hasCapSysResource(host: Host): Promise<boolean> {
  const status = await host.readTextFile("/proc/self/status").catch(() => "");
  const eff = /CapEff:\s*([0-9a-f]+)/.exec(status)?.[1];
  return eff !== undefined && (BigInt(`0x${eff}`) & (1n << 24n)) !== 0n;
}

/** Refuses to act on a container that is not running. */
export function assertRunning(rec: ContainerRecord, state: ContainerState): void {
  if (!isRunning(state.Status)) {
    throw new FailedPreconditionError(`Container ${rec.Id} is not running`); // docker's words
  }
}
