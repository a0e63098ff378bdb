/**
 * The cgroups a process belongs to, as host directories: `exec` hands them to
 * its helper, which joins every one and fails when a join fails, so that an
 * exec'd process never runs outside the container's cgroups (its limits, its
 * freezer, and on cgroup v2 its device program) while the command reports
 * success.
 */
import { type Host, realHost } from "../sys/host.ts";
import { parseMountinfo } from "../sys/mountinfo.ts";

/**
 * The host directories of the cgroups listed in `procCgroup` (the text of
 * `/proc/PID/cgroup`), found through the cgroup mounts of `mountinfo` (the
 * text of `/proc/self/mountinfo`). A hierarchy that is not mounted here, or
 * whose mount does not reach the process's cgroup, is left out.
 *
 * @example
 * ```ts
 * cgroupDirsOf("0::/skiff/abc\n", "30 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
 * // ["/sys/fs/cgroup/skiff/abc"]
 * ```
 */
export function cgroupDirsOf(procCgroup: string, mountinfo: string): string[] {
  const mounts = parseMountinfo(mountinfo)
    .filter((m) => m.fsType === "cgroup" || m.fsType === "cgroup2")
    .map((m) => ({
      root: m.root,
      mountpoint: m.mountPoint,
      // undefined for cgroup2, else the v1 mount's controllers (and `name=`...)
      options: m.fsType === "cgroup2" ? undefined : new Set(m.superOptions),
    }));
  const dirs: string[] = [];
  for (const line of procCgroup.split("\n")) {
    const m = /^\d+:([^:]*):(\/.*)$/.exec(line);
    if (!m) continue;
    const controllers = m[1] === "" ? undefined : m[1].split(",");
    const path = m[2];
    for (const mount of mounts) {
      if (controllers === undefined ? mount.options !== undefined : mount.options === undefined) {
        continue;
      }
      if (controllers && !controllers.every((c) => mount.options!.has(c))) continue;
      const root = mount.root === "/" ? "" : mount.root;
      if (path !== root && !path.startsWith(`${root}/`)) continue;
      const rest = path.slice(root.length);
      dirs.push(rest === "" || rest === "/" ? mount.mountpoint : `${mount.mountpoint}${rest}`);
      break;
    }
  }
  return dirs;
}

/**
 * The cgroup directories of process `pid` on this host (see `cgroupDirsOf`).
 *
 * @example
 * ```ts ignore
 * const plan = { ...execPlan, cgroupPaths: await processCgroupDirs(state.Pid) };
 * ```
 */
export async function processCgroupDirs(pid: number, host: Host = realHost): Promise<string[]> {
  const [procCgroup, mountinfo] = await Promise.all([
    host.readTextFile(`/proc/${pid}/cgroup`),
    host.readTextFile("/proc/self/mountinfo"),
  ]);
  return cgroupDirsOf(procCgroup, mountinfo);
}
