/** How to run skiff itself again (for the monitor's clean-up command). */
import { isCompiled } from "../sys/assets.ts";
import { type Host, realHost } from "../sys/host.ts";

/**
 * The argv that runs this skiff with the same store: the compiled binary, or
 * deno running main.ts from the checkout.
 *
 * @example
 * ```ts ignore
 * [...skiffArgv(store), "container", "cleanup", id];
 * ```
 */
export function skiffArgv(
  paths: { root: string; runroot: string },
  host: Host = realHost,
): string[] {
  const main = new URL("../../main.ts", import.meta.url);
  const base = isCompiled()
    ? [host.execPath()]
    : [host.execPath(), "run", "-A", "--no-check", "--quiet", main.pathname];
  return [...base, "--root", paths.root, "--runroot", paths.runroot];
}
