/**
 * `skiff unshare`: a command run as root of a user namespace with the caller's mapping (their
 * subordinate ranges), as `podman unshare` does, to look at or change a rootless store's files
 * as containers see them. The namespace is made by `skiff-monitor unshare` (C: a
 * multi-threaded Deno cannot unshare a user namespace).
 */
import { FailedPreconditionError } from "../errors.ts";
import { type StorePaths } from "../store/paths.ts";
import { type Host, realHost } from "../sys/host.ts";
import { monitorPath } from "./monitor_client.ts";
import { rootlessIds } from "./userns.ts";

/**
 * The argv of `skiff-monitor unshare` for `command` with `maps`.
 *
 * @example
 * ```ts
 * unshareArgv("/m", { uid: ["0 1000 1"], gid: ["0 1000 1"] }, ["id"]);
 * // ["/m", "unshare", "0 1000 1", "0 1000 1", "id"]
 * ```
 */
export function unshareArgv(
  monitor: string,
  maps: { uid: string[]; gid: string[] },
  command: string[],
): string[] {
  return [monitor, "unshare", maps.uid.join(","), maps.gid.join(","), ...command];
}

/**
 * Runs `command` (default `$SHELL`, else /bin/sh) in the caller's user namespace with stdio
 * inherited, the store's roots in `SKIFF_ROOT`/`SKIFF_RUNROOT` (inside, the caller is uid 0,
 * and a skiff run there must still find the user's store); returns its exit code. Refused for
 * root, which needs no user namespace; `warn` hears when the user has no ranges.
 *
 * @example
 * ```ts ignore
 * const code = await runUnshared(paths, ["cat", "/proc/self/uid_map"], console.error);
 * ```
 */
export async function runUnshared(
  paths: StorePaths,
  command: string[],
  warn: (message: string) => void,
  host: Host = realHost,
): Promise<number> {
  const uid = host.uid();
  if (uid === 0) throw new FailedPreconditionError("please use unshare with rootless");
  const ids = await rootlessIds(host, uid, Deno.gid() ?? uid);
  if (!ids.ranges) {
    warn("no subordinate ids in /etc/subuid and /etc/subgid: only your own id is mapped");
  }
  const argv = unshareArgv(
    monitorPath(),
    ids,
    command.length > 0 ? command : [Deno.env.get("SHELL") || "/bin/sh"],
  );
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
    env: { SKIFF_ROOT: paths.root, SKIFF_RUNROOT: paths.runroot },
  }).spawn();
  return (await child.status).code; // 128 + N for a signal, as a shell reports it
}
