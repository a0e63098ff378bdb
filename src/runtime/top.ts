/**
 * `top`: the container's processes as the host's `ps` shows them, keeping
 * only the rows whose pid is in the container's cgroup (as Docker does).
 */
import { FailedPreconditionError, SkiffError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import { type Host, type HostCommandResult, realHost } from "../sys/host.ts";
import { type Cgroups, detectCgroups } from "./cgroups.ts";
import type { ContainerRecord } from "./container_store.ts";
import { currentState } from "./state.ts";
import { isRunning } from "./status.ts";

/** `ps` output cut into Docker's Titles and Processes. */
export interface TopResult {
  titles: string[];
  processes: string[][];
}

/**
 * Splits `ps` output into titles and rows, keeping rows whose PID column is
 * in `pids`; the last column takes the rest of the line (the command).
 *
 * @example
 * ```ts
 * parsePs("UID PID CMD\nroot 7 sh -c x\nroot 9 other\n", [7]);
 * // { titles: ["UID", "PID", "CMD"], processes: [["root", "7", "sh -c x"]] }
 * ```
 */
export function parsePs(output: string, pids: readonly number[]): TopResult {
  const lines = output.split("\n").filter((l) => l.trim() !== "");
  const titles = (lines[0] ?? "").trim().split(/\s+/);
  const pidIndex = titles.indexOf("PID");
  if (pidIndex < 0) throw new SkiffError("Couldn't find PID field in ps output");
  const wanted = new Set(pids);
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < titles.length) continue;
    const row = fields.slice(0, titles.length - 1);
    row.push(fields.slice(titles.length - 1).join(" "));
    const pid = Number(row[pidIndex]);
    if (!Number.isInteger(pid)) {
      throw new SkiffError(`Unexpected pid '${row[pidIndex]}': not an integer`);
    }
    if (wanted.has(pid)) processes.push(row);
  }
  return { titles, processes };
}

/**
 * Lists a running container's processes with `ps` and the given ps options
 * (default `-ef`).
 *
 * @example
 * ```ts ignore
 * const { titles, processes } = await topContainer(store, rec, ["aux"]);
 * ```
 */
export async function topContainer(
  store: Store,
  rec: ContainerRecord,
  psArgs: string[] = [],
  env: { host?: Host; cgroups?: Cgroups } = {},
): Promise<TopResult> {
  const host = env.host ?? realHost;
  const state = await currentState(store, rec, host);
  if (!isRunning(state.Status)) {
    const err = new FailedPreconditionError(`Container ${rec.Id} is not running`);
    err.exitCode = 1;
    throw err;
  }
  const cgroups = (env.cgroups ?? await detectCgroups(host)).forParent(rec.CgroupParent);
  const pids = await cgroups.pids(rec.Id);
  const args = psArgs.length > 0 ? psArgs : ["-ef"];
  let out: HostCommandResult;
  try {
    out = await host.run("ps", { args });
  } catch (err) {
    throw new SkiffError(`Error running ps: ${(err as Error).message}`);
  }
  if (!out.success) {
    const msg = new TextDecoder().decode(out.stderr).trim().replaceAll("\n", " ");
    throw new SkiffError(`ps: ${msg || `exit status ${out.code}`}`);
  }
  return parsePs(new TextDecoder().decode(out.stdout), pids);
}
