/** The id mapper of a rootless caller (see `userns.ts`). */
import type { Host } from "../sys/host.ts";
import type { IdMapper } from "./idmap.ts";
import { type RootlessIds, rootlessIds, singleIdWarning, userName } from "./userns.ts";

/**
 * The id mapper of a rootless caller: every container gets a user namespace with the user's
 * mapping; `warn` is told once when the user has no ranges.
 *
 * @example
 * ```ts ignore
 * const mapper = rootlessMapper(realHost, (m) => console.error(`WARNING: ${m}`));
 * ```
 */
export function rootlessMapper(host: Host, warn: (message: string) => void): IdMapper {
  let cached: RootlessIds | undefined;
  return {
    async mappings() {
      if (!cached) {
        const uid = host.uid();
        cached = await rootlessIds(host, uid, Deno.gid() ?? uid);
        if (!cached.ranges) {
          warn(
            singleIdWarning(userName(await host.readTextFile("/etc/passwd"), uid) ?? `uid ${uid}`),
          );
        }
      }
      return { uid: [...cached.uid], gid: [...cached.gid] };
    },
  };
}
