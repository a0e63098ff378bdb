/**
 * `RUN --mount=...` values into typed mount specs, as BuildKit reads them: comma-separated
 * (CSV-quoted) `key=value` fields, `type=bind|cache|tmpfs|secret|ssh` (bind by default), each
 * value expanded with the stage's variables when an expander is given.
 */
import { suggest } from "./flags.ts";

/** The sharing mode of a cache mount. */
export type CacheSharing = "shared" | "private" | "locked";

/**
 * A bind mount: from the context or another stage/image, read-only by default. An empty or
 * relative target is taken relative to the working directory when the step runs.
 */
export interface BindMount {
  type: "bind";
  target: string;
  source: string;
  from: string;
  readOnly: boolean;
}

/** A cache directory kept between builds, shared by `id`. */
export interface CacheMount {
  type: "cache";
  target: string;
  id: string;
  sharing: CacheSharing;
  from: string;
  source: string;
  readOnly: boolean;
  mode: number;
  uid: number;
  gid: number;
}

/** A tmpfs, empty for each run. */
export interface TmpfsMount {
  type: "tmpfs";
  target: string;
  /** Size limit in bytes, 0 for none. */
  size: number;
  readOnly: boolean;
}

/** A secret from `--secret`: a file at `target` and/or an environment variable `env`. */
export interface SecretMount {
  type: "secret";
  id: string;
  target: string;
  env?: string;
  required: boolean;
  mode: number;
  uid: number;
  gid: number;
}

/** An SSH agent socket from `--ssh`. */
export interface SshMount {
  type: "ssh";
  id: string;
  /** "" for BuildKit's default, `/run/buildkit/ssh_agent.<n>`. */
  target: string;
  required: boolean;
  mode: number;
  uid: number;
  gid: number;
}

/** One `--mount` of a RUN instruction. */
export type MountSpec = BindMount | CacheMount | TmpfsMount | SecretMount | SshMount;

const types = ["bind", "cache", "tmpfs", "secret", "ssh"];
const sharingModes = ["shared", "private", "locked"];
const keys = [
  "type",
  "from",
  "source",
  "target",
  "readonly",
  "id",
  "sharing",
  "required",
  "size",
  "mode",
  "uid",
  "gid",
  "src",
  "dst",
  "destination",
  "ro",
  "rw",
  "readwrite",
  "env",
];

/**
 * The stage or image a `--mount` value reads from (`from=`), checked as BuildKit does before
 * any variable is known: a `$` (other than a trailing one) is refused, other fields are not
 * looked at yet. "" when the mount names no `from`.
 */
export function mountFrom(value: string): string {
  let from = "";
  for (const field of csvFields(value)) {
    const [key, v] = cut(field);
    if (v === undefined || key.toLowerCase() !== "from") continue;
    const dollar = v.indexOf("$");
    if (dollar >= 0 && dollar !== v.length - 1) {
      throw new Error("'from' doesn't support variable expansion, define alias stage instead");
    }
    from = v;
  }
  return from;
}

/**
 * Parses one `--mount` value, fields in order as BuildKit reads them (so `type=` must come
 * before the keys that depend on it). `expand` substitutes variables in each value (the
 * stage's ARG and ENV). Defaults BuildKit fills in when it runs the mount are filled in here
 * too: a cache `id` is the cleaned target, a secret's `id` its source or the target's base
 * name and its target `/run/secrets/<id>` unless it goes to an environment variable, an ssh
 * `id` is `default`. Errors use BuildKit's wording.
 *
 * @example
 * ```ts
 * import { parseMount } from "./mount.ts";
 * parseMount("type=cache,target=/root/.cache"); // { type: "cache", id: "/root/.cache", ... }
 * ```
 */
