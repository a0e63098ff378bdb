/**
 * The image config a build produces, step by step: what each metadata instruction (ENV,
 * LABEL, CMD, ENTRYPOINT, EXPOSE, USER, WORKDIR, VOLUME, STOPSIGNAL, HEALTHCHECK, SHELL,
 * ARG, MAINTAINER, ONBUILD) changes, and the history line each step adds, worded as
 * BuildKit writes them (`docker history` shows them): `ENV A=1`, `CMD ["sh" "-c" "x"]`,
 * `EXPOSE map[80/tcp:{}]`, `RUN |1 V=2 /bin/sh -c make # buildkit`. Pure: no store, no I/O.
 */
import type { HealthConfig, Instruction, ResolvedStep } from "../dockerfile/mod.ts";

/** The runtime part (`config`) of an image config document, as a build writes it. */
export interface RuntimeConfig {
  Env?: string[] | null;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  WorkingDir?: string;
  User?: string;
  Labels?: Record<string, string> | null;
  ExposedPorts?: Record<string, Record<string, never>> | null;
  Volumes?: Record<string, Record<string, never>> | null;
  StopSignal?: string;
  Healthcheck?: Record<string, unknown>;
  Shell?: string[];
  OnBuild?: string[] | null;
  [key: string]: unknown;
}

