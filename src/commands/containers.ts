/**
 * Rendering shared by the container commands that take several targets: Docker prints each
 * success (the name as given, by default) on stdout as it happens, each failure as
 * `Error: ...` on stderr, and exits 1 if any failed.
 */
import { anyFailed, type OnReport, type TargetReport } from "../engine/container_targets.ts";

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
