/**
 * How containers look to users and scripts: `ps` rows and the `inspect`
 * object, with Docker's field names and types (`Labels` is a string in ps,
 * a map in inspect).
 */
import { ago, goTime, statusWord } from "../units.ts";
import type { Store } from "../store/store.ts";
import { anonymousVolumeName } from "./volumes.ts";
import {
  containerDir,
  type ContainerRecord,
  containerRunDir,
  type ContainerState,
  ZERO_TIME,
} from "./container_store.ts";
import { isRunning } from "./status.ts";
import { lowerDirs } from "./lower_dirs.ts";
import { MASKED_PATHS, READONLY_PATHS } from "./spec.ts";
import { configHealthcheck, containerHealth } from "./health_view.ts";
import { DEFAULT_LOG_DRIVER, logKeepsFile } from "./logs_config.ts";
import { DEFAULT_SHM_SIZE, type ResourceOptions, type ThrottleDevice } from "./resource_options.ts";
import { namespaceHostConfig } from "./namespace_options.ts";
import type { RunOptions } from "./run_options.ts";

/** One row of `skiff ps`, as `docker ps --format '{{json .}}'` prints it. */
export interface ContainerRow {
  Command: string;
  CreatedAt: string;
  ID: string;
  Image: string;
  Labels: string;
  LocalVolumes: string;
  Mounts: string;
  Names: string;
  Networks: string;
  Ports: string;
  RunningFor: string;
  Size: string;
  State: string;
  Status: string;
}

function dockerTime(iso: string): string {
  const d = new Date(iso);
  if (isNaN(d.getTime())) return "";
  return d.toISOString().replace("T", " ").replace(/(\.\d+)?Z$/, " +0000 UTC");
}

/**
 * Docker's quoted, truncated command column: the path and the arguments, each argument that
 * holds a space in single quotes, as docker's daemon joins them (`"sh -c 'exit 0'"`).
 */
export function commandColumn(rec: ContainerRecord, noTrunc: boolean): string {
  let cmd = [rec.Path, ...rec.Args.map((a) => a.includes(" ") ? `'${a}'` : a)].join(" ");
  if (!noTrunc && [...cmd].length > 20) cmd = [...cmd].slice(0, 19).join("") + "…";
  return JSON.stringify(cmd);
}

/** Docker's human status: "Up 3 seconds", "Exited (0) 2 minutes ago", "Created". */
export function statusText(state: ContainerState, now = Date.now(), health?: string): string {
  return statusWord({
    status: state.Status,
    startedAt: state.StartedAt === ZERO_TIME ? undefined : state.StartedAt,
    finishedAt: state.FinishedAt === ZERO_TIME ? undefined : state.FinishedAt,
    exitCode: state.ExitCode,
    now,
    ...(health ? { health } : {}),
  });
}

/** A `ps` row for a container. */
export function containerRow(
  rec: ContainerRecord,
  state: ContainerState,
  opts: { noTrunc: boolean; now?: number; health?: string },
): ContainerRow {
  const mounts = rec.Options.mounts.flatMap((m) => m.type === "volume" ? [m.name ?? ""] : []);
  return {
    Command: commandColumn(rec, opts.noTrunc),
    CreatedAt: dockerTime(rec.Created),
    ID: opts.noTrunc ? rec.Id : rec.Id.slice(0, 12),
    Image: rec.ImageName,
    // sorted as Docker's CLI sorts the key=value strings
    Labels: Object.entries(rec.Labels).map(([k, v]) => `${k}=${v}`).sort().join(","),
    LocalVolumes: String(mounts.length),
    Mounts: mounts.join(","),
    Names: rec.Name,
    // every network, sorted and comma-separated as docker's CLI prints them
    Networks: rec.Options.networks
      ? rec.Options.networks.map((n) => n.name).sort().join(",")
      : rec.Options.network === "private"
      ? ""
      : String(rec.Options.network),
    Ports: "",
    RunningFor: ago(rec.Created, opts.now),
    Size: "0B",
    State: state.Status,
    Status: statusText(state, opts.now, opts.health),
  };
}

