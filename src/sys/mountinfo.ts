/**
 * The one reader of `/proc/PID/mountinfo` (see proc(5)): every caller that asks what is
 * mounted where (cgroup detection, cgroup joins, garbage collection, `info`) parses it here.
 */

/** One line of mountinfo. */
export interface MountInfo {
  /** Field 1: the mount's id. */
  id: number;
  /** Field 2: the id of the parent mount. */
  parentId: number;
  /** Field 3: `major:minor` of the file system's device. */
  device: string;
  /** Field 4: the directory of the file system that is the root of this mount. */
  root: string;
  /** Field 5: where it is mounted, relative to the process's root. */
  mountPoint: string;
  /** Field 6: per-mount options (`rw`, `nosuid`...). */
  options: string[];
  /** Field 7: the optional fields (`shared:1`, `master:2`...), none or several. */
  optional: string[];
  /** The file system type (`ext4`, `cgroup2`, `fuse.sshfs`). */
  fsType: string;
  /** The mount source (a device, or what the file system was given). */
  source: string;
  /** The super block's options (for a v1 cgroup: its controllers and `name=`). */
  superOptions: string[];
}

/** mountinfo writes space, tab, newline and backslash as three octal digits (`\040`). */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(Number.parseInt(o, 8)));
}

/**
 * Parses the text of `/proc/PID/mountinfo` into its mounts, in order. Paths and the source
 * are unescaped; a line without the ` - ` separator after its sixth field (not one the kernel
 * writes) is skipped.
 *
 * @example
 * ```ts
 * const [m] = parseMountinfo("30 1 0:26 / /sys/fs/cgroup rw shared:4 - cgroup2 cgroup2 rw\n");
 * // m.mountPoint === "/sys/fs/cgroup", m.fsType === "cgroup2", m.optional: ["shared:4"]
 * ```
 */
export function parseMountinfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split("\n")) {
    const fields = line.split(" ");
    const sep = fields.indexOf("-", 6);
    if (sep < 0 || fields.length < sep + 3) continue;
    out.push({
      id: Number(fields[0]),
      parentId: Number(fields[1]),
      device: fields[2],
      root: unescape(fields[3]),
      mountPoint: unescape(fields[4]),
      options: fields[5].split(","),
      optional: fields.slice(6, sep),
      fsType: unescape(fields[sep + 1]),
      source: unescape(fields[sep + 2]),
      superOptions: fields[sep + 3] === undefined ? [] : fields[sep + 3].split(","),
    });
  }
  return out;
}
