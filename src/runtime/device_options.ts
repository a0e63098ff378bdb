/**
 * `--device /dev/x[:/dev/y][:rwm]` and `--device-cgroup-rule 'c 1:3 rwm'` of `docker run` /
 * `docker create`: their typed form and the pure parsers, with Docker's messages. A device
 * is looked up on the host when the flag is parsed (a missing one is refused before anything
 * is made) and its numbers are kept, so the node and its cgroup rule are made from them.
 */
import { InvalidArgumentError } from "../errors.ts";
import type { PlanDevice } from "./plan.ts";

/** One `--device`, as inspect's HostConfig.Devices shows it, with the node's numbers. */
export interface DeviceMapping {
  pathOnHost: string;
  pathInContainer: string;
  /** Some of "r", "w", "m". */
  cgroupPermissions: string;
  type: "c" | "b";
  major: number;
  minor: number;
  /** Permission bits of the host's node. */
  mode: number;
  uid: number;
  gid: number;
}

/** The host's device node at a path: its kind, numbers, mode and owner. */
export interface HostDevice {
  type: "c" | "b";
  major: number;
  minor: number;
  mode: number;
  uid: number;
  gid: number;
}

/** Looks up a device node on the host; throws an Error saying why not. */
export type DeviceNodeLookup = (path: string) => HostDevice;

const MODE = /^[rwm]{1,3}$/;

function validMode(s: string): boolean {
  return MODE.test(s) && new Set(s).size === s.length;
}

function checkPath(path: string, spec: string): void {
  if (path === "") throw new InvalidArgumentError(`bad format for path: ${spec}`);
  if (!path.startsWith("/")) throw new InvalidArgumentError(`${path} is not an absolute path`);
}

/**
 * Parses `--device HOST[:CONTAINER][:PERMISSIONS]` as Docker's CLI does (the container path
 * defaults to the host's, the permissions to "rwm") and looks the node up.
 *
 * @example
 * ```ts
 * const lookup = () => ({ type: "c" as const, major: 1, minor: 3, mode: 0o666, uid: 0, gid: 0 });
 * parseDevice("/dev/null:/dev/mynull:rw", lookup).pathInContainer; // "/dev/mynull"
 * ```
 */
export function parseDevice(spec: string, lookup: DeviceNodeLookup): DeviceMapping {
  const parts = spec.split(":");
  if (parts.length > 3) throw new InvalidArgumentError(`invalid device specification: ${spec}`);
  const host = parts[0];
  let inContainer = "", perms = "rwm";
  if (parts.length === 3) {
    inContainer = parts[1];
    perms = parts[2];
    if (!validMode(perms)) throw new InvalidArgumentError(`bad mode specified: ${perms}`);
  } else if (parts.length === 2) {
    if (validMode(parts[1])) perms = parts[1];
    else inContainer = parts[1];
  }
  checkPath(host, spec);
  if (inContainer === "") inContainer = host;
  checkPath(inContainer, spec);
  if (inContainer.split("/").includes("..")) {
    throw new InvalidArgumentError(`bad format for path: ${spec}`);
  }
  let node: HostDevice;
  try {
    node = lookup(host);
  } catch (e) {
    throw new InvalidArgumentError(
      `error gathering device information while adding custom device "${host}": ${
        (e as Error).message
      }`,
    );
  }
  return { pathOnHost: host, pathInContainer: inContainer, cgroupPermissions: perms, ...node };
}

/**
 * Checks a `--device-cgroup-rule` as Docker's CLI does ("TYPE MAJOR:MINOR ACCESS").
 *
 * @example
 * ```ts
 * parseDeviceCgroupRule("c 1:3 rwm"); // "c 1:3 rwm"
 * // parseDeviceCgroupRule("x") throws "invalid device cgroup format 'x'"
 * ```
 */
export function parseDeviceCgroupRule(rule: string): string {
  if (!/^[acb] ([0-9]+|\*):([0-9]+|\*) [rwm]{1,3}$/.test(rule)) {
    throw new InvalidArgumentError(`invalid device cgroup format '${rule}'`);
  }
  return rule;
}

/**
 * The device cgroup rules (v1 `devices.allow` syntax) that `--device` and
 * `--device-cgroup-rule` add to Docker's defaults.
 *
 * @example
 * ```ts ignore
 * extraDeviceRules(devices, ["c 42:* rmw"]); // ["c 1:3 rw", "c 42:* rmw"]
 * ```
 */
export function extraDeviceRules(
  devices: readonly DeviceMapping[],
  rules: readonly string[],
): string[] {
  return [
    ...devices.map((d) => `${d.type} ${d.major}:${d.minor} ${d.cgroupPermissions}`),
    ...rules,
  ];
}

/**
 * The nodes the monitor makes in the container's /dev for `--device`.
 *
 * @example
 * ```ts ignore
 * planDevices(options.devices ?? []); // [{ path: "/dev/mynull", type: "c", major: 1, ... }]
 * ```
 */
export function planDevices(devices: readonly DeviceMapping[]): PlanDevice[] {
  return devices.map((d) => ({
    path: d.pathInContainer,
    type: d.type,
    major: d.major,
    minor: d.minor,
    mode: d.mode,
    uid: d.uid,
    gid: d.gid,
  }));
}

/**
 * The major and minor numbers of a `st_rdev` (the kernel's and glibc's encoding).
 *
 * @example
 * ```ts
 * deviceNumbers(0x103); // { major: 1, minor: 3 }
 * ```
 */
export function deviceNumbers(rdev: number): { major: number; minor: number } {
  const high = Math.floor(rdev / 2 ** 32);
  const low = rdev % 2 ** 32;
  return {
    major: ((low >>> 8) & 0xfff) | ((high & 0xfffff000) >>> 0),
    minor: (low & 0xff) | ((low >>> 12) & 0xfff00),
  };
}
