/**
 * Applies CDI devices (`--device vendor.com/class=name`, `--gpus`) to a container's options:
 * each device's containerEdits, then its spec's once, become device nodes (made in the
 * container and allowed in its device cgroup), bind or tmpfs mounts, environment variables
 * and supplementary groups. skiff's runtime runs no OCI hooks, so a device that needs one is
 * refused with its name, as is any edit skiff cannot make.
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.ts";
import { type DeviceMapping, deviceNumbers, type HostDevice } from "./device_options.ts";
import type { BindMountSpec, MountSpec, TmpfsMountSpec } from "./mounts.ts";
import type { RunOptions } from "./run_options.ts";
import {
  type CdiDevice,
  type CdiRegistry,
  cdiSpecDirs,
  loadCdiRegistry,
  resolveCdiDevices,
  selectGpus,
} from "./cdi_registry.ts";
import type { CdiDeviceNode, CdiEdits, CdiMount } from "./cdi_spec.ts";

/** What applying needs from the host: a device node's numbers, whether a path exists. */
export interface CdiHost {
  /** The node at `path` (symlinks followed); throws when there is none. */
  deviceNode(path: string): HostDevice;
  exists(path: string): boolean;
}

/** The real host. */
export const realCdiHost: CdiHost = {
  deviceNode(path) {
    const st = Deno.statSync(path);
    if ((!st.isCharDevice && !st.isBlockDevice) || st.rdev === null) {
      throw new Error("not a device node");
    }
    return {
      type: st.isBlockDevice ? "b" : "c",
      ...deviceNumbers(st.rdev),
      mode: (st.mode ?? 0o600) & 0o7777,
      uid: st.uid ?? 0,
      gid: st.gid ?? 0,
    };
  },
  exists(path) {
    try {
      Deno.statSync(path);
      return true;
    } catch {
      return false;
    }
  },
};

function deviceMapping(node: CdiDeviceNode, what: string, host: CdiHost): DeviceMapping {
  const fail = (why: string) => new InvalidArgumentError(`${what}: ${why}`);
  if (node.type === "p") throw fail(`device node ${node.path} is a FIFO, which skiff cannot make`);
  const hostPath = node.hostPath ?? node.path;
  let found: HostDevice | undefined;
  try {
    found = host.deviceNode(hostPath);
  } catch (err) {
    if (node.major === undefined || node.minor === undefined || !node.type) {
      throw fail(`device node ${hostPath}: ${(err as Error).message.split("\n")[0]}`);
    }
  }
  const type = node.type === "b" ? "b" : node.type ? "c" : found!.type;
  if (found && node.type && found.type !== type) {
    throw fail(`device node ${hostPath} is not a ${type === "b" ? "block" : "character"} device`);
  }
  return {
    pathOnHost: hostPath,
    pathInContainer: node.path,
    cgroupPermissions: node.permissions ?? "rwm",
    type,
    major: node.major ?? found!.major,
    minor: node.minor ?? found!.minor,
    mode: node.fileMode !== undefined ? node.fileMode & 0o7777 : found?.mode ?? 0o666,
    uid: node.uid ?? found?.uid ?? 0,
    gid: node.gid ?? found?.gid ?? 0,
  };
}

const PROPAGATION = ["private", "rprivate", "shared", "rshared", "slave", "rslave"];

function mountSpec(m: CdiMount, what: string, host: CdiHost): MountSpec {
  const options = m.options ?? [];
  const readonly = options.includes("ro");
  if (m.type === "tmpfs") {
    const tmpfs: TmpfsMountSpec = {
      type: "tmpfs",
      target: m.containerPath,
      readonly,
      options: options.filter((o) => o !== "ro" && o !== "rw"),
    };
    return tmpfs;
  }
  if (m.type !== undefined && m.type !== "bind" && m.type !== "none") {
    throw new InvalidArgumentError(
      `${what}: mount of ${m.containerPath} has type "${m.type}" (skiff makes bind and tmpfs mounts)`,
    );
  }
  if (!host.exists(m.hostPath)) {
    throw new InvalidArgumentError(
      `${what}: mount source ${m.hostPath} does not exist`,
    );
  }
  const bind: BindMountSpec = {
    type: "bind",
    source: m.hostPath,
    target: m.containerPath,
    readonly,
    propagation: options.find((o) => PROPAGATION.includes(o)) ?? "rprivate",
    recursive: !options.includes("bind") || options.includes("rbind"),
  };
  return bind;
}

function applyEdits(o: RunOptions, edits: CdiEdits, what: string, host: CdiHost): void {
  const fail = (why: string) => new InvalidArgumentError(`${what}: ${why}`);
  const hook = edits.hooks?.[0];
  if (hook) {
    throw fail(
      `its spec asks for a ${hook.hookName} hook (${hook.path}), and skiff's runtime runs no OCI hooks`,
    );
  }
  if (edits.unsupported?.length) {
    throw fail(`its spec uses ${edits.unsupported.join(" and ")}, which skiff does not support`);
  }
  for (const node of edits.deviceNodes ?? []) {
    const mapping = deviceMapping(node, what, host);
    const devices = o.devices ??= [];
    const at = devices.findIndex((d) => d.pathInContainer === mapping.pathInContainer);
    if (at >= 0) devices[at] = mapping;
    else devices.push(mapping);
  }
  for (const m of edits.mounts ?? []) {
    const spec = mountSpec(m, what, host);
    o.mounts = [...o.mounts.filter((x) => x.target !== spec.target), spec];
  }
  if (edits.env?.length) o.env = [...o.env, ...edits.env];
  if (edits.additionalGids?.length) {
    o.groupAdd = [...new Set([...(o.groupAdd ?? []), ...edits.additionalGids.map(String)])];
  }
}

/**
 * Applies `devices` to `o`: each device's edits, then each spec's own edits once.
 *
 * @example
 * ```ts ignore
 * applyCdiDevices(options, resolveCdiDevices(reg, ["example.com/null=a"]), realCdiHost);
 * ```
 */
export function applyCdiDevices(o: RunOptions, devices: CdiDevice[], host: CdiHost): void {
  const specs = new Set<CdiDevice["spec"]>();
  for (const d of devices) {
    applyEdits(o, d.edits, `CDI device ${d.qualified}`, host);
    specs.add(d.spec);
  }
  for (const spec of specs) applyEdits(o, spec.edits, `CDI spec ${spec.source}`, host);
}

/**
 * Resolves the CDI requests of `o` (`cdiDevices`, `gpus`) through the host's spec files and
 * applies them to `o`. Nothing is read when there are none.
 *
 * @example
 * ```ts ignore
 * await applyCdiRequests(options); // --device example.com/null=a is now /dev/null, a mount, env
 * ```
 */
export async function applyCdiRequests(
  o: RunOptions,
  host: CdiHost = realCdiHost,
  load: () => Promise<CdiRegistry> = () => loadCdiRegistry(cdiSpecDirs()),
): Promise<void> {
  if (!o.cdiDevices?.length && !o.gpus) return;
  const reg = await load();
  const names = [...(o.cdiDevices ?? []), ...(o.gpus ? selectGpus(reg, o.gpus) : [])];
  applyCdiDevices(o, resolveCdiDevices(reg, [...new Set(names)]), host);
}