export function parseMount(value: string, expand: (w: string) => string = (w) => w): MountSpec {
  let type = "bind";
  const m = {
    from: "",
    source: "",
    target: "",
    id: "",
    sharing: "",
    readOnly: undefined as boolean | undefined,
    required: false,
    size: 0,
    mode: undefined as number | undefined,
    uid: undefined as number | undefined,
    gid: undefined as number | undefined,
    env: undefined as string | undefined,
  };
  for (const field of csvFields(value)) {
    const [rawKey, rawValue] = cut(field);
    const key = rawKey.toLowerCase();
    if (rawValue === undefined) {
      if (key === "readonly" || key === "ro") m.readOnly = true;
      else if (key === "readwrite" || key === "rw") m.readOnly = false;
      else if (key === "required" && (type === "secret" || type === "ssh")) m.required = true;
      else if (key === "required") {
        throw new Error(`unexpected key '${key}' for mount type '${type}'`);
      } else throw new Error(`invalid field '${field}' must be a key=value pair`);
      continue;
    }
    const v = expand(rawValue);
    switch (key) {
      case "type": {
        const t = v.toLowerCase();
        if (!types.includes(t)) {
          throw new Error(`unsupported mount type ${JSON.stringify(v)}${suggest(v, types, true)}`);
        }
        type = t;
        break;
      }
      case "from":
        m.from = v;
        break;
      case "source":
      case "src":
        m.source = v;
        break;
      case "target":
      case "dst":
      case "destination":
        m.target = v;
        break;
      case "readonly":
      case "ro":
        m.readOnly = parseBool(key, v);
        break;
      case "readwrite":
      case "rw":
        m.readOnly = !parseBool(key, v);
        break;
      case "required":
        if (type !== "secret" && type !== "ssh") {
          throw new Error(`unexpected key '${key}' for mount type '${type}'`);
        }
        m.required = parseBool(key, v);
        break;
      case "size":
        if (type !== "tmpfs") throw new Error(`unexpected key '${key}' for mount type '${type}'`);
        m.size = parseSize(v);
        break;
      case "id":
        m.id = v;
        break;
      case "sharing": {
        const mode = v.toLowerCase();
        if (!sharingModes.includes(mode)) {
          throw new Error(
            `unsupported sharing value ${JSON.stringify(v)}${suggest(v, sharingModes, true)}`,
          );
        }
        m.sharing = mode;
        break;
      }
      case "mode":
        m.mode = parseUint(v, 8, `invalid value ${v} for mode`);
        break;
      case "uid":
      case "gid":
        m[key] = parseUint(v, 10, `invalid value ${v} for ${key}`);
        break;
      case "env":
        m.env = v;
        break;
      default:
        throw new Error(`unexpected key '${key}' in '${field}'${suggest(key, keys, true)}`);
    }
  }
  const fileInfo = type === "secret" || type === "ssh" || type === "cache";
  if (!fileInfo) {
    for (const k of ["mode", "uid", "gid"] as const) {
      if (m[k] !== undefined) throw new Error(`${k} not allowed for "${type}" type mounts`);
    }
  }
  if (type === "secret") {
    if (m.from) throw new Error("secret mount should not have a from");
    if (m.sharing) throw new Error("secret mount should not define sharing");
    if (!m.source && !m.target && !m.id) {
      throw new Error("invalid secret mount. one of source, target required");
    }
    if (m.source && m.id) throw new Error("both source and id can't be set");
  }
  if (m.sharing && type !== "cache") {
    throw new Error(`invalid cache sharing set for ${type} mount`);
  }
  const uid = m.uid ?? 0;
  const gid = m.gid ?? 0;
  switch (type) {
    case "cache":
      return {
        type,
        target: m.target,
        id: m.id || cleanPath(m.target),
        sharing: (m.sharing || "shared") as CacheSharing,
        from: m.from,
        source: m.source,
        readOnly: m.readOnly ?? false,
        mode: m.mode ?? 0o755,
        uid,
        gid,
      };
    case "tmpfs":
      return { type, target: m.target, size: m.size, readOnly: m.readOnly ?? false };
    case "secret": {
      const id = m.source || m.id || basename(m.target);
      const spec: SecretMount = {
        type,
        id,
        target: m.env === undefined && !m.target ? `/run/secrets/${basename(id)}` : m.target,
        required: m.required,
        mode: m.mode ?? 0o400,
        uid,
        gid,
      };
      if (m.env !== undefined) spec.env = m.env;
      return spec;
    }
    case "ssh":
      if (m.source) throw new Error("ssh does not support source");
      return {
        type,
        id: m.id || "default",
        target: m.target,
        required: m.required,
        mode: m.mode ?? 0o600,
        uid,
        gid,
      };
    default:
      return {
        type: "bind",
        target: m.target,
        source: m.source,
        from: m.from,
        readOnly: m.readOnly ?? true,
      };
  }
}

function parseUint(v: string, radix: 8 | 10, message: string): number {
  const ok = radix === 8 ? /^[+]?[0-7]+$/.test(v) : /^[+]?\d+$/.test(v);
  const n = ok ? parseInt(v, radix) : NaN;
  if (!ok || n > 0xffffffff) throw new Error(message);
  return n;
}

/** Go's path.Clean for a slash path ("" is "."). */
function cleanPath(p: string): string {
  const abs = p.startsWith("/");
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length && out[out.length - 1] !== "..") out.pop();
      else if (!abs) out.push("..");
    } else out.push(part);
  }
  const joined = out.join("/");
  return abs ? "/" + joined : joined || ".";
}

function cut(field: string): [string, string | undefined] {
  const eq = field.indexOf("=");
  return eq < 0 ? [field, undefined] : [field.slice(0, eq), field.slice(eq + 1)];
}

/** Go's path.Base: the last element, "." for "", "/" for only slashes. */
function basename(path: string): string {
  if (path === "") return ".";
  const parts = path.split("/").filter((p) => p !== "");
  return parts.length ? parts[parts.length - 1] : "/";
}

/** Go's strconv.ParseBool. */
function parseBool(key: string, v: string): boolean {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(v)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(v)) return false;
  throw new Error(`invalid value for ${key}: ${v}`);
}

/** A RAM size as Docker's units.RAMInBytes reads it: `64m`, `1g`, `512k`, `100` (bytes). */
function parseSize(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)i?b?$/i.exec(v);
  if (!m) throw new Error(`invalid value for size: ${v}`);
  const mult = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
  return Math.floor(Number(m[1]) * mult[m[2].toLowerCase() as keyof typeof mult]);
}

/** Splits one CSV record (fields may be double-quoted, `""` is a quote inside them). */
function csvFields(value: string): string[] {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  let i = 0;
  let fieldStart = true;
  while (i < value.length) {
    const ch = value[i];
    if (quoted) {
      if (ch === '"' && value[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (ch === '"') quoted = false;
      else field += ch;
      i++;
      continue;
    }
    if (ch === '"' && fieldStart) {
      quoted = true;
      fieldStart = false;
      i++;
      continue;
    }
    if (ch === ",") {
      fields.push(field);
      field = "";
      fieldStart = true;
      i++;
      continue;
    }
    if (ch === '"') throw new Error(`bare " in non-quoted field: ${value}`);
    field += ch;
    fieldStart = false;
    i++;
  }
  if (quoted) throw new Error(`extraneous or missing " in quoted-field: ${value}`);
  fields.push(field);
  return fields.filter((f) => f !== "");
}
