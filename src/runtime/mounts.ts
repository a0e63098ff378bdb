/**
 * Parsing of `-v`, `--mount` and `--tmpfs` into mount specs, with Docker's
 * rules and error messages. Pure: the bind-source existence check and the
 * current directory come from the caller.
 */
import { InvalidArgumentError } from "../errors.ts";
import { parseSize } from "../units.ts";

/** A host directory or file bound into the container. */
export interface BindMountSpec {
  type: "bind";
  /** Absolute, cleaned host path. */
  source: string;
  /** Absolute, cleaned path inside the container. */
  target: string;
  readonly: boolean;
  /** rprivate (default), private, rshared, shared, rslave, slave. */
  propagation: string;
  /** false with `bind-recursive=disabled` (plain bind instead of rbind). */
  recursive: boolean;
  /** Made (a directory, mode 0755) at start when missing: `-v` does so, `--mount` refuses. */
  createSource?: boolean;
}

/** A named volume (`name` set) or an anonymous one (`name` undefined). */
export interface VolumeMountSpec {
  type: "volume";
  name?: string;
  target: string;
  readonly: boolean;
  /** Do not copy the image's content at `target` into a new, empty volume. */
  noCopy: boolean;
  /** Mount only this relative path of the volume. */
  subpath?: string;
}

/** A tmpfs. `options` are raw mount options ("size=64m", "mode=1777", "noexec"...). */
export interface TmpfsMountSpec {
  type: "tmpfs";
  target: string;
  readonly: boolean;
  options: string[];
}

/** One parsed mount flag. */
export type MountSpec = BindMountSpec | VolumeMountSpec | TmpfsMountSpec;

/** What the parsers need from the outside world. */
export interface MountParseContext {
  /** Directory `./relative` bind sources are resolved against. */
  cwd: string;
  /** Whether a host path exists (checked for `--mount type=bind`, as Docker does). */
  exists: (path: string) => boolean;
}

const PROPAGATION = ["private", "rprivate", "shared", "rshared", "slave", "rslave"];
const CONSISTENCY = ["consistent", "cached", "delegated", "default"];

/**
 * Cleans a slash path like Go's path.Clean: no "." or ".." segments, no
 * doubled or trailing slashes.
 *
 * @example
 * ```ts
 * cleanPath("/a/./b/../c/"); // "/a/c"
 * ```
 */
export function cleanPath(p: string): string {
  const abs = p.startsWith("/");
  const out: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!abs) out.push("..");
    } else out.push(seg);
  }
  const s = (abs ? "/" : "") + out.join("/");
  return s === "" ? "." : s;
}

function invalidSpec(raw: string): InvalidArgumentError {
  return new InvalidArgumentError(`invalid volume specification: '${raw}'`);
}

function mountConfigError(type: string, msg: string): InvalidArgumentError {
  return new InvalidArgumentError(`invalid mount config for type "${type}": ${msg}`);
}

function validMode(mode: string): boolean {
  if (mode === "") return true;
  const counts = { rw: 0, label: 0, prop: 0, copy: 0, cons: 0 };
  for (const o of mode.split(",")) {
    if (o === "ro" || o === "rw") counts.rw++;
    else if (o === "z" || o === "Z") counts.label++;
    else if (PROPAGATION.includes(o)) counts.prop++;
    else if (o === "nocopy") counts.copy++;
    else if (CONSISTENCY.includes(o)) counts.cons++;
    else return false;
  }
  return Object.values(counts).every((n) => n <= 1);
}

function checkTarget(type: string, target: string): string {
  if (target === "") throw mountConfigError(type, "field Target must not be empty");
  if (!target.startsWith("/")) {
    throw mountConfigError(type, `invalid mount path: '${target}' mount path must be absolute`);
  }
  const t = cleanPath(target);
  if (t === "/") throw mountConfigError(type, "invalid specification: destination can't be '/'");
  return t;
}

/**
 * Parses `-v [src:]dst[:mode]`. `src` that is absolute or starts with `./`
 * or `../` is a bind mount (relative ones resolved against `ctx.cwd`; the
 * source need not exist: it is created at start, as Docker does); any other `src` names a volume;
 * no `src` is an anonymous volume. Modes: ro, rw, z, Z, nocopy, a propagation
 * mode, a consistency mode, comma-separated.
 *
 * @example
 * ```ts
 * parseVolumeFlag("/srv/data:/data:ro", { cwd: "/", exists: () => true });
 * // { type: "bind", source: "/srv/data", target: "/data", readonly: true, ... }
 * ```
 */
