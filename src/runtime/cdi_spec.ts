/**
 * One CDI specification document, checked: its kind, its devices, and the container edits
 * (device nodes, mounts, environment, hooks, extra groups) each device or the whole spec
 * makes. A spec file is root's configuration and is trusted as such, but every path in it
 * must be absolute and free of `..`, and anything skiff cannot apply is refused by name.
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.ts";
import { kindProblem, validDeviceName } from "./cdi_names.ts";

/** A device node to make in the container. */
export interface CdiDeviceNode {
  /** Where it appears in the container. */
  path: string;
  /** The host's node (default: `path`). */
  hostPath?: string;
  type?: "c" | "b" | "u" | "p";
  major?: number;
  minor?: number;
  fileMode?: number;
  /** Device cgroup permissions (`rwm`). */
  permissions?: string;
  uid?: number;
  gid?: number;
}

/** A mount to add. */
export interface CdiMount {
  hostPath: string;
  containerPath: string;
  type?: string;
  options?: string[];
}

/** A hook to run (skiff's runtime has none: a device that needs one is refused). */
export interface CdiHook {
  hookName: string;
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

/** The edits a device (or a whole spec) makes to a container. */
export interface CdiEdits {
  env?: string[];
  deviceNodes?: CdiDeviceNode[];
  mounts?: CdiMount[];
  hooks?: CdiHook[];
  additionalGids?: number[];
  /** Fields skiff cannot apply (intelRdt, netDevices), named for the error. */
  unsupported?: string[];
}

/** A checked CDI spec. */
export interface CdiSpec {
  cdiVersion: string;
  kind: string;
  devices: { name: string; edits: CdiEdits }[];
  edits: CdiEdits;
  /** The file it came from. */
  source: string;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Checks an absolute path without `..`; returns it. */
function checkPath(v: unknown, what: string, fail: (why: string) => Error): string {
  if (typeof v !== "string" || v === "") throw fail(`${what} must be a non-empty string`);
  if (!v.startsWith("/")) throw fail(`${what} "${v}" is not an absolute path`);
  if (v.split("/").includes("..")) throw fail(`${what} "${v}" contains ".."`);
  if (v.includes("\0")) throw fail(`${what} contains a NUL byte`);
  return v;
}

function strings(v: unknown, what: string, fail: (why: string) => Error): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) {
    throw fail(`${what} must be a list of strings`);
  }
  return v as string[];
}

function uint(v: unknown, what: string, fail: (why: string) => Error): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw fail(`${what} must be a whole number from 0 to 4294967295`);
  }
  return v;
}

