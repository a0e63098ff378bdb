/**
 * A container's log driver and its options (`--log-driver`, `--log-opt`), kept in its record
 * as Docker's `HostConfig.LogConfig`, checked with Docker's messages before anything is made.
 */
import { InvalidArgumentError } from "../errors.ts";
import { fromHumanSize } from "../units.ts";

/** The drivers skiff has: k8s-file (the default) and json-file keep a file `logs` reads. */
export type LogDriver = "k8s-file" | "json-file" | "none" | "journald";

/** Docker's LogConfig: the driver and its options as given. */
export interface LogConfig {
  Type: LogDriver;
  Config: Record<string, string>;
}

/** The driver a container gets without --log-driver. */
export const DEFAULT_LOG_DRIVER: LogDriver = "k8s-file";
/** journald's native socket. */
export const JOURNAL_SOCKET = "/run/systemd/journal/socket";

const DRIVERS: LogDriver[] = ["k8s-file", "json-file", "none", "journald"];
const OPTIONS: Record<LogDriver, string[]> = {
  "k8s-file": ["max-size", "max-file", "tag"],
  "json-file": ["max-size", "max-file", "tag"],
  journald: ["tag"],
  none: [],
};

/** Whether the driver keeps a file that `logs` reads. */
export function logKeepsFile(driver: LogDriver): boolean {
  return driver === "k8s-file" || driver === "json-file";
}

/** Rotation limits from max-size and max-file: undefined when the file is never rotated. */
export interface LogRotation {
  maxSize: number;
  maxFile: number;
}

/**
 * Checks --log-driver and --log-opt values (KEY=VALUE each) as Docker's CLI and daemon do;
 * undefined when neither was given (the default driver, no options). `journalExists` tells
 * whether journald's socket is there.
 *
 * @example
 * ```ts
 * parseLogConfig("json-file", ["max-size=10m", "max-file=3"], () => false);
 * // { Type: "json-file", Config: { "max-size": "10m", "max-file": "3" } }
 * ```
 */
export function parseLogConfig(
  driver: string | undefined,
  opts: string[],
  journalExists: () => boolean,
): LogConfig | undefined {
  if (driver === undefined && opts.length === 0) return undefined;
  const type = (driver ?? DEFAULT_LOG_DRIVER) as LogDriver;
  if (!DRIVERS.includes(type)) {
    throw new InvalidArgumentError(`logger: no log driver named '${driver}' is registered`);
  }
  if (type === "none" && opts.length > 0) {
    throw new InvalidArgumentError("invalid logging opts for driver none");
  }
  const config: Record<string, string> = {};
  for (const o of opts) {
    const eq = o.indexOf("=");
    const key = eq < 0 ? o : o.slice(0, eq);
    if (!OPTIONS[type].includes(key)) {
      throw new InvalidArgumentError(`unknown log opt '${key}' for ${type} log driver`);
    }
    config[key] = eq < 0 ? "" : o.slice(eq + 1);
  }
  const parsed = { Type: type, Config: config };
  logRotation(parsed);
  if (type === "journald" && !journalExists()) {
    throw new InvalidArgumentError(
      `logger: journald is not enabled on this host (${JOURNAL_SOCKET} does not exist)`,
    );
  }
  return parsed;
}

/**
 * The rotation a LogConfig asks for (max-size as go-units FromHumanSize: "10m" is 10,000,000
 * bytes; max-file default 1, the file emptied when full), with Docker's json-file messages.
 *
 * @example
 * ```ts
 * logRotation({ Type: "json-file", Config: { "max-size": "1k", "max-file": "2" } });
 * // { maxSize: 1000, maxFile: 2 }
 * ```
 */
export function logRotation(config: LogConfig | undefined): LogRotation | undefined {
  const c = config?.Config ?? {};
  let maxFile = 1;
  if (c["max-file"] !== undefined) {
    const v = c["max-file"];
    if (!/^[+-]?\d+$/.test(v)) {
      throw new InvalidArgumentError(`strconv.Atoi: parsing "${v}": invalid syntax`);
    }
    maxFile = Number(v);
    if (maxFile < 1) throw new InvalidArgumentError("max-file cannot be less than 1");
  }
  if (c["max-size"] === undefined) return undefined;
  const maxSize = fromHumanSize(c["max-size"]);
  if (maxSize <= 0) throw new InvalidArgumentError("max-size must be a positive number");
  return { maxSize, maxFile };
}

/**
 * The log tag: `tag`'s template with {{.ID}}, {{.FullID}}, {{.Name}}, {{.ImageName}} and
 * {{.ImageID}} filled in; Docker's default is the short id.
 *
 * @example
 * ```ts
 * logTag("{{.Name}}/{{.ID}}", { id: "0123456789abcdef", name: "web", imageName: "busybox", imageId: "sha256:ab" });
 * // "web/0123456789ab"
 * ```
 */
export function logTag(
  template: string | undefined,
  c: { id: string; name: string; imageName: string; imageId: string },
): string {
  const values: Record<string, string> = {
    ID: c.id.slice(0, 12),
    FullID: c.id,
    Name: c.name.replace(/^\//, ""),
    ImageName: c.imageName,
    ImageID: c.imageId.replace(/^sha256:/, "").slice(0, 12),
    ImageFullID: c.imageId,
    DaemonName: "skiff",
  };
  return (template || "{{.ID}}").replace(
    /\{\{\s*\.(\w+)\s*\}\}/g,
    (all, key: string) => values[key] ?? all,
  );
}
