/**
 * A container on the fake host, for unit tests of the lifecycle (start, stop, remove, state,
 * exec) without root: a store laid out in the fake's file tree, a record, recording fakes of
 * the cgroup manager, the root file system provider and the network driver, and a monitor
 * that the fake host "runs" by reading the plan and putting processes in its table.
 */
import type { CgroupLimits, Cgroups, CgroupStats } from "../../src/runtime/cgroups.ts";
import {
  type ContainerRecord,
  type ContainerState,
  createdState,
} from "../../src/runtime/container_store.ts";
import type { NetworkAttachment, NetworkDriver } from "../../src/runtime/network.ts";
import { parseLine } from "../../src/runtime/plan_format.ts";
import type { PreparedRoot, RootfsProvider } from "../../src/runtime/rootfs.ts";
import { defaultRunOptions, type RunOptions } from "../../src/runtime/run_options.ts";
import { deriveContainer } from "../../src/runtime/create.ts";
import { type Store, storeLayout } from "../../src/store/store.ts";
import { FakeHost } from "../../src/sys/fake_host.ts";

/** The container's id. */
export const ID = "c0ffee".padEnd(64, "0");
/** The store, in the fake's tree. */
export const store: Store = storeLayout({ root: "/var/lib/skiff", runroot: "/run/skiff" });
/** The container's data and run directories. */
export const DIR = `${store.containers}/${ID}`;
export const RUN_DIR = `${store.runContainers}/${ID}`;
/** Pids the fake monitor gives the monitor and the container's first process. */
export const MONITOR_PID = 900;
export const PID = 901;

/**
 * A record of a `busybox sleep 60` container with `options` over the defaults, with what create
 * decides from them (user, limits, environment...) as create decides it.
 */
export function record(options: Partial<RunOptions> = {}): ContainerRecord {
  const opts = { ...defaultRunOptions(), cmd: ["sleep", "60"], ...options };
  const config = { Cmd: ["sleep", "60"], Env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"] };
  return {
    Id: ID,
    Name: "web",
    Image: "sha256:" + "1".repeat(64),
    ImageName: "busybox",
    Created: "2026-01-01T00:00:00Z",
    Layers: ["sha256:" + "2".repeat(64)],
    ...deriveContainer(ID, config, opts),
    Options: opts,
    ImageConfig: config,
  };
}

/** What happened, in order, across the fakes of one scene ("cgroups create", "monitor start"...). */
export type Events = string[];

/** A cgroup manager that records its calls and keeps no files. */
export class FakeCgroups implements Cgroups {
  readonly version: 1 | 2 = 2;
  /** The limits each container was created with. */
  limits = new Map<string, CgroupLimits | undefined>();
  /** Pids by container, as cgroup.procs would list them. */
  members = new Map<string, number[]>();
  constructor(readonly events: Events = [], readonly parent = "skiff") {}
  /** The same fake, its events shared, under `parent` ("" or undefined: "skiff"). */
  forParent(parent: string | undefined): Cgroups {
    if (!parent) return this;
    const child = new FakeCgroups(this.events, parent.replace(/^\/+/, ""));
    [child.limits, child.members] = [this.limits, this.members];
    return child;
  }
  /** One v2 directory. */
  paths(id: string): string[] {
    return [`/sys/fs/cgroup/${this.parent}/${id}`];
  }
  /** The container as events name it: its id, and its parent when not the default. */
  #name(id: string): string {
    return this.parent === "skiff" ? id : `${id} in ${this.parent}`;
  }
  /** Records the limits. */
  create(id: string, limits?: CgroupLimits): Promise<string[]> {
    this.events.push(`cgroups create ${this.#name(id)}`);
    this.limits.set(id, limits);
    return Promise.resolve(this.paths(id));
  }
  /** Records the removal. */
  destroy(id: string, options: { kill?: boolean } = {}): Promise<void> {
    this.events.push(`cgroups destroy ${this.#name(id)}${options.kill ? " kill" : ""}`);
    this.limits.delete(id);
    return Promise.resolve();
  }
  /** Records the freeze. */
  freeze(id: string): Promise<void> {
    this.events.push(`cgroups freeze ${this.#name(id)}`);
    return Promise.resolve();
  }
  /** Records the thaw. */
  thaw(id: string): Promise<void> {
    this.events.push(`cgroups thaw ${this.#name(id)}`);
    return Promise.resolve();
  }
  /** Zero figures. */
  stats(): Promise<CgroupStats> {
    return Promise.resolve({ cpuUsageNs: 0, memoryUsage: 0, pids: 0 });
  }
  /** Never. */
  oomKilled(): Promise<boolean> {
    return Promise.resolve(false);
  }
  /** `members`. */
  pids(id: string): Promise<number[]> {
    return Promise.resolve(this.members.get(id) ?? []);
  }
}

