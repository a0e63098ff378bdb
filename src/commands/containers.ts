/**
 * Rendering shared by the container commands that take several targets: Docker prints each
 * success (the name as given, by default) on stdout as it happens, each failure as
 * `Error: ...` on stderr, and exits 1 if any failed.
 */
import {
  anyFailed,
  containerIdsWhere,
  type OnReport,
  type TargetReport,
} from "../engine/container_targets.ts";
import { InvalidArgumentError, NotFoundError } from "../errors.ts";
import type { StoreOptions } from "../engine/engine_types.ts";
import type { ContainerStatus } from "../runtime/status.ts";

/**
 * A report printer for a multi-target verb; `render` turns a success into its line ("" for none).
 *
 * @example
 * ```ts ignore
 * return exitCode(await stopContainers(store, ctx.args, opts, printReport()));
 * ```
 */
export function printReport<T>(
  render: (value: T, target: string) => string = (_, target) => target,
): OnReport<T> {
  return (r) => {
    if (!r.ok) console.error(`Error: ${r.error.message}`);
    else {
      const out = render(r.value, r.target);
      if (out !== "") console.log(out);
    }
  };
}

/** 1 if any target failed, else 0. */
export function exitCode(reports: readonly TargetReport<unknown>[]): number {
  return anyFailed(reports) ? 1 : 0;
}

/** Which containers `--all` takes for each verb, as Podman picks them. */
export const ALL_SCOPES = {
  /** rm, restart: every container. */
  any: () => true,
  /** stop, kill, pause: running ones. */
  running: (s: ContainerStatus) => s === "running",
  /** unpause: paused ones. */
  paused: (s: ContainerStatus) => s === "paused",
  /** start: those not running. */
  stopped: (s: ContainerStatus) => s !== "running" && s !== "paused" && s !== "restarting",
} as const;

/**
 * The targets of a multi-container verb: the names given, or with `--all` every container the
 * scope takes (refused together with names, as Podman refuses it).
 *
 * @example
 * ```ts ignore
 * const names = await targets(ctx.global, ctx.args, ctx.flags.all, ALL_SCOPES.running);
 * ```
 */
export async function targets(
  where: StoreOptions,
  args: string[],
  all: boolean,
  scope: (s: ContainerStatus) => boolean,
): Promise<string[]> {
  if (!all) return args;
  if (args.length > 0) {
    throw new InvalidArgumentError(
      "when using the --all switch, you may not pass any containers names or IDs",
    );
  }
  return await containerIdsWhere(where, scope);
}

/** Whether a report is a missing container that `--ignore` (or `rm -f`) passes over. */
export function missing(r: TargetReport<unknown>): boolean {
  return !r.ok && r.error instanceof NotFoundError;
}
