/**
 * Rootless id mapping: the caller's subordinate ranges from `/etc/subuid` and `/etc/subgid`
 * (Debian's `newuidmap`/`newgidmap` write them, set-uid root, after checking they are the
 * caller's). Container root is the user; container ids 1.. are the user's first range, then
 * the next ones. A user with no range gets one id (root inside, the user outside) and a
 * warning: images whose files belong to other ids cannot be unpacked faithfully.
 */
import { InvalidArgumentError } from "../errors.ts";
import type { Host } from "../sys/host.ts";

/** One subordinate range: `count` host ids from `start`. */
export interface SubRange {
  start: number;
  count: number;
}

/** The warning given when a user has no subordinate ranges. */
export function singleIdWarning(user: string): string {
  return `no subordinate ids for ${user} in /etc/subuid and /etc/subgid: the container gets ` +
    `one id (root inside is you), and files of images owned by other ids are given to it ` +
    `(add a range with usermod --add-subuids and --add-subgids)`;
}

/**
 * The ranges `/etc/subuid` (or `/etc/subgid`) gives a user, named by login name or by
 * number, in file order; malformed lines are skipped, as shadow's tools skip them.
 *
 * @example
 * ```ts
 * parseSubIds("alice:100000:65536\n", "alice", 1000); // [{ start: 100000, count: 65536 }]
 * ```
 */
export function parseSubIds(text: string, name: string | undefined, id: number): SubRange[] {
  const out: SubRange[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const [owner, start, count] = line.split(":");
    if (owner !== name && owner !== String(id)) continue;
    if (!/^\d+$/.test(start ?? "") || !/^\d+$/.test(count ?? "")) continue;
    const s = Number(start), c = Number(count);
    if (c > 0 && s + c <= 0xffffffff) out.push({ start: s, count: c });
  }
  return out;
}

/**
 * The "container host size" lines for a user: container 0 is `own`, then the ranges one
 * after another from container id 1.
 *
 * @example
 * ```ts
 * mapLines(1000, [{ start: 100000, count: 65536 }]); // ["0 1000 1", "1 100000 65536"]
 * ```
 */
export function mapLines(own: number, ranges: SubRange[]): string[] {
  const lines = [`0 ${own} 1`];
  let next = 1;
  for (const r of ranges) {
    lines.push(`${next} ${r.start} ${r.count}`);
    next += r.count;
  }
  return lines;
}

/**
 * `--userns=keep-id`: the user's own id is the same id inside; container ids below it and
 * above it are the user's ranges in order (so container root is a subordinate id).
 *
 * @example
 * ```ts
 * keepIdLines(1000, [{ start: 100000, count: 65536 }]);
 * // ["0 100000 1000", "1000 1000 1", "1001 101000 64536"]
 * ```
 */
export function keepIdLines(own: number, ranges: SubRange[]): string[] {
  const lines: string[] = [];
  let next = 0, placed = false;
  for (const r of ranges) {
    let start = r.start, count = r.count;
    if (!placed && next + count > own) {
      const below = own - next;
      if (below > 0) lines.push(`${next} ${start} ${below}`);
      lines.push(`${own} ${own} 1`);
      placed = true;
      next = own + 1;
      start += below;
      count -= below;
    }
    if (count > 0) lines.push(`${next} ${start} ${count}`);
    next += count;
  }
  if (!placed) lines.push(`${own} ${own} 1`);
  return lines;
}

/** What the rootless mapping of the calling user is. */
export interface RootlessIds {
  /** uid map lines, "containerId hostId size". */
  uid: string[];
  /** gid map lines. */
  gid: string[];
  /** Whether the user had subordinate ranges for both uids and gids. */
  ranges: boolean;
}

/** The user's name from /etc/passwd, undefined when the uid has no entry. */
export function userName(passwd: string, uid: number): string | undefined {
  for (const line of passwd.split("\n")) {
    const f = line.split(":");
    if (f.length >= 3 && f[2] === String(uid)) return f[0];
  }
  return undefined;
}

/**
 * The calling user's mapping: their uid and gid as root, then their subordinate ranges.
 * With no range for uids or for gids, the single-id mapping (for both, as Podman does).
 *
 * @example
 * ```ts ignore
 * await rootlessIds(realHost, 1000, 1000); // { uid: ["0 1000 1", "1 100000 65536"], ... }
 * ```
 */
export async function rootlessIds(host: Host, uid: number, gid: number): Promise<RootlessIds> {
  const read = (p: string) => host.readTextFile(p).catch(() => "");
  const name = userName(await read("/etc/passwd"), uid);
  const subuid = parseSubIds(await read("/etc/subuid"), name, uid);
  const subgid = parseSubIds(await read("/etc/subgid"), name, uid);
  if (subuid.length === 0 || subgid.length === 0) {
    return { uid: mapLines(uid, []), gid: mapLines(gid, []), ranges: false };
  }
  return { uid: mapLines(uid, subuid), gid: mapLines(gid, subgid), ranges: true };
}

/**
 * Whether the caller may map `lines` (user-supplied `--uidmap`-style "container host size"
 * lines): every host id must be its own or inside one of its ranges. newuidmap checks the
 * same; checking first gives one clear line instead of its message.
 *
 * @example
 * ```ts
 * checkOwnedIds(["0 1000 1"], 1000, []); // ok
 * ```
 */
export function checkOwnedIds(lines: string[], own: number, ranges: SubRange[]): void {
  for (const line of lines) {
    const [, host, size] = line.split(" ").map(Number);
    const inside = (host === own && size === 1) ||
      ranges.some((r) => host >= r.start && host + size <= r.start + r.count);
    if (!inside) {
      throw new InvalidArgumentError(
        `cannot map host ids ${host}-${
          host + size - 1
        }: they are not yours (see /etc/subuid and /etc/subgid)`,
      );
    }
  }
}

/**
 * Whether `id` is mapped inside by the "container host size" `lines`.
 *
 * @example
 * ```ts
 * mapsContainerId(["0 1000 1"], 5); // false
 * ```
 */
export function mapsContainerId(lines: string[], id: number): boolean {
  return lines.some((l) => {
    const [inside, , size] = l.split(" ").map(Number);
    return id >= inside && id < inside + size;
  });
}

/**
 * devpts mount data without `gid=5` when group 5 (tty) is not mapped (a user without
 * subordinate ranges): the kernel refuses a gid the namespace does not have, as Podman
 * finds rootless. Other data is kept.
 *
 * @example
 * ```ts
 * devptsData("newinstance,mode=0620,gid=5", ["0 1000 1"]); // "newinstance,mode=0620"
 * ```
 */
export function devptsData(data: string, gidLines: string[]): string {
  if (mapsContainerId(gidLines, 5)) return data;
  return data.split(",").filter((o) => !o.startsWith("gid=")).join(",");
}
