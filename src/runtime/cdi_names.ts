/**
 * Names of the Container Device Interface: a device is `vendor.com/class=name` (its kind is
 * `vendor.com/class`), and `--gpus all|N|device=...` asks for devices of kind nvidia.com/gpu.
 * Pure and small: `run` and `create` check these when their flags are parsed; the spec files
 * are read later (cdi_registry.ts).
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.ts";

/** A fully qualified CDI device name, split. */
export interface QualifiedDevice {
  vendor: string;
  class: string;
  name: string;
}

const VENDOR = /^[A-Za-z](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?$/;
const CLASS = /^[A-Za-z](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?$/;
const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9_.:-]*[A-Za-z0-9])?$/;

/**
 * True when a `--device` value is a CDI name (`vendor.com/class=name`) rather than a path.
 *
 * @example
 * ```ts
 * isQualifiedDeviceName("vendor.com/gpu=0"); // true
 * isQualifiedDeviceName("/dev/null"); // false
 * ```
 */
export function isQualifiedDeviceName(value: string): boolean {
  return /^[^/=:][^=:]*\/[^=:]*=/.test(value);
}

/**
 * Checks a kind (`vendor.com/class`): a vendor in a domain's shape and a class of letters,
 * digits, `-`, `_` and `.`; returns the reason it is wrong, or undefined.
 *
 * @example
 * ```ts
 * kindProblem("vendor.com/gpu"); // undefined
 * kindProblem("vendor.com/a/b"); // "..."
 * ```
 */
export function kindProblem(kind: string): string | undefined {
  const slash = kind.indexOf("/");
  if (slash < 0) return `kind "${kind}" has no vendor (expected vendor.com/class)`;
  const vendor = kind.slice(0, slash), cls = kind.slice(slash + 1);
  if (!VENDOR.test(vendor)) return `invalid vendor "${vendor}" in kind "${kind}"`;
  if (!CLASS.test(cls)) return `invalid class "${cls}" in kind "${kind}"`;
  return undefined;
}

/**
 * True when `name` is a valid CDI device name (letters, digits, `-`, `_`, `.`, `:`, starting
 * and ending with a letter or digit).
 *
 * @example
 * ```ts
 * validDeviceName("GPU-1a2b"); // true
 * validDeviceName("../x"); // false
 * ```
 */
export function validDeviceName(name: string): boolean {
  return name.length <= 256 && NAME.test(name);
}

/**
 * Parses `vendor.com/class=name`, with a one-line error naming what is wrong.
 *
 * @example
 * ```ts
 * parseQualifiedDevice("nvidia.com/gpu=0"); // { vendor: "nvidia.com", class: "gpu", name: "0" }
 * ```
 */
export function parseQualifiedDevice(value: string): QualifiedDevice {
  const eq = value.indexOf("=");
  const bad = (why: string) =>
    new InvalidArgumentError(`invalid CDI device name "${value}": ${why}`);
  if (eq < 0) throw bad("expected vendor.com/class=name");
  const kind = value.slice(0, eq), name = value.slice(eq + 1);
  const problem = kindProblem(kind);
  if (problem) throw bad(problem);
  if (!validDeviceName(name)) throw bad(`invalid device name "${name}"`);
  const slash = kind.indexOf("/");
  return { vendor: kind.slice(0, slash), class: kind.slice(slash + 1), name };
}

/** The CDI kind `--gpus` maps to. */
export const GPU_KIND = "nvidia.com/gpu";

/** What `--gpus` asks for: every GPU, a number of them, or some by index or UUID. */
export type GpuRequest =
  | { kind: "all" }
  | { kind: "count"; count: number }
  | { kind: "devices"; ids: string[] };

/**
 * Parses `--gpus` as docker's CLI reads it: `all`, a count, or comma-separated `key=value`
 * fields (`count=`, `device=` with its ids, `driver=nvidia`, `capabilities=`, `options=`);
 * `"device=0,1"` quotes a list of devices.
 *
 * @example
 * ```ts
 * parseGpuRequest("all"); // { kind: "all" }
 * parseGpuRequest("2"); // { kind: "count", count: 2 }
 * parseGpuRequest('"device=0,1"'); // { kind: "devices", ids: ["0", "1"] }
 * ```
 */
export function parseGpuRequest(value: string): GpuRequest {
  const bad = (why: string) => new InvalidArgumentError(`invalid --gpus value "${value}": ${why}`);
  const fields = splitCsv(value);
  let request: GpuRequest | undefined;
  const count = (v: string): GpuRequest => {
    if (v === "all") return { kind: "all" };
    if (!/^[0-9]+$/.test(v) || Number(v) < 1) throw bad(`count must be "all" or a number above 0`);
    return { kind: "count", count: Number(v) };
  };
  for (const field of fields) {
    const eq = field.indexOf("=");
    if (eq < 0) {
      if (fields.length !== 1) throw bad(`"${field}" is not key=value`);
      request = count(field);
      continue;
    }
    const key = field.slice(0, eq), v = field.slice(eq + 1);
    if (key === "count") request = count(v);
    else if (key === "device") {
      const ids = v.split(",").filter((id) => id !== "");
      if (!ids.length || !ids.every(validDeviceName)) throw bad(`invalid device list "${v}"`);
      request = { kind: "devices", ids };
    } else if (key === "driver") {
      if (v !== "nvidia" && v !== "") {
        throw bad(`only the nvidia driver's GPUs are known (CDI kind ${GPU_KIND})`);
      }
    } else if (key !== "capabilities" && key !== "options") throw bad(`unexpected key "${key}"`);
  }
  if (!request) throw bad(`expected all, a count, or device=ID[,ID...]`);
  return request;
}

/** Splits comma-separated fields where a double-quoted field may hold commas. */
function splitCsv(value: string): string[] {
  const out: string[] = [];
  let cur = "", quoted = false;
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    else if (ch === "," && !quoted) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  if (quoted) throw new InvalidArgumentError(`invalid --gpus value "${value}": unbalanced quote`);
  out.push(cur);
  return out.filter((f) => f !== "");
}
