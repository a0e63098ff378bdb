/** The id mapper of a rootless caller (see `userns.ts`). */
import type { Host } from "../sys/host.ts";
import type { IdMapper } from "./idmap.ts";
import { keepIdLines, type RootlessIds, rootlessIds, singleIdWarning, userName } from "./userns.ts";

/**
 * The id mapper of a rootless caller: every container gets a user namespace with the user's
 * mapping (`--userns=keep-id`: the user's own ids inside); `warn` is told once when the user
 * has no ranges.
 *
 * @example
 * ```ts ignore
 * const mapper = rootlessMapper(realHost, (m) => console.error(`WARNING: ${m}`));
 * ```
 */
export function rootlessMapper(host: Host, warn: (message: string) => void): IdMapper {
  let cached: RootlessIds | undefined;
  let keepId: RootlessIds | undefined;
  return {
    async mappings(rec) {
      if (!cached) {
        const uid = host.uid();
        const gid = Deno.gid() ?? uid;
        cached = await rootlessIds(host, uid, gid);
        if (!cached.ranges) {
          warn(
            singleIdWarning(userName(await host.readTextFile("/etc/passwd"), uid) ?? `uid ${uid}`),
          );
        }
        const sub = (lines: string[]) =>
          lines.slice(1).map((l) => l.split(" ").map(Number)).map(([, start, count]) => ({
            start,
            count,
          }));
        keepId = {
          uid: keepIdLines(uid, sub(cached.uid)),
          gid: keepIdLines(gid, sub(cached.gid)),
          ranges: cached.ranges,
        };
      }
      const ids = rec.Options?.namespaces?.userns === "keep-id" ? keepId! : cached;
      return { uid: [...ids.uid], gid: [...ids.gid] };
    },
  };
}
