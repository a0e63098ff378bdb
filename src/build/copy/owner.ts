/**
 * `--chown=user[:group]` as BuildKit resolves it: names are looked up in
 * the destination root's /etc/passwd and /etc/group (read inside that root),
 * numbers are taken as they are; a user without a group takes the user's
 * group from /etc/passwd when named, the same number when numeric.
 */
import { InvalidArgumentError, wrap } from "../../errors.ts";
import { parseGroup, parsePasswd } from "../../runtime/user.ts";
import { SysError } from "../../sys/errno.ts";
import { O_PATH, openInRoot } from "../../sys/resolve.ts";

/** The largest /etc/passwd or /etc/group read. */
const MAX_DB = 16 << 20;

/** A numeric owner. */
export interface Owner {
  uid: number;
  gid: number;
}

function parseId(s: string): number | undefined {
  if (!/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  if (n > 4294967294) throw new InvalidArgumentError(`--chown: id ${s} is out of range`);
  return n;
}

/** Reads a regular file of `root` by its in-root path; undefined when missing. */
export async function readRootFile(root: string, path: string): Promise<string | undefined> {
  let h;
  try {
    h = openInRoot(root, path, { flags: O_PATH });
  } catch (err) {
    if (err instanceof SysError && (err.code === "ENOENT" || err.code === "ENOTDIR")) {
      return undefined;
    }
    throw wrap(err, `read ${path}`);
  }
  try {
    const st = Deno.statSync(h.path);
    if (!st.isFile) return undefined;
    if (st.size > MAX_DB) throw new InvalidArgumentError(`${path} is larger than ${MAX_DB} bytes`);
    return await Deno.readTextFile(h.path);
  } finally {
    h.close();
  }
}

/**
 * Resolves a `--chown` value against `root`; undefined for "" (no `--chown`).
 *
 * @example
 * ```ts ignore
 * await resolveChown("app:staff", "/var/lib/skiff/rootfs"); // { uid: 1000, gid: 50 }
 * ```
 */
export async function resolveChown(spec: string, root: string): Promise<Owner | undefined> {
  if (spec === "") return undefined;
  const colon = spec.indexOf(":");
  const user = colon < 0 ? spec : spec.slice(0, colon);
  const group = colon < 0 ? "" : spec.slice(colon + 1);
  if (user === "") throw new InvalidArgumentError(`invalid --chown value "${spec}": no user`);
  let uid = parseId(user);
  let gid: number | undefined;
  if (uid === undefined) {
    const text = await readRootFile(root, "/etc/passwd");
    const entry = text === undefined ? undefined : parsePasswd(text).find((e) => e.name === user);
    if (!entry) {
      throw new InvalidArgumentError(
        `unable to convert uid/gid chown string to host mapping: can't find uid for user ${user}: no such user: ${user}`,
      );
    }
    uid = entry.uid;
    gid = entry.gid;
  } else gid = uid;
  if (group !== "") {
    gid = parseId(group);
    if (gid === undefined) {
      const text = await readRootFile(root, "/etc/group");
      const entry = text === undefined ? undefined : parseGroup(text).find((e) => e.name === group);
      if (!entry) {
        throw new InvalidArgumentError(
          `unable to convert uid/gid chown string to host mapping: can't find gid for group ${group}: no such group: ${group}`,
        );
      }
      gid = entry.gid;
    }
  }
  return { uid, gid };
}
