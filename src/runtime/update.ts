/**
 * `docker update`: new CPU, memory, pids and block I/O weight limits and a new restart policy
 * for a created, running or stopped container. The record gets them (a later start uses
 * them); a running container's cgroups get them at once. Bad values are refused, with
 * Docker's messages, before anything is written. A running container's monitor is given a
 * new restart policy through a state file it reads at each exit.
 */
import { InvalidArgumentError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import { type Host, realHost } from "../sys/host.ts";
import { type Cgroups, detectCgroups, normalizeLimits } from "./cgroups.ts";
import { containerDir, type ContainerRecord, containerRunDir } from "./container_store.ts";
import { checkRunOptions } from "./create.ts";
import type { ResourceOptions } from "./resource_options.ts";
import type { RestartPolicy, RunOptions } from "./run_options.ts";
import { cgroupLimits } from "./spec.ts";
import { currentState } from "./state.ts";
import { isRunning, isSupervised } from "./status.ts";

/** The monitor's state file with a restart policy given by `update` (ffi/src/monitor_exit.c). */
export const RESTART_POLICY_FILE = "restart-policy";

/** The monitor's numbers of the restart policies. */
const POLICY_CODES: Record<RestartPolicy["name"], number> = {
  "no": 0,
  "on-failure": 1,
  "always": 2,
  "unless-stopped": 3,
};

/** What `update` changes; absent fields stay as they are. */
export interface UpdateRequest {
  /** -m, bytes. */
  memory?: number;
  /** --memory-swap, bytes (-1: unlimited). */
  memorySwap?: number;
  /** --cpus, nano-CPUs. */
  cpus?: number;
  /** -c, --cpu-shares. */
  cpuShares?: number;
  /** --pids-limit (0 or -1: unlimited). */
  pidsLimit?: number;
  /** --cpu-period, --cpu-quota, --cpuset-cpus, --memory-reservation, --blkio-weight... */
  resources?: Pick<
    ResourceOptions,
    | "cpuPeriod"
    | "cpuQuota"
    | "cpuRtPeriod"
    | "cpuRtRuntime"
    | "cpusetCpus"
    | "cpusetMems"
    | "memoryReservation"
    | "blkioWeight"
  >;
  /** --restart */
  restart?: RestartPolicy;
}

/** Whether the request changes anything (Docker refuses an update without flags). */
export function isEmptyUpdate(r: UpdateRequest): boolean {
  const { resources, ...rest } = r;
  return Object.values(rest).every((v) => v === undefined) &&
    Object.values(resources ?? {}).every((v) => v === undefined);
}

/**
 * The run options with the update applied, checked as create checks them.
 *
 * @example
 * ```ts ignore
 * updatedOptions(rec, { memory: 64 << 20 }).memory; // 67108864
 * ```
 */
export function updatedOptions(rec: ContainerRecord, r: UpdateRequest): RunOptions {
  const o: RunOptions = { ...rec.Options, resources: { ...rec.Options.resources } };
  if (r.memory !== undefined) o.memory = r.memory;
  if (r.memorySwap !== undefined) o.memorySwap = r.memorySwap;
  if (r.cpus !== undefined) o.cpus = r.cpus;
  if (r.cpuShares !== undefined) o.cpuShares = r.cpuShares;
  if (r.pidsLimit !== undefined) o.pidsLimit = r.pidsLimit;
  for (const [k, v] of Object.entries(r.resources ?? {})) {
    if (v !== undefined) (o.resources as Record<string, unknown>)[k] = v;
  }
  if (r.restart) {
    if (o.autoRemove && r.restart.name !== "no") {
      throw new InvalidArgumentError(
        "Restart policy cannot be updated because AutoRemove is enabled for the container",
      );
    }
    o.restart = r.restart;
  }
  checkRunOptions(o);
  return o;
}

/** The seams of {@link updateContainer}. */
export interface UpdateEnv {
  host?: Host;
  cgroups?: Cgroups;
}

/**
 * Updates a container's limits and restart policy: its record, and its cgroups when it runs.
 * Resolves with the updated record.
 *
 * @example
 * ```ts ignore
 * await updateContainer(store, rec, { memory: 64 << 20, restart: { name: "always", maxRetries: 0 } });
 * ```
 */
export async function updateContainer(
  store: Store,
  rec: ContainerRecord,
  r: UpdateRequest,
  env: UpdateEnv = {},
): Promise<ContainerRecord> {
  const host = env.host ?? realHost;
  const options = updatedOptions(rec, r);
  const limits = normalizeLimits(cgroupLimits(options));
  const updated: ContainerRecord = { ...rec, Options: options, Limits: limits };
  const state = await currentState(store, rec, host);
  if (isRunning(state.Status)) {
    const cgroups = (env.cgroups ?? await detectCgroups(host)).forParent(rec.CgroupParent);
    await cgroups.update?.(rec.Id, limits);
  }
  if (r.restart && isSupervised(state.Status)) {
    // the monitor reads it at each exit instead of the policy of its plan
    const code = POLICY_CODES[r.restart.name];
    await host.writeFileAtomic(
      `${containerRunDir(store, rec.Id)}/${RESTART_POLICY_FILE}`,
      `${code} ${r.restart.maxRetries}\n`,
    );
  }
  await host.writeFileAtomic(
    `${containerDir(store, rec.Id)}/container.json`,
    JSON.stringify(updated) + "\n",
  );
  return updated;
}