/** The object `skiff inspect` prints for a container, in Docker's shape. */
export async function inspectContainer(
  store: Store,
  rec: ContainerRecord,
  state: ContainerState,
): Promise<Record<string, unknown>> {
  const o = rec.Options;
  const volumeNames = new Map<string, string>();
  for (const m of o.mounts) {
    if (m.type === "volume") {
      volumeNames.set(m.target, m.name ?? await anonymousVolumeName(rec.Id, m.target));
    }
  }
  const dir = containerDir(store, rec.Id);
  const health = await containerHealth(store, rec, state);
  const healthcheck = configHealthcheck(rec);
  const logConfig = o.logConfig ?? { Type: DEFAULT_LOG_DRIVER, Config: {} };
  return {
    Id: rec.Id,
    Created: goTime(rec.Created), // RFC3339Nano, as docker prints its times
    Path: rec.Path,
    Args: rec.Args,
    State: {
      Status: state.Status,
      Running: isRunning(state.Status),
      Paused: state.Status === "paused",
      Restarting: state.Status === "restarting",
      OOMKilled: state.OOMKilled,
      Dead: state.Status === "dead",
      Pid: state.Pid,
      ExitCode: state.ExitCode,
      Error: state.Error,
      StartedAt: goTime(state.StartedAt),
      FinishedAt: goTime(state.FinishedAt),
      ...(health ? { Health: health } : {}),
    },
    Image: rec.Image,
    // the files bound over the container's /etc ones, once its first start wrote them
    ResolvConfPath: await existing(`${dir}/resolv.conf`),
    HostnamePath: await existing(`${dir}/hostname`),
    HostsPath: await existing(`${dir}/hosts`),
    LogPath: logKeepsFile(logConfig.Type) ? `${dir}/ctr.log` : "",
    Name: `/${rec.Name}`,
    RestartCount: state.RestartCount,
    Driver: "overlay",
    Platform: "linux",
    MountLabel: "",
    ProcessLabel: "",
    AppArmorProfile: "",
    ExecIDs: null,
    HostConfig: {
      Binds: nullIfEmpty(
        o.mounts.flatMap((m) =>
          m.type === "bind"
            ? [`${m.source}:${m.target}${m.readonly ? ":ro" : ""}`]
            : m.type === "volume" && m.name !== undefined
            ? [`${m.name}:${m.target}${m.readonly ? ":ro" : ""}`]
            : []
        ),
      ),
      LogConfig: struct({ Type: logConfig.Type, Config: logConfig.Config ?? {} }),
      // no --network: docker's word for its default (bridge) network mode
      NetworkMode: o.network === "private" ? "default" : o.network,
      Dns: o.dns ?? [],
      DnsOptions: o.dnsOptions ?? [],
      DnsSearch: o.dnsSearch ?? [],
      ExtraHosts: o.extraHosts?.length ? o.extraHosts : null,
      RestartPolicy: struct({ Name: o.restart.name, MaximumRetryCount: o.restart.maxRetries }),
      AutoRemove: o.autoRemove,
      CapAdd: o.capAdd.length ? o.capAdd : null,
      GroupAdd: o.groupAdd?.length ? o.groupAdd : null,
      CapDrop: o.capDrop.length ? o.capDrop : null,
      Privileged: o.privileged,
      ReadonlyRootfs: o.readOnly,
      SecurityOpt: null,
      Tmpfs: Object.fromEntries(
        o.mounts.flatMap((m) => m.type === "tmpfs" ? [[m.target, m.options.join(",")]] : []),
      ),
      Memory: o.memory ?? 0,
      MemorySwap: o.memorySwap ?? 0,
      NanoCpus: o.cpus ?? 0,
      CpuShares: o.cpuShares ?? 0,
      PidsLimit: o.pidsLimit ?? null,
      CgroupParent: rec.CgroupParent ?? "",
      ...resourceHostConfig(o.resources ?? {}),
      ...namespaceHostConfig(o.namespaces ?? {}),
      ...deviceHostConfig(o),
      Ulimits: nullIfEmpty(o.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard }))),
      Init: o.init,
      ...fixedHostConfig(o.privileged),
      ...(o.usernsMode ? { UsernsMode: o.usernsMode } : {}),
      ...(o.volumeDriver ? { VolumeDriver: o.volumeDriver } : {}),
      ...(o.links?.length
        ? { Links: o.links.map((l) => `/${l.name ?? l.container}:/${rec.Name}/${l.alias}`) }
        : {}),
    },
    GraphDriver: {
      Data: {
        LowerDir: (await lowerDirs(store, rec).catch(() => [])).join(":") || undefined,
        // a Go map: keys sorted
        MergedDir: `${dir}/merged`,
        UpperDir: `${dir}/upper`,
        WorkDir: `${dir}/work`,
      },
      Name: "overlay",
    },
    Mounts: o.mounts.flatMap((m) => {
      if (m.type === "tmpfs") return [];
      const common = { Destination: m.target, Mode: m.readonly ? "ro" : "", RW: !m.readonly };
      return m.type === "volume"
        ? [{
          Type: "volume",
          Name: volumeNames.get(m.target),
          Source: `${store.volumes}/${volumeNames.get(m.target)}/_data`,
          Destination: m.target,
          Driver: "local",
          // docker's mode of a named volume given without one (its SELinux relabel default)
          Mode: m.readonly ? "ro" : m.name !== undefined ? "z" : "",
          RW: common.RW,
          Propagation: "",
        }]
        : [{ Type: "bind", Source: m.source, ...common, Propagation: m.propagation }];
    }),
    Config: {
      Hostname: rec.Hostname,
      Domainname: o.domainname ?? "",
      User: rec.User,
      AttachStdin: o.interactive || (o.attach?.stdin ?? false),
      AttachStdout: o.attach?.stdout ?? true,
      AttachStderr: o.attach?.stderr ?? true,
      Tty: o.tty,
      OpenStdin: o.interactive,
      StdinOnce: false,
      Env: rec.Env,
      Cmd: o.cmd.length ? o.cmd : rec.Args,
      Image: rec.ImageName,
      // the anonymous volumes (`-v /data`), as docker keeps them in the config
      Volumes: nullIfEmpty(
        o.mounts.flatMap((m) => m.type === "volume" && m.name === undefined ? [m.target] : []),
      )?.reduce((acc, t) => ({ ...acc, [t]: {} }), {} as Record<string, Record<never, never>>) ??
        null,
      WorkingDir: rec.WorkingDir,
      Entrypoint: o.entrypoint === undefined ? null : o.entrypoint ? [o.entrypoint] : null,
      ...(healthcheck ? { Healthcheck: healthcheck } : {}),
      OnBuild: null,
      // a Go map: its keys come out sorted
      Labels: Object.fromEntries(
        Object.entries(rec.Labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      ),
      StopSignal: rec.StopSignal,
      StopTimeout: rec.StopTimeout,
    },
    NetworkSettings: {
      Bridge: "",
      SandboxID: "",
      Ports: {},
      SandboxKey: "",
      IPAddress: "",
      Networks: {},
    },
    RunDir: containerRunDir(store, rec.Id),
  };
}

