/**
 * `RUN --mount=...` values into typed mount specs, as BuildKit reads them: comma-separated
 * (CSV-quoted) `key=value` fields, `type=bind|cache|tmpfs|secret|ssh` (bind by default), each
 * value expanded with the stage's variables when an expander is given.
 */
import { suggest } from "./flags.ts";

/** The sharing mode of a cache mount. */
export type CacheSharing = "shared" | "private" | "locked";

/** A bind mount: from the context or another stage/image, read-only by default. */
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
}

/** A secret from `--secret`: a file at `target` or an environment variable `env`. */
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
  target: string;
  required: boolean;
  mode: number;
  uid: number;
  gid: number;
}

/** One `--mount` of a RUN instruction. */
export type MountSpec = BindMount | CacheMount | TmpfsMount | SecretMount | SshMount;

const types = ["bind", "cache", "tmpfs", "secret", "ssh"] as const;
const keys = [
  "type",
  "from",
  "source",
  "src",
  "target",
  "dst",
  "destination",
  "dest",
  "readonly",
  "ro",
  "readwrite",
  "rw",
  "required",
  "size",
  "id",
  "sharing",
  "mode",
  "uid",
  "gid",
  "env",
];

/**
 * Parses one `--mount` value. `expand` substitutes variables in each value (the stage's
 * ARG and ENV); without it values are taken as written. Errors use BuildKit's wording.
 *
 * @example
 * ```ts
 * import { parseMount } from "./mount.ts";
 * parseMount("type=cache,target=/root/.cache"); // { type: "cache", id: "/root/.cache", ... }
 * ```
 */
export function parseMount(value: string, expand: (w: string) => string = (w) => w): MountSpec {
  const fields = csvFields(value);
  let type = "bind" as (typeof types)[number];
  for (const field of fields) {
    const [k, v] = cut(field);
    if (k.toLowerCase() === "type" && v !== undefined) {
      const t = expand(v);
      if (!(types as readonly string[]).includes(t)) {
        throw new Error(`unsupported mount type ${JSON.stringify(t)}`);
      }
      type = t as typeof type;
    }
  }
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
  const fileInfo = type === "secret" || type === "ssh" || type === "cache";
  for (const field of fields) {
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
      case "type":
        break;
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
      case "dest":
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
      case "sharing":
        if (type !== "cache") throw new Error(`invalid cache sharing set for ${type} mount`);
        if (!["shared", "private", "locked"].includes(v)) {
          throw new Error(`unsupported sharing value ${JSON.stringify(v)}`);
        }
        m.sharing = v;
        break;
      case "mode":
        if (!/^[0-7]+$/.test(v) || parseInt(v, 8) > 0o7777) {
          throw new Error(`invalid value ${v} for mode`);
        }
        m.mode = parseInt(v, 8);
        break;
      case "uid":
      case "gid": {
        if (!/^\d+$/.test(v) || Number(v) > 0xffffffff) {
          throw new Error(`invalid value ${v} for ${key}`);
        }
        m[key] = Number(v);
        break;
      }
      case "env":
        if (type !== "secret") throw new Error(`unexpected key '${key}' for mount type '${type}'`);
        m.env = v;
        break;
      default:
        throw new Error(`unexpected key '${rawKey}' in '${field}'${suggest(key, keys)}`);
    }
  }
  if (!fileInfo) {
    for (const k of ["mode", "uid", "gid"] as const) {
      if (m[k] !== undefined) throw new Error(`${k} not allowed for "${type}" type mounts`);
    }
  }
  const uid = m.uid ?? 0;
  const gid = m.gid ?? 0;
  switch (type) {
    case "bind":
      if (!m.target) throw new Error("mount target is required for bind mount");
      return {
        type,
        target: m.target,
        source: m.source,
        from: m.from,
        readOnly: m.readOnly ?? true,
      };
    case "cache":
      if (!m.target) throw new Error("mount target is required for cache mount");
      return {
        type,
        target: m.target,
        id: m.id || m.target,
        sharing: (m.sharing || "shared") as CacheSharing,
        from: m.from,
        source: m.source,
        readOnly: m.readOnly ?? false,
        mode: m.mode ?? 0o755,
        uid,
        gid,
      };
    case "tmpfs":
      if (!m.target) throw new Error("mount target is required for tmpfs mount");
      return { type, target: m.target, size: m.size };
    case "secret": {
      if (m.from) throw new Error("secret mount should not have a from");
      if (!m.source && !m.target && !m.id && !m.env) {
        throw new Error("invalid secret mount. one of source, target required");
      }
      if (m.source && m.id) throw new Error("both source and id can't be set");
      const id = m.id || m.source || (m.target ? basename(m.target) : "") ||
        basename(m.env ?? "");
      const target = m.target || (m.env !== undefined ? "" : `/run/secrets/${id}`);
      const spec: SecretMount = {
        type,
        id,
        target,
        required: m.required,
        mode: m.mode ?? 0o400,
        uid,
        gid,
      };
      if (m.env !== undefined) spec.env = m.env;
      return spec;
    }
    case "ssh":
      if (m.from) throw new Error("ssh mount should not have a from");
      return {
        type,
        id: m.id || "default",
        target: m.target || "/run/buildkit/ssh_agent.0",
        required: m.required,
        mode: m.mode ?? 0o600,
        uid,
        gid,
      };
  }
}

function cut(field: string): [string, string | undefined] {
  const eq = field.indexOf("=");
  return eq < 0 ? [field, undefined] : [field.slice(0, eq), field.slice(eq + 1)];
}

function basename(path: string): string {
  const parts = path.split("/").filter((p) => p !== "");
  return parts.length ? parts[parts.length - 1] : "";
}

function parseBool(key: string, v: string): boolean {
  const t = v.toLowerCase();
  if (["1", "t", "true"].includes(t)) return true;
  if (["0", "f", "false"].includes(t)) return false;
  throw new Error(`invalid value for ${key}: ${v}`);
}

/** A RAM size as Docker's units.RAMInBytes reads it: `64m`, `1g`, `512k`, `100` (bytes). */
function parseSize(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)i?b?$/i.exec(v);
  if (!m) throw new Error(`invalid size: '${v}'`);
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