/** A root of two layers whose /etc/passwd knows root and `app` (uid 1000). */
export class FakeRootfs implements RootfsProvider {
  constructor(readonly events: Events = []) {}
  /** Records the call; the layers are fixed. */
  prepare(_store: Store, rec: ContainerRecord): Promise<PreparedRoot> {
    this.events.push(`rootfs prepare ${rec.Id}`);
    const dir = `${store.containers}/${rec.Id}`;
    const files: Record<string, string> = {
      "/etc/passwd": "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n",
      "/etc/group": "root:x:0:\napp:x:1000:\nwheel:x:10:app\n",
    };
    return Promise.resolve({
      rootfs: {
        lowerdirs: ["/layers/top", "/layers/base"],
        upperdir: `${dir}/upper`,
        workdir: `${dir}/work`,
        target: `${dir}/merged`,
      },
      layersTopFirst: [`${dir}/upper`, "/layers/top", "/layers/base"],
      readFile: (path) => Promise.resolve(files[path]),
    });
  }
}

/** A network driver that made a namespace file and has a hook and a tear-down command. */
export class FakeNetwork implements NetworkDriver {
  readonly name = "fake";
  constructor(
    readonly events: Events = [],
    readonly attachment: NetworkAttachment = {
      namespace: { kind: "own", path: "/run/skiff/netns/fake" },
      hook: ["/usr/libexec/skiff-net", "up"],
      teardown: ["/usr/libexec/skiff-net", "down"],
    },
  ) {}
  /** Records the set-up. */
  setUp(rec: ContainerRecord): Promise<NetworkAttachment> {
    this.events.push(`network up ${rec.Id}`);
    return Promise.resolve(this.attachment);
  }
  /** Records the tear-down. */
  tearDown(rec: ContainerRecord): Promise<void> {
    this.events.push(`network down ${rec.Id}`);
    return Promise.resolve();
  }
}

/** The plan's directives as [word, ...fields] lines. */
export function planLines(text: string): string[][] {
  return text.split("\n").slice(1).filter((l) => l !== "").map(parseLine);
}

/** A fake host with the store's directories, the container's record and `state`. */
export function scene(
  rec: ContainerRecord,
  state: Partial<ContainerState> = {},
): { host: FakeHost; events: Events } {
  const host = new FakeHost();
  for (const d of [store.containers, store.runContainers, store.locks, store.tmp, store.volumes]) {
    host.addDir(d);
  }
  host.addDir(DIR);
  host.addDir(RUN_DIR);
  host.addDir(`${store.root}/names`);
  host.addFile(`${store.root}/names/${rec.Name}`, rec.Id);
  host.addFile(`${DIR}/container.json`, JSON.stringify(rec));
  host.addFile(`${DIR}/state.json`, JSON.stringify({ ...createdState(), ...state }));
  host.addFile("/proc/self/limits", "Max open files            1024                 1048576\n");
  host.addFile("/proc/self/status", "CapEff:\t000001ffffffffff\n");
  // one cgroup v2 hierarchy, where exec finds the container's cgroups to join
  host.addFile("/proc/self/mountinfo", "30 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
  host.addFile("/etc/hosts", "127.0.0.1 localhost\n");
  host.addFile("/etc/resolv.conf", "nameserver 10.0.0.2\n");
  return { host, events: [] };
}

/**
 * A running container: its monitor and first process in the fake's table, its state saying so.
 * When the first process ends by a signal, the "monitor" writes the exit file and ends too.
 */
export function runningScene(
  rec: ContainerRecord,
  opts: { status?: "running" | "paused" | "restarting"; ignores?: string[] } = {},
): { host: FakeHost; events: Events } {
  const s = scene(rec, {
    Status: opts.status ?? "running",
    Pid: PID,
    MonitorPid: MONITOR_PID,
    MonitorStartTime: "500",
    StartedAt: "2026-01-01T00:00:01Z",
  });
  const { host } = s;
  host.addProcess(MONITOR_PID, { startTime: "500" });
  host.addProcess(PID, {
    startTime: "501",
    cgroup: `0::/skiff/${rec.Id}\n`,
    ignores: opts.ignores,
  });
  host.addFile(`${RUN_DIR}/pid`, String(PID));
  host.onExit = (pid, signal) => {
    if (pid !== PID) return;
    const code = signal === "SIGKILL" ? 137 : 143;
    host.addFile(
      `${RUN_DIR}/exit`,
      JSON.stringify({
        exitCode: code,
        exitedAt: new Date(host.now()).toISOString(),
        oomKilled: false,
      }),
    );
    host.addFile(`${RUN_DIR}/finished`, "");
    host.processes.delete(MONITOR_PID);
  };
  return s;
}