/**
 * `o`, marked as a Go struct for the templates (`Symbol.for("skiff.goStruct")`, read by
 * src/cli/template.ts): `{{.HostConfig.RestartPolicy}}` prints `{on-failure 3}` as docker's,
 * not `map[...]`. The mark is not enumerable, so JSON does not show it.
 */
function struct<T extends object>(o: T): T {
  return Object.defineProperty(o, Symbol.for("skiff.goStruct"), { value: true });
}

/** `path` when it exists, else "". */
async function existing(path: string): Promise<string> {
  return await Deno.lstat(path).then(() => path, () => "");
}

/** `list`, or null when it is empty (docker's JSON for a Go slice never set). */
function nullIfEmpty<T>(list: T[]): T[] | null {
  return list.length ? list : null;
}

/**
 * Docker's HostConfig fields that skiff has no option for (their zero values, as docker shows
 * them for a container created without those options), and the paths it masks or makes
 * read-only.
 */
function fixedHostConfig(privileged: boolean): Record<string, unknown> {
  return {
    ContainerIDFile: "",
    VolumeDriver: "",
    Cgroup: "",
    Links: null,
    UsernsMode: "",
    ConsoleSize: [0, 0],
    KernelMemoryTCP: 0,
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    MaskedPaths: privileged ? null : [...MASKED_PATHS],
    ReadonlyPaths: privileged ? null : [...READONLY_PATHS],
  };
}

