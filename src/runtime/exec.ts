/**
 * Running a process inside a running container (`skiff exec`): the exec
 * plan is built from the container's record and the state its first
 * process was started with (environment, hostname, capabilities, seccomp,
 * rlimits), with the exec's own flags layered on top, then handed to the C
 * exec helper, which joins the namespaces and cgroups and waits.
 */
import { FailedPreconditionError, InvalidArgumentError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import { type Host, realHost } from "../sys/host.ts";
import { processCgroupDirs } from "./cgroup_join.ts";
import { containerDir, type ContainerRecord } from "./container_store.ts";
import { execInContainer } from "./monitor_client.ts";
import { cleanPath } from "./mounts.ts";
import type { PlanProcess, PlanRlimit, PlanSeccomp } from "./plan.ts";
import { type ExecPlan, parseLine } from "./plan_format.ts";
import type { RootfsProvider } from "./rootfs.ts";
import { currentState } from "./state.ts";
import { canExec } from "./status.ts";

/** What exec acts through; real ones by default. */
export interface ExecEnv {
  /** The host (files, /proc, processes). */
  host?: Host;
  /** Reads the container's /etc/passwd for `-u` (default: the kernel overlay's layers). */
  rootfs?: RootfsProvider;
}

/** What `skiff exec` was asked to run. */
export interface ExecRequest {
  /** The command and its arguments. */
  cmd: string[];
  /** -d: start it and return at once. */
  detach: boolean;
  /** -i: keep stdin open. */
  interactive: boolean;
  /** -t: a pseudo-terminal. */
  tty: boolean;
  /** -e and --env-file entries, already resolved ("K=V"; "K" alone removes K). */
  env: string[];
  /** -u; default the container's user. */
  user?: string;
  /** -w; default the container's working directory. */
  workdir?: string;
  /** --privileged: every capability (the container's seccomp filter stays). */
  privileged: boolean;
  /** --detach-keys as bytes (with -it; default ctrl-p ctrl-q). */
  detachKeys?: Uint8Array;
}

/** An error whose exit code is Docker's for daemon refusals (1), not the engine's 125. */
function refused(message: string): FailedPreconditionError {
  const err = new FailedPreconditionError(message);
  err.exitCode = 1;
  return err;
}

function kernelVersion(host: Host): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(host.osRelease());
  return m ? [Number(m[1]), Number(m[2])] : [5, 10];
}

/**
 * What the container's first process was started with, read back from its launch plan
 * (written once by `start`): an exec reuses the resolved capabilities, seccomp filter,
 * rlimits (as clamped there), user and PATH instead of computing them again, which keeps
 * the seccomp profile builder, the spec builder and the layer store out of `skiff exec`.
 */
interface Started {
  hostname?: string;
  rlimits: PlanRlimit[];
  capabilities: string[];
  seccomp?: PlanSeccomp;
  user?: { uid: number; gid: number; additionalGids: number[] };
  /** The PATH and HOME entries of the first process's environment. */
  path?: string;
  home?: string;
}

/** Parses the launch plan's process directives; undefined when there is no plan. */
async function startedWith(
  host: Host,
  store: Store,
  rec: ContainerRecord,
): Promise<Started | undefined> {
  const text = await host.readTextFile(`${containerDir(store, rec.Id)}/plan`).catch(() => "");
  if (text === "") return undefined;
  const out: Started = { rlimits: [], capabilities: [] };
  const groups: number[] = [];
  for (const line of text.split("\n")) {
    const [directive, ...f] = parseLine(line);
    switch (directive) {
      case "hostname":
        out.hostname = f[0];
        break;
      case "rlimit":
        out.rlimits.push({ type: f[0], soft: Number(f[1]), hard: Number(f[2]) });
        break;
      case "cap":
        out.capabilities.push(f[0]);
        break;
      case "user":
        out.user = { uid: Number(f[0]), gid: Number(f[1]), additionalGids: groups };
        break;
      case "group":
        groups.push(Number(f[0]));
        break;
      case "env":
        if (f[0].startsWith("PATH=")) out.path = f[0];
        else if (f[0].startsWith("HOME=")) out.home = f[0];
        break;
      case "seccomp":
        out.seccomp = { defaultErrno: Number(f[0]), allow: [], conditional: [], errnoRules: [] };
        break;
      case "seccomp-allow":
        out.seccomp?.allow.push(...f.map(Number));
        break;
      case "seccomp-errno":
        out.seccomp?.errnoRules?.push({ nr: Number(f[0]), errno: Number(f[1]) });
        break;
      case "seccomp-cond":
        out.seccomp?.conditional.push({
          nr: Number(f[0]),
          arg: Number(f[1]),
          op: f[2] as "eq" | "maskedEq",
          value: Number(f[3]),
          mask: Number(f[4]),
        });
        break;
    }
  }
  return out;
}