/** One history entry of an image config. */
export interface History {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** An image config document (what `inspect` and `history` read). */
export interface ImageDoc {
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  author?: string;
  config: RuntimeConfig;
  history: History[];
  [key: string]: unknown;
}

/** The shell of a config: its SHELL, else Docker's `/bin/sh -c`. */
export function shellOf(config: RuntimeConfig): string[] {
  return config.Shell && config.Shell.length > 0 ? config.Shell : ["/bin/sh", "-c"];
}

/** Go's `%q` of a string (close enough for history lines: JSON's escapes). */
function q(s: string): string {
  return JSON.stringify(s);
}

/** Go's `%q` of a string slice: `["a" "b"]`. */
function qList(list: string[]): string {
  return `[${list.map(q).join(" ")}]`;
}

/** Go's `%v` of a set of keys (a map of empty structs): `map[a:{} b:{}]`, keys sorted. */
function goMap(keys: string[]): string {
  return `map[${[...keys].sort().map((k) => `${k}:{}`).join(" ")}]`;
}

/** A duration in nanoseconds as Go prints a time.Duration (`30s`, `1m30s`, `0s`). */
export function goDuration(ns: number): string {
  if (ns === 0) return "0s";
  const units: [number, string][] = [[3600e9, "h"], [60e9, "m"]];
  let out = "";
  let rest = ns;
  for (const [size, name] of units) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${name}`;
      rest %= size;
    }
  }
  if (rest > 0 || out === "") {
    if (out === "" && rest < 1e9) {
      if (rest < 1e3) return `${rest}ns`;
      if (rest < 1e6) return `${rest / 1e3}µs`;
      return `${rest / 1e6}ms`;
    }
    out += `${rest / 1e9}s`;
  }
  return out;
}

/** The config's Healthcheck object for a HEALTHCHECK instruction (zero values left out). */
function healthConfig(h: HealthConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { Test: h.test };
  if (h.interval) out.Interval = h.interval;
  if (h.timeout) out.Timeout = h.timeout;
  if (h.startPeriod) out.StartPeriod = h.startPeriod;
  if (h.startInterval) out.StartInterval = h.startInterval;
  if (h.retries) out.Retries = h.retries;
  return out;
}

/** The argv of a CMD/ENTRYPOINT/RUN command line: exec form as is, shell form with the shell. */
export function commandArgs(
  command: { form: "exec"; args: string[] } | { form: "shell"; command: string },
  shell: string[],
): string[] {
  return command.form === "exec" ? command.args : [...shell, command.command];
}

/**
 * The `created_by` of a RUN step, as BuildKit writes it: the build arguments in effect that
 * no ENV shadows as `|N k=v ...`, then the command line, then ` # buildkit`.
 *
 * @example
 * ```ts
 * import { runCreatedBy } from "./config.ts";
 * runCreatedBy(["/bin/sh", "-c", "make"], [["V", "2"]], []); // "RUN |1 V=2 /bin/sh -c make # buildkit"
 * ```
 */
export function runCreatedBy(argv: string[], args: [string, string][], env: string[]): string {
  const envKeys = new Set(env.map((e) => e.split("=", 1)[0]));
  const shown = args.filter(([k]) => !envKeys.has(k));
  const prefix = shown.length > 0
    ? `|${shown.length} ${shown.map(([k, v]) => `${k}=${v}`).join(" ")} `
    : "";
  return `RUN ${prefix}${argv.join(" ")} # buildkit`;
}

/** `path.Join` of a working directory and a (maybe relative) WORKDIR value, cleaned. */
export function joinWorkdir(current: string, value: string): string {
  const full = value.startsWith("/") ? value : `${current || "/"}/${value}`;
  const out: string[] = [];
  for (const part of full.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return "/" + out.join("/");
}

/** Per-stage facts metadata steps need besides the config. */
export interface StageFacts {
  /** Whether a CMD was set in this stage (ENTRYPOINT then keeps it, as BuildKit does). */
  cmdSet: boolean;
}

/** Whether an instruction only changes the image config (no file system change, no layer). */
export function isMetadata(ins: Instruction): boolean {
  return ins.kind !== "RUN" && ins.kind !== "COPY" && ins.kind !== "ADD" &&
    ins.kind !== "WORKDIR";
}

function setEnv(env: string[], key: string, value: string): string[] {
  const at = env.findIndex((e) => e.split("=", 1)[0] === key);
  if (at < 0) return [...env, `${key}=${value}`];
  const copy = [...env];
  copy[at] = `${key}=${value}`;
  return copy;
}

/**
 * Applies a metadata step (or the config part of WORKDIR) to `doc`, in place, and returns the
 * history line it adds. `created` is the time the entry gets (undefined: none).
 *
 * @example
 * ```ts ignore
 * const by = applyMetadata(doc, step, { cmdSet: false }); // "ENV A=1"
 * ```
 */
export function applyMetadata(doc: ImageDoc, step: ResolvedStep, facts: StageFacts): string {
  const ins = step.instruction;
  const c = doc.config;
  switch (ins.kind) {
    case "ENV": {
      let env = c.Env ?? [];
      for (const p of ins.pairs) env = setEnv(env, p.key, p.value);
      c.Env = env;
      return `ENV ${ins.pairs.map((p) => `${p.key}=${p.value}`).join(" ")}`;
    }
    case "LABEL": {
      const labels = { ...(c.Labels ?? {}) };
      for (const p of ins.pairs) labels[p.key] = p.value;
      c.Labels = labels;
      return `LABEL ${ins.pairs.map((p) => `${p.key}=${p.value}`).join(" ")}`;
    }
    case "CMD": {
      c.Cmd = commandArgs(ins.command, shellOf(c));
      facts.cmdSet = true;
      return `CMD ${qList(c.Cmd)}`;
    }
    case "ENTRYPOINT": {
      c.Entrypoint = commandArgs(ins.command, shellOf(c));
      if (!facts.cmdSet) c.Cmd = null;
      return `ENTRYPOINT ${qList(c.Entrypoint)}`;
    }
    case "EXPOSE": {
      const ports = { ...(c.ExposedPorts ?? {}) };
      for (const p of ins.ports) ports[p] = {};
      c.ExposedPorts = ports;
      return `EXPOSE ${goMap(ins.ports)}`;
    }
    case "USER":
      c.User = ins.value;
      return `USER ${ins.value}`;
    case "WORKDIR":
      c.WorkingDir = joinWorkdir(c.WorkingDir ?? "/", ins.value);
      return `WORKDIR ${c.WorkingDir}`;
    case "VOLUME": {
      const vols = { ...(c.Volumes ?? {}) };
      for (const p of ins.paths) vols[p] = {};
      c.Volumes = vols;
      return `VOLUME [${ins.paths.join(" ")}]`;
    }
    case "STOPSIGNAL":
      c.StopSignal = ins.value;
      return `STOPSIGNAL ${ins.value}`;
    case "HEALTHCHECK": {
      const h = ins.health;
      c.Healthcheck = healthConfig(h);
      return `HEALTHCHECK &{${qList(h.test)} ${q(goDuration(h.interval))} ${
        q(goDuration(h.timeout))
      } ${q(goDuration(h.startPeriod))} ${q(goDuration(h.startInterval))} '\\x${
        h.retries.toString(16).padStart(2, "0")
      }'}`;
    }
    case "SHELL":
      c.Shell = ins.shell;
      return `SHELL [${ins.shell.join(" ")}]`;
    case "ARG":
      // The values as the Dockerfile declares them: a --build-arg value stays out of the
      // history (it may be a secret); RUN lines show what they ran with, as BuildKit does.
      return ins.original.replace(/\s+/g, " ").trim().replace(/^arg/i, "ARG");
    case "MAINTAINER":
      doc.author = ins.value;
      return `MAINTAINER ${ins.value}`;
    case "ONBUILD":
      c.OnBuild = [...(c.OnBuild ?? []), ins.expression];
      return `ONBUILD ${ins.expression}`;
    default:
      throw new Error(`${ins.kind} is not a metadata instruction`);
  }
}

/**
 * The config a stage starts from: the base's (an image's or a parent stage's), its ONBUILD
 * triggers cleared (they run in this stage), PATH added to Env when missing, and the
 * history kept.
 *
 * @example
 * ```ts
 * import { stageStartDoc } from "./config.ts";
 * stageStartDoc(undefined, { os: "linux", architecture: "amd64" }).config.Env;
 * // ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
 * ```
 */
export function stageStartDoc(
  base: ImageDoc | undefined,
  platform: { os: string; architecture: string; variant?: string },
): ImageDoc {
  const doc: ImageDoc = base ? structuredClone(base) : {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: {},
    history: [],
  };
  doc.config ??= {};
  doc.history ??= [];
  delete doc.rootfs;
  delete doc.container;
  delete doc.container_config;
  delete doc.docker_version;
  delete doc.config.OnBuild;
  const env = doc.config.Env ?? [];
  if (!env.some((e) => e.startsWith("PATH="))) {
    doc.config.Env = [
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      ...env,
    ];
  }
  return doc;
}

/** The time of the newest history entry (what a metadata-only step is dated with). */
export function lastCreated(doc: ImageDoc): string | undefined {
  for (let i = doc.history.length - 1; i >= 0; i--) {
    if (doc.history[i].created) return doc.history[i].created;
  }
  return doc.created;
}

/**
 * The time a new layer step is dated with: now, clamped to SOURCE_DATE_EPOCH (seconds) when
 * it is set.
 *
 * @example
 * ```ts
 * import { stepTime } from "./config.ts";
 * stepTime(new Date("2030-01-01T00:00:00Z"), 0); // "1970-01-01T00:00:00Z"
 * ```
 */
export function stepTime(now: Date, sourceDateEpoch?: number): string {
  let t = now.getTime();
  if (sourceDateEpoch !== undefined) t = Math.min(t, sourceDateEpoch * 1000);
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, (m) => (m === ".000Z" ? "Z" : m));
}