export function parseVolumeFlag(raw: string, ctx: MountParseContext): MountSpec {
  const arr = raw.split(":");
  if (arr.length > 3 || arr[0] === "") throw invalidSpec(raw);
  let source = "", target: string, mode = "";
  if (arr.length === 1) target = arr[0];
  else if (arr.length === 2) {
    if (validMode(arr[1])) throw invalidSpec(raw);
    [source, target] = arr;
  } else [source, target, mode] = arr;
  if (!validMode(mode)) throw new InvalidArgumentError(`invalid mode: ${mode}`);
  const words = mode === "" ? [] : mode.split(",");
  const readonly = words.includes("ro");
  const wrap = (f: () => string) => {
    try {
      return f();
    } catch (e) {
      throw new InvalidArgumentError(
        `invalid volume specification: '${raw}': ${(e as Error).message}`,
      );
    }
  };
  if (source.startsWith("./") || source.startsWith("../") || source === "." || source === "..") {
    source = cleanPath(`${ctx.cwd}/${source}`);
  }
  if (source.startsWith("/")) {
    const t = wrap(() => checkTarget("bind", target));
    return {
      type: "bind",
      source: cleanPath(source),
      target: t,
      readonly,
      propagation: words.find((w) => PROPAGATION.includes(w)) ?? "rprivate",
      recursive: true,
      createSource: true,
    };
  }
  const t = wrap(() => checkTarget("volume", target));
  if (source !== "" && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(source)) {
    throw new InvalidArgumentError(
      `"${source}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
    );
  }
  return {
    type: "volume",
    ...(source !== "" ? { name: source } : {}),
    target: t,
    readonly,
    noCopy: words.includes("nocopy"),
  };
}

function parseBool(key: string, v: string): boolean {
  const t = v.toLowerCase();
  if (t === "" || t === "true" || t === "1") return true;
  if (t === "false" || t === "0") return false;
  throw new InvalidArgumentError(`invalid value for ${key}: ${v}`);
}

/**
 * Parses `--mount type=bind|volume|tmpfs,source=...,target=...[,readonly]...`
 * (CSV fields as Docker's CLI: type defaults to volume; src/source,
 * dst/destination/target, ro/readonly, bind-propagation, bind-recursive,
 * volume-nocopy, volume-subpath, tmpfs-size, tmpfs-mode). A bind source must
 * exist.
 *
 * @example
 * ```ts ignore
 * parseMountFlag("type=tmpfs,target=/run,tmpfs-size=64m", ctx);
 * // { type: "tmpfs", target: "/run", readonly: false, options: ["size=67108864"] }
 * ```
 */
export function parseMountFlag(raw: string, ctx: MountParseContext): MountSpec {
  let type = "volume", source = "", target = "", readonly = false;
  let propagation: string | undefined, recursive = true, noCopy = false;
  let subpath: string | undefined;
  const tmpfs: string[] = [];
  for (const field of raw.split(",")) {
    if (field === "") continue;
    const eq = field.indexOf("=");
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? "" : field.slice(eq + 1);
    if (eq < 0 && !["readonly", "ro", "volume-nocopy", "bind-nonrecursive"].includes(key)) {
      throw new InvalidArgumentError(`invalid field '${field}' must be a key=value pair`);
    }
    switch (key) {
      case "type":
        if (!["bind", "volume", "tmpfs"].includes(value)) {
          throw new InvalidArgumentError(`invalid mount config: mount type unknown: "${value}"`);
        }
        type = value;
        break;
      case "source":
      case "src":
        source = value;
        break;
      case "target":
      case "dst":
      case "destination":
        target = value;
        break;
      case "readonly":
      case "ro":
        readonly = parseBool(key, value);
        break;
      case "consistency":
        break;
      case "bind-propagation":
        if (!PROPAGATION.includes(value)) {
          throw mountConfigError("bind", `invalid propagation mode: ${value}`);
        }
        propagation = value;
        break;
      case "bind-recursive":
        if (!["enabled", "disabled"].includes(value)) {
          throw new InvalidArgumentError(`invalid value for ${key}: ${value}`);
        }
        recursive = value === "enabled";
        break;
      case "bind-nonrecursive":
        recursive = !parseBool(key, value);
        break;
      case "volume-nocopy":
        noCopy = parseBool(key, value);
        break;
      case "volume-subpath":
        subpath = value;
        break;
      case "tmpfs-size":
        tmpfs.push(`size=${parseSize(value)}`);
        break;
      case "tmpfs-mode": {
        if (!/^[0-7]+$/.test(value)) {
          throw new InvalidArgumentError(`invalid value for ${key}: ${value}`);
        }
        tmpfs.push(`mode=${Number.parseInt(value, 8).toString(8)}`);
        break;
      }
      default:
        throw new InvalidArgumentError(`unexpected key '${key}' in '${field}'`);
    }
  }
  const t = checkTarget(type, target);
  if (type === "bind") {
    if (source === "") throw mountConfigError("bind", "field Source must not be empty");
    if (!source.startsWith("/")) {
      if (source.startsWith(".")) source = cleanPath(`${ctx.cwd}/${source}`);
      else {
        throw mountConfigError(
          "bind",
          `invalid mount path: '${source}' mount path must be absolute`,
        );
      }
    }
    source = cleanPath(source);
    if (!ctx.exists(source)) {
      throw mountConfigError("bind", `bind source path does not exist: ${source}`);
    }
    return {
      type: "bind",
      source,
      target: t,
      readonly,
      propagation: propagation ?? "rprivate",
      recursive,
    };
  }
  if (propagation !== undefined || !recursive) {
    throw mountConfigError(type, "cannot mix 'bind-*' options with mount type 'bind'");
  }
  if (type === "tmpfs") {
    if (source !== "") throw mountConfigError("tmpfs", "field Source must not be specified");
    return { type: "tmpfs", target: t, readonly, options: tmpfs };
  }
  if (tmpfs.length > 0) {
    throw mountConfigError("volume", "cannot mix 'tmpfs-*' options with mount type 'tmpfs'");
  }
  if (subpath !== undefined) {
    if (source === "") {
      throw mountConfigError("volume", "must not set Subpath when using anonymous volumes");
    }
    const c = cleanPath(subpath);
    if (subpath.startsWith("/") || c === ".." || c.startsWith("../")) {
      throw mountConfigError("volume", "subpath must be a relative path within the volume");
    }
  }
  return {
    type: "volume",
    ...(source !== "" ? { name: source } : {}),
    target: t,
    readonly,
    noCopy,
    ...(subpath !== undefined ? { subpath: cleanPath(subpath) } : {}),
  };
}

/**
 * Parses `--tmpfs /dst[:options]`; the options are raw tmpfs mount options
 * ("size=64m,mode=1777,noexec").
 *
 * @example
 * ```ts
 * parseTmpfsFlag("/run:size=64m,mode=1777");
 * // { type: "tmpfs", target: "/run", readonly: false, options: ["size=64m", "mode=1777"] }
 * ```
 */
export function parseTmpfsFlag(raw: string): TmpfsMountSpec {
  const colon = raw.indexOf(":");
  const target = colon < 0 ? raw : raw.slice(0, colon);
  const options = colon < 0 ? [] : raw.slice(colon + 1).split(",").filter((o) => o !== "");
  const t = checkTarget("tmpfs", target);
  for (const o of options) {
    if (/[\s]/.test(o)) throw new InvalidArgumentError(`invalid tmpfs option: "${o}"`);
  }
  return {
    type: "tmpfs",
    target: t,
    readonly: options.includes("ro"),
    options: options.filter((o) => o !== "ro" && o !== "rw"),
  };
}

/**
 * Refuses two mounts on one target, as Docker does (`Duplicate mount point: /data`).
 *
 * @example
 * ```ts ignore
 * checkDuplicateTargets(opts.mounts);
 * ```
 */
export function checkDuplicateTargets(mounts: readonly MountSpec[]): void {
  const seen = new Set<string>();
  for (const m of mounts) {
    if (seen.has(m.target)) throw new InvalidArgumentError(`Duplicate mount point: ${m.target}`);
    seen.add(m.target);
  }
}
