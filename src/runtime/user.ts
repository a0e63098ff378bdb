/**
 * Resolves `-u user[:group]` (or the image's User) against the container
 * root's /etc/passwd and /etc/group, as Docker (libcontainer) does.
 */
import { InvalidArgumentError } from "../errors.ts";

/** The identity the container's process runs as. */
export interface ResolvedUser {
  uid: number;
  gid: number;
  /** Supplementary groups (only when no group was given explicitly). */
  additionalGids: number[];
  /** The passwd entry's home directory, else "/". */
  home: string;
}

/**
 * Reads a file of the container's root by its absolute in-container path
 * ("/etc/passwd"); undefined when it does not exist. The caller makes it
 * resolve inside the root without following symlinks out.
 */
export type RootFileReader = (path: string) => Promise<string | undefined>;

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** Largest id `-u` accepts (Docker's and runc's limit). */
const MAX_ID = 2147483647;
/** Largest id the kernel gives a process: 4294967295 is (uid_t)-1, "leave unchanged". */
const MAX_KERNEL_ID = 4294967294;

function parseId(s: string): number | undefined {
  return /^\d+$/.test(s) ? Number(s) : undefined;
}

/**
 * Parses /etc/passwd content; malformed lines are skipped.
 *
 * @example
 * ```ts
 * parsePasswd("root:x:0:0:root:/root:/bin/sh\n")[0].home; // "/root"
 * ```
 */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split("\n")) {
    const l = line.trim();
    if (l === "" || l.startsWith("#")) continue;
    const f = l.split(":");
    const uid = parseId(f[2] ?? ""), gid = parseId(f[3] ?? "");
    if (uid === undefined || gid === undefined) continue;
    out.push({ name: f[0], uid, gid, home: f[5] ?? "" });
  }
  return out;
}

/**
 * Parses /etc/group content; malformed lines are skipped.
 *
 * @example
 * ```ts
 * parseGroup("wheel:x:10:root,adm\n")[0].members; // ["root", "adm"]
 * ```
 */
export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split("\n")) {
    const l = line.trim();
    if (l === "" || l.startsWith("#")) continue;
    const f = l.split(":");
    const gid = parseId(f[2] ?? "");
    if (gid === undefined) continue;
    const members = (f[3] ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
    out.push({ name: f[0], gid, members });
  }
  return out;
}

function checkRange(n: number): number {
  if (n > MAX_ID) throw new InvalidArgumentError(`uids and gids must be in range 0-${MAX_ID}`);
  return n;
}

/** An id read from the image's passwd or group file, refused when the kernel cannot set it. */
function checkImageId(file: string, name: string, kind: "uid" | "gid", n: number): number {
  if (n > MAX_KERNEL_ID) {
    throw new InvalidArgumentError(
      `invalid ${file} entry "${name}": ${kind} ${n} is outside the range 0-${MAX_KERNEL_ID}`,
    );
  }
  return n;
}

/**
 * Resolves a user spec: "", "name", "uid", "name:group", "uid:gid"... A name
 * must exist in passwd; a number need not (gid 0 and HOME "/" then). The
 * default group is the passwd entry's; supplementary groups are that group
 * and the /etc/group entries listing the user (unless a group is given), then the groups of
 * `groupAdd` (--group-add: names in /etc/group, or numbers). A numeric
 * `-u` above 2147483647 is refused as Docker refuses it, and so is an id
 * from the image's files above 4294967294 (the kernel reads 4294967295 as
 * "leave unchanged", which would keep the process root).
 *
 * @example
 * ```ts ignore
 * const u = await resolveUser("nobody", (p) => readInRoot(root, p));
 * // { uid: 65534, gid: 65534, additionalGids: [65534], home: "/nonexistent" }
 * ```
 */
export async function resolveUser(
  spec: string,
  read: RootFileReader,
  groupAdd: readonly string[] = [],
): Promise<ResolvedUser> {
  const colon = spec.indexOf(":");
  const userArg = colon < 0 ? spec : spec.slice(0, colon);
  const groupArg = colon < 0 ? "" : spec.slice(colon + 1);
  const passwdText = await read("/etc/passwd");
  const passwd = passwdText === undefined ? [] : parsePasswd(passwdText);

  const userId = parseId(userArg);
  if (userId !== undefined) checkRange(userId);
  let user: PasswdEntry | undefined;
  if (userArg === "") user = passwd.find((e) => e.uid === 0);
  else user = passwd.find((e) => e.name === userArg || (userId !== undefined && e.uid === userId));
  let uid = 0, gid = 0, home = "/", name: string | undefined;
  if (user) {
    uid = checkImageId("/etc/passwd", user.name, "uid", user.uid);
    gid = checkImageId("/etc/passwd", user.name, "gid", user.gid);
    name = user.name;
    home = user.home === "" ? "/" : user.home;
  } else if (userId !== undefined) {
    uid = userId;
  } else if (userArg !== "") {
    throw new InvalidArgumentError(
      `unable to find user ${userArg}: no matching entries in passwd file`,
    );
  }

  const additionalGids: number[] = [];
  const needGroups = groupArg !== "" || name !== undefined || groupAdd.length > 0;
  const groupText = needGroups ? await read("/etc/group") : undefined;
  const groups = groupText === undefined ? [] : parseGroup(groupText);
  if (groupArg !== "") {
    const groupId = parseId(groupArg);
    if (groupId !== undefined) checkRange(groupId);
    const g = groups.find((e) =>
      e.name === groupArg || (groupId !== undefined && e.gid === groupId)
    );
    if (g) gid = checkImageId("/etc/group", g.name, "gid", g.gid);
    else if (groupId !== undefined) gid = groupId;
    else {
      throw new InvalidArgumentError(
        `unable to find group ${groupArg}: no matching entries in group file`,
      );
    }
  } else if (name !== undefined) {
    for (const g of groups) {
      if (g.members.includes(name) && !additionalGids.includes(g.gid)) {
        additionalGids.push(checkImageId("/etc/group", g.name, "gid", g.gid));
      }
    }
  }
  // --group-add: names from the image's /etc/group, or gids (Docker's message otherwise)
  for (const g of groupAdd) {
    const id = parseId(g);
    if (id !== undefined) checkRange(id);
    const entry = groups.find((e) => e.name === g || (id !== undefined && e.gid === id));
    const gid = entry ? checkImageId("/etc/group", entry.name, "gid", entry.gid) : id;
    if (gid === undefined) {
      throw new InvalidArgumentError(
        `Unable to find group ${g}: no matching entries in group file`,
      );
    }
    if (!additionalGids.includes(gid)) additionalGids.push(gid);
  }
  // The primary group is also a supplementary one (as docker and containerd do since
  // CVE-2022-36109 / CVE-2023-25173): a process that drops its gid with setgroups(2) cannot
  // then slip past a file's group-deny permissions.
  return { uid, gid, additionalGids: [gid, ...additionalGids.filter((g) => g !== gid)], home };
}