/** Docker's HostConfig fields of --device, --device-cgroup-rule and --volumes-from, and the runtime. */
function deviceHostConfig(o: RunOptions): Record<string, unknown> {
  return {
    Devices: (o.devices ?? []).map((d) => ({
      PathOnHost: d.pathOnHost,
      PathInContainer: d.pathInContainer,
      CgroupPermissions: d.cgroupPermissions,
    })),
    DeviceCgroupRules: o.deviceCgroupRules?.length ? [...o.deviceCgroupRules] : null,
    // --gpus as docker records it: Count -1 for all, the ids for device=
    DeviceRequests: o.gpus
      ? [{
        Driver: "",
        Count: o.gpus.kind === "all" ? -1 : o.gpus.kind === "count" ? o.gpus.count : 0,
        DeviceIDs: o.gpus.kind === "devices" ? [...o.gpus.ids] : null,
        Capabilities: [["gpu"]],
        Options: {},
      }]
      : null,
    VolumesFrom: o.volumesFrom?.length ? [...o.volumesFrom] : null,
    Runtime: "runc",
    Isolation: "",
  };
}

/** Docker's HostConfig fields of the resource options (--cpu-period, --blkio-weight...). */
function resourceHostConfig(r: ResourceOptions): Record<string, unknown> {
  const rates = (list: ThrottleDevice[] | undefined) =>
    (list ?? []).map((d) => ({ Path: d.path, Rate: d.rate }));
  return {
    CgroupnsMode: r.cgroupns ?? "",
    ShmSize: r.shmSize || DEFAULT_SHM_SIZE,
    BlkioWeight: r.blkioWeight ?? 0,
    BlkioWeightDevice: (r.blkioWeightDevice ?? []).map((d) => ({ Path: d.path, Weight: d.weight })),
    BlkioDeviceReadBps: rates(r.deviceReadBps),
    BlkioDeviceWriteBps: rates(r.deviceWriteBps),
    BlkioDeviceReadIOps: rates(r.deviceReadIops),
    BlkioDeviceWriteIOps: rates(r.deviceWriteIops),
    CpuPeriod: r.cpuPeriod ?? 0,
    CpuQuota: r.cpuQuota ?? 0,
    CpuRealtimePeriod: r.cpuRtPeriod ?? 0,
    CpuRealtimeRuntime: r.cpuRtRuntime ?? 0,
    CpusetCpus: r.cpusetCpus ?? "",
    CpusetMems: r.cpusetMems ?? "",
    KernelMemory: 0,
    MemoryReservation: r.memoryReservation ?? 0,
    MemorySwappiness: r.memorySwappiness ?? null,
    OomKillDisable: r.oomKillDisable ?? false,
    OomScoreAdj: r.oomScoreAdj ?? 0,
  };
}