/**
 * Docker's environment layering ("K=V" replaces K, a bare "K" removes it), as spec.ts's
 * mergeEnv: repeated here so that exec does not load the spec builder and its imports.
 */
function mergeEnv(base: readonly string[], overrides: readonly string[]): string[] {
  const out = [...base];
  const key = (e: string) => (e.includes("=") ? e.slice(0, e.indexOf("=")) : e);
  for (const o of overrides) {
    const i = out.findIndex((e) => key(e) === key(o));
    if (!o.includes("=")) {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) out[i] = o;
    else out.push(o);
  }
  return out;
}

/** The exec's user, home and groups: the first process's unless -u asks for another. */
async function execUser(
  store: Store,
  rec: ContainerRecord,
  req: ExecRequest,
  started: Started | undefined,
  rootfs: RootfsProvider | undefined,
): Promise<{ uid: number; gid: number; additionalGids: number[]; home?: string }> {
  if (req.user === undefined && started?.user) {
    return { ...started.user, home: started.home?.slice(5) };
  }
  // resolved from the container's /etc/passwd and /etc/group (loaded only when needed)
  const [{ kernelOverlay }, { resolveUser }] = await Promise.all([
    import(new URL("./rootfs.ts", import.meta.url).href) as Promise<typeof import("./rootfs.ts")>,
    import(new URL("./user.ts", import.meta.url).href) as Promise<typeof import("./user.ts")>,
  ]);
  const root = await (rootfs ?? kernelOverlay).prepare(store, rec);
  return await resolveUser(req.user ?? rec.User ?? "", root.readFile, rec.Options.groupAdd);
}

/** spec.ts, loaded only when the first process's record lacks a value (computed specifier: Deno
 * loads a literal dynamic import's graph at start-up). */
function loadSpec(): Promise<typeof import("./spec.ts")> {
  return import(new URL("./spec.ts", import.meta.url).href);
}

/**
 * Capabilities and seccomp filter. The filter is always the container's, as Docker and Podman
 * do: `exec --privileged` adds every capability but keeps the filter the container was
 * started with (built for its own capabilities), so it cannot unshare, mount or open the
 * socket families the container could not.
 */
async function execSecurity(
  host: Host,
  rec: ContainerRecord,
  req: ExecRequest,
  started: Started | undefined,
): Promise<{ capabilities: string[]; seccomp?: PlanSeccomp }> {
  const o = rec.Options;
  const privileged = req.privileged || o.privileged;
  if (started && privileged === o.privileged) {
    return { capabilities: started.capabilities, seccomp: started.seccomp };
  }
  const { resolveCapabilities }: typeof import("./capabilities.ts") = await import(
    new URL("./capabilities.ts", import.meta.url).href
  );
  const capabilities = resolveCapabilities(o.capAdd, o.capDrop, privileged);
  if (started) return { capabilities, seccomp: started.seccomp };
  if (o.privileged || o.securityOpt.seccomp === "unconfined") return { capabilities };
  const { buildSeccomp }: typeof import("./seccomp_profile.ts") = await import(
    new URL("./seccomp_profile.ts", import.meta.url).href
  );
  const own = resolveCapabilities(o.capAdd, o.capDrop, false);
  return { capabilities, seccomp: buildSeccomp(own, kernelVersion(host)) };
}

