/** `skiff update`: new resource limits and restart policy for one or more containers. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { update as spec } from "../cli/table_containers.ts";
import { InvalidArgumentError } from "../errors.ts";
import { parseSize } from "../units.ts";
import { parseCpus, parseRestartPolicy } from "../runtime/run_options.ts";
import { isEmptyUpdate, type UpdateRequest } from "../runtime/update.ts";
import { updateContainers } from "../engine/container_update.ts";
import { exitCode, printReport } from "./containers.ts";
import { exitOne } from "./exit_codes.ts";

/** The update request from `update`'s flags (only the flags given). */
export function updateRequestFromFlags(f: FlagsOf<typeof spec>): UpdateRequest {
  const r: UpdateRequest = {};
  if (f.memory) r.memory = parseSize(f.memory);
  if (f["memory-swap"]) r.memorySwap = f["memory-swap"] === "-1" ? -1 : parseSize(f["memory-swap"]);
  if (f.cpus) r.cpus = parseCpus(f.cpus);
  if (f["cpu-shares"] !== undefined) r.cpuShares = f["cpu-shares"];
  if (f["pids-limit"] !== undefined) r.pidsLimit = f["pids-limit"];
  const res: NonNullable<UpdateRequest["resources"]> = {};
  if (f["cpu-period"] !== undefined) res.cpuPeriod = f["cpu-period"];
  if (f["cpu-quota"] !== undefined) res.cpuQuota = f["cpu-quota"];
  if (f["cpu-rt-period"] !== undefined) res.cpuRtPeriod = f["cpu-rt-period"];
  if (f["cpu-rt-runtime"] !== undefined) res.cpuRtRuntime = f["cpu-rt-runtime"];
  if (f["cpuset-cpus"] !== undefined) res.cpusetCpus = f["cpuset-cpus"];
  if (f["cpuset-mems"] !== undefined) res.cpusetMems = f["cpuset-mems"];
  if (f["memory-reservation"]) res.memoryReservation = parseSize(f["memory-reservation"]);
  if (f["blkio-weight"] !== undefined) res.blkioWeight = f["blkio-weight"];
  if (Object.keys(res).length) r.resources = res;
  if (f.restart !== undefined) r.restart = parseRestartPolicy(f.restart);
  if (f["kernel-memory"]) {
    parseSize(f["kernel-memory"]);
    console.error(
      "WARNING: Specifying a kernel memory limit is deprecated and will be removed in a future release.",
    );
  } else if (isEmptyUpdate(r)) {
    throw new InvalidArgumentError("you must provide one or more flags when using this command");
  }
  return r;
}

/** Runs `skiff update [OPTIONS] CONTAINER...`: prints each updated container as named. */
export default async function update(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const reports = await exitOne(() =>
    updateContainers(ctx.global, ctx.args, updateRequestFromFlags(ctx.flags), printReport())
  );
  return exitCode(reports);
}