function parseEdits(v: unknown, where: string, fail: (why: string) => Error): CdiEdits {
  if (v === undefined || v === null) return {};
  if (!isObj(v)) throw fail(`${where}: containerEdits must be an object`);
  const at = (why: string) => fail(`${where}: ${why}`);
  const edits: CdiEdits = {};
  const env = strings(v.env, "env", at);
  if (env) {
    for (const e of env) if (!/^[^=]+=/.test(e)) throw at(`env entry "${e}" is not KEY=VALUE`);
    edits.env = env;
  }
  if (v.deviceNodes != null) {
    if (!Array.isArray(v.deviceNodes)) throw at("deviceNodes must be a list");
    edits.deviceNodes = v.deviceNodes.map((n, i) => {
      if (!isObj(n)) throw at(`deviceNodes[${i}] must be an object`);
      const node: CdiDeviceNode = { path: checkPath(n.path, `deviceNodes[${i}].path`, at) };
      if (n.hostPath != null) {
        node.hostPath = checkPath(n.hostPath, `deviceNodes[${i}].hostPath`, at);
      }
      if (n.type != null) {
        if (!["c", "b", "u", "p"].includes(n.type as string)) {
          throw at(`deviceNodes[${i}].type "${n.type}" is not one of b, c, u, p`);
        }
        node.type = n.type as CdiDeviceNode["type"];
      }
      for (const k of ["major", "minor", "fileMode", "uid", "gid"] as const) {
        const num = uint(n[k], `deviceNodes[${i}].${k}`, at);
        if (num !== undefined) node[k] = num;
      }
      if (n.permissions != null && n.permissions !== "") {
        const p = n.permissions;
        if (typeof p !== "string" || !/^[rwm]{1,3}$/.test(p) || new Set(p).size !== p.length) {
          throw at(`deviceNodes[${i}].permissions "${p}" is not made of r, w, m`);
        }
        node.permissions = p;
      }
      return node;
    });
  }
  if (v.mounts != null) {
    if (!Array.isArray(v.mounts)) throw at("mounts must be a list");
    edits.mounts = v.mounts.map((m, i) => {
      if (!isObj(m)) throw at(`mounts[${i}] must be an object`);
      const mount: CdiMount = {
        hostPath: checkPath(m.hostPath, `mounts[${i}].hostPath`, at),
        containerPath: checkPath(m.containerPath, `mounts[${i}].containerPath`, at),
      };
      if (m.type != null) {
        if (typeof m.type !== "string") throw at(`mounts[${i}].type must be a string`);
        mount.type = m.type;
      }
      const options = strings(m.options, `mounts[${i}].options`, at);
      if (options) mount.options = options;
      return mount;
    });
  }
  if (v.hooks != null) {
    if (!Array.isArray(v.hooks)) throw at("hooks must be a list");
    edits.hooks = v.hooks.map((h, i) => {
      if (!isObj(h) || typeof h.hookName !== "string") {
        throw at(`hooks[${i}] must be an object with a hookName`);
      }
      return { hookName: h.hookName, path: checkPath(h.path, `hooks[${i}].path`, at) };
    });
  }
  if (v.additionalGids != null) {
    if (!Array.isArray(v.additionalGids)) throw at("additionalGids must be a list");
    edits.additionalGids = v.additionalGids.map((g, i) => uint(g, `additionalGids[${i}]`, at)!);
  }
  const unsupported = ["intelRdt", "netDevices"].filter((k) => v[k] != null);
  if (unsupported.length) edits.unsupported = unsupported;
  return edits;
}

/**
 * Checks a parsed CDI document (JSON or YAML) from `source`; a one-line error names the file
 * and what is wrong in it.
 *
 * @example
 * ```ts
 * const spec = parseCdiSpec({
 *   cdiVersion: "0.6.0",
 *   kind: "example.com/null",
 *   devices: [{ name: "a", containerEdits: { deviceNodes: [{ path: "/dev/null" }] } }],
 * }, "/etc/cdi/example.json");
 * spec.devices[0].name; // "a"
 * ```
 */
export function parseCdiSpec(doc: unknown, source: string): CdiSpec {
  const fail = (why: string) => new InvalidArgumentError(`CDI spec ${source}: ${why}`);
  if (!isObj(doc)) throw fail("not an object");
  if (typeof doc.cdiVersion !== "string" || !/^\d+\.\d+\.\d+$/.test(doc.cdiVersion)) {
    throw fail(`cdiVersion must be a version such as "0.6.0"`);
  }
  if (typeof doc.kind !== "string") throw fail("kind must be a string");
  const problem = kindProblem(doc.kind);
  if (problem) throw fail(problem);
  if (!Array.isArray(doc.devices) || doc.devices.length === 0) {
    throw fail("devices must be a list of at least one device");
  }
  const seen = new Set<string>();
  const devices = doc.devices.map((d, i) => {
    if (!isObj(d) || typeof d.name !== "string") throw fail(`devices[${i}] has no name`);
    if (!validDeviceName(d.name)) throw fail(`invalid device name "${d.name}"`);
    if (seen.has(d.name)) throw fail(`device "${d.name}" is defined twice`);
    seen.add(d.name);
    if (d.containerEdits === undefined) throw fail(`device "${d.name}" has no containerEdits`);
    return { name: d.name, edits: parseEdits(d.containerEdits, `device "${d.name}"`, fail) };
  });
  return {
    cdiVersion: doc.cdiVersion,
    kind: doc.kind,
    devices,
    edits: parseEdits(doc.containerEdits, "containerEdits", fail),
    source,
  };
}
