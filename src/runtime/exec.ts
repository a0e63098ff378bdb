/**
 * Running a process inside a running container (`skiff exec`): the exec
 * plan is built from the container's record and the state its first
 * process was started with (environment, hostname, capabilities, seccomp,
 * rlimits), with the exec's own flags layered on top, then handed to the C
 * exec helper, which joins the namespaces and cgroups and waits.
 */
import { FailedPreconditionError, InvalidArgumentError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import { resolveCapabilities } from "./capabilities.ts";
import { containerDir, type ContainerRecord } from "./container_store.ts";
import { mergeEnv } from "./spec.ts";
import { execInContainer } from "./monitor_client.ts";
import { cleanPath } from "./mounts.ts";
import type { PlanProcess, PlanRlimit } from "./plan.ts";
import { type ExecPlan, parseLine } from "./plan_format.ts";
import { readFromLayers } from "./rootfs_read.ts";
import { buildSeccomp } from "./seccomp_profile.ts";
import { DEFAULT_NOFILE, DEFAULT_PATH } from "./spec.ts";
import { lowerDirs } from "./start.ts";
import { currentState } from "./state.ts";
import { resolveUser } from "./user.ts";

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
  /** --privileged: every capability and no seccomp filter. */
  privileged: boolean;
}

/** An error whose exit code is Docker's for daemon refusals (1), not the engine's 125. */
function refused(message: string): FailedPreconditionError {
  const err = new FailedPreconditionError(message);
  err.exitCode = 1;
  return err;
}

function kernelVersion(): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(Deno.osRelease());
  return m ? [Number(m[1]), Number(m[2])] : [5, 10];
}

/** What the container's first process was started with, from its launch plan file. */
interface Started {
  hostname?: string;
  rlimits: PlanRlimit[];
}

/** Reads the launch plan the monitor started the container from (rlimits as clamped there). */
async function startedWith(store: Store, rec: ContainerRecord): Promise<Started> {
  const text = await Deno.readTextFile(`${containerDir(store, rec.Id)}/plan`).catch(() => "");
  const out: Started = { rlimits: [] };
  for (const line of text.split("\n")) {
    const [directive, ...f] = parseLine(line);
    if (directive === "hostname") out.hostname = f[0];
    else if (directive === "rlimit") {
      out.rlimits.push({ type: f[0], soft: Number(f[1]), hard: Number(f[2]) });
    }
  }
  if (text === "") {
    out.rlimits.push({ type: "nofile", soft: DEFAULT_NOFILE, hard: DEFAULT_NOFILE });
  }
  return out;
}

/**
 * Builds the exec plan for a process in a running container whose first
 * process has host pid `pid`.
 *
 * @example
 * ```ts
 * const plan = await buildExecPlan(store, rec, state.Pid, { cmd: ["ps"], ...flags });
 * ```
 */
export async function buildExecPlan(
  store: Store,
  rec: ContainerRecord,
  pid: number,
  req: ExecRequest,
): Promise<ExecPlan> {
  if (req.cmd.length === 0) throw new InvalidArgumentError("No exec command specified");
  const o = rec.Options;
  const started = await startedWith(store, rec);
  const hostname = started.hostname ?? rec.Hostname;
  const layers = [`${containerDir(store, rec.Id)}/upper`, ...(await lowerDirs(store, rec))];
  const user = await resolveUser(
    req.user ?? rec.User ?? "",
    (p) => readFromLayers(layers, p),
  );
  const base = [DEFAULT_PATH, `HOSTNAME=${hostname}`, ...(req.tty ? ["TERM=xterm"] : [])];
  let env = mergeEnv(mergeEnv(base, rec.Env), req.env);
  if (!env.some((e) => e.startsWith("HOME="))) env = [...env, `HOME=${user.home}`];
  const workdir = req.workdir ?? (rec.WorkingDir || "/");
  if (!workdir.startsWith("/")) {
    throw new InvalidArgumentError(
      `the working directory '${workdir}' is invalid, it needs to be an absolute path`,
    );
  }
  const privileged = req.privileged || o.privileged;
  const capabilities = resolveCapabilities(o.capAdd, o.capDrop, privileged);
  const seccomp = privileged || o.securityOpt.seccomp === "unconfined"
    ? undefined
    : buildSeccomp(capabilities, kernelVersion());
  const process: PlanProcess = {
    args: [...req.cmd],
    env,
    cwd: cleanPath(workdir),
    uid: user.uid,
    gid: user.gid,
    additionalGids: user.additionalGids,
    terminal: req.tty,
    stdin: req.interactive,
    capabilities,
    noNewPrivileges: o.securityOpt.noNewPrivileges,
    ...(seccomp ? { seccomp } : {}),
    rlimits: started.rlimits,
  };
  return { pid, process, cgroupPaths: [], detach: req.detach };
}

/**
 * Runs a process in a running container with the caller's stdio; resolves
 * with its exit code (126/127 when it cannot be started, the helper having
 * printed Docker's message), or 0 at once with `detach`.
 *
 * @example
 * ```ts
 * const code = await execContainer(store, rec, { cmd: ["hostname"], detach: false,
 *   interactive: false, tty: false, env: [], privileged: false });
 * ```
 */
export async function execContainer(
  store: Store,
  rec: ContainerRecord,
  req: ExecRequest,
): Promise<number> {
  const state = await currentState(store, rec);
  if (state.Status === "paused") {
    throw refused(`Container ${rec.Id} is paused, unpause the container before exec`);
  }
  if (state.Status !== "running" || state.Pid <= 0) {
    throw refused(`container ${rec.Id} is not running`);
  }
  const plan = await buildExecPlan(store, rec, state.Pid, req);
  return await execInContainer(plan, { tmpDir: store.tmp });
}