/**
 * Builds the exec plan for a process in a running container whose first
 * process has host pid `pid`.
 *
 * @example
 * ```ts ignore
 * const plan = await buildExecPlan(store, rec, state.Pid, { cmd: ["ps"], ...flags });
 * ```
 */
export async function buildExecPlan(
  store: Store,
  rec: ContainerRecord,
  pid: number,
  req: ExecRequest,
  seams: ExecEnv = {},
): Promise<ExecPlan> {
  if (req.cmd.length === 0) throw new InvalidArgumentError("No exec command specified");
  const host = seams.host ?? realHost;
  const o = rec.Options;
  const started = await startedWith(host, store, rec);
  const hostname = started?.hostname ?? rec.Hostname;
  const [user, security] = await Promise.all([
    execUser(store, rec, req, started, seams.rootfs),
    execSecurity(host, rec, req, started),
  ]);
  const path = started?.path ?? (await loadSpec()).DEFAULT_PATH;
  const base = [path, `HOSTNAME=${hostname}`, ...(req.tty ? ["TERM=xterm"] : [])];
  let env = mergeEnv(mergeEnv(base, rec.Env), req.env);
  if (!env.some((e) => e.startsWith("HOME=")) && user.home !== undefined) {
    env = [...env, `HOME=${user.home}`];
  }
  const workdir = req.workdir ?? (rec.WorkingDir || "/");
  if (!workdir.startsWith("/")) {
    throw new InvalidArgumentError(
      `the working directory '${workdir}' is invalid, it needs to be an absolute path`,
    );
  }
  let rlimits = started?.rlimits;
  if (!rlimits) {
    const { DEFAULT_NOFILE } = await loadSpec();
    rlimits = [{ type: "nofile", soft: DEFAULT_NOFILE, hard: DEFAULT_NOFILE }];
  }
  const process: PlanProcess = {
    args: [...req.cmd],
    env,
    cwd: cleanPath(workdir),
    uid: user.uid,
    gid: user.gid,
    additionalGids: user.additionalGids,
    terminal: req.tty,
    stdin: req.interactive,
    capabilities: security.capabilities,
    noNewPrivileges: o.securityOpt.noNewPrivileges,
    ...(security.seccomp ? { seccomp: security.seccomp } : {}),
    rlimits,
  };
  // every cgroup of the container's first process, v2 included: a join that fails is an error
  const cgroupPaths = await processCgroupDirs(pid, host).catch((err) => {
    if (err instanceof Deno.errors.NotFound) throw refused(`Container ${rec.Id} is not running`);
    throw err;
  });
  const keys = req.tty && req.interactive && !req.detach
    ? [...(req.detachKeys ?? [16, 17])]
    : undefined;
  return { pid, process, cgroupPaths, detach: req.detach, ...(keys ? { detachKeys: keys } : {}) };
}

/**
 * Runs a process in a running container with the caller's stdio; resolves
 * with its exit code (126/127 when it cannot be started, the helper having
 * printed Docker's message), or 0 at once with `detach`.
 *
 * @example
 * ```ts ignore
 * const code = await execContainer(store, rec, { cmd: ["hostname"], detach: false,
 *   interactive: false, tty: false, env: [], privileged: false });
 * ```
 */
export async function execContainer(
  store: Store,
  rec: ContainerRecord,
  req: ExecRequest,
  env: ExecEnv = {},
): Promise<number> {
  const host = env.host ?? realHost;
  const state = await currentState(store, rec, host);
  if (state.Status === "paused") {
    throw refused(`Container ${rec.Id} is paused, unpause the container before exec`);
  }
  if (!canExec(state.Status) || state.Pid <= 0) {
    throw refused(`Container ${rec.Id} is not running`);
  }
  const plan = await buildExecPlan(store, rec, state.Pid, req, env);
  return await execInContainer(plan, { tmpDir: store.tmp, host });
}
