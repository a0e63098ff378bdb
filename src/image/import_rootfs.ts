/**
 * `import`: a root file system tarball becomes a one-layer image, with
 * Dockerfile instructions (`--change`) applied to its config.
 *
 * @module
 */
import { healthcheckChange, type ImageHealthcheck } from "./healthcheck_change.ts";
import { InvalidArgumentError } from "../errors.ts";
import type { ImageRecord } from "../store/images.ts";
import type { Store } from "../store/store.ts";
import { commitImage, type StreamSource } from "./commit_image.ts";
import { hostPlatform, type Platform } from "./platform.ts";

/** The `config` object of an image config, as `--change` edits it. */
export interface ChangeableConfig {
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  OnBuild?: string[];
  Healthcheck?: ImageHealthcheck;
}

/** Instructions `--change` accepts (as `docker import` and `docker commit` do, plus STOPSIGNAL). */
export const CHANGE_INSTRUCTIONS: readonly string[] = [
  "CMD",
  "ENTRYPOINT",
  "ENV",
  "EXPOSE",
  "LABEL",
  "ONBUILD",
  "USER",
  "VOLUME",
  "WORKDIR",
  "STOPSIGNAL",
  "HEALTHCHECK",
];

/** Parses `["a", "b"]` when the text is a JSON array of strings; undefined otherwise. */
function jsonArray(text: string): string[] | undefined {
  if (!text.startsWith("[")) return undefined;
  try {
    const v = JSON.parse(text);
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v;
  } catch {
    // not JSON: shell form
  }
  return undefined;
}

/**
 * Splits `k=v k2="v 2"` into pairs, honouring double and single quotes and
 * backslash escapes, as Dockerfile ENV and LABEL do. The legacy form
 * `KEY value with spaces` (no `=` in the first word) is one pair.
 */
function parseKeyValues(instr: string, text: string): [string, string][] {
  const firstWord = text.split(/\s+/, 1)[0];
  if (!firstWord.includes("=")) {
    const rest = text.slice(firstWord.length).trim();
    if (rest === "") throw new InvalidArgumentError(`${instr} names can not be blank`);
    return [[firstWord, rest]];
  }
  const words: string[] = [];
  let cur = "";
  let quote = "";
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === quote) quote = "";
      else if (ch === "\\" && quote === '"' && i + 1 < text.length) cur += text[++i];
      else cur += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === "\\" && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) throw new InvalidArgumentError(`${instr}: unterminated quote in "${text}"`);
  if (inWord) words.push(cur);
  return words.map((w) => {
    const eq = w.indexOf("=");
    if (eq === -1) {
      throw new InvalidArgumentError(`${instr}: expected KEY=VALUE, got "${w}"`);
    }
    if (eq === 0) throw new InvalidArgumentError(`${instr} names can not be blank`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

function parsePorts(text: string): string[] {
  const out: string[] = [];
  for (const spec of text.split(/\s+/)) {
    const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(spec);
    if (!m) throw new InvalidArgumentError(`invalid port specification: "${spec}"`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    const proto = (m[3] ?? "tcp").toLowerCase();
    if (lo < 1 || hi > 65535 || hi < lo) {
      throw new InvalidArgumentError(`invalid port specification: "${spec}"`);
    }
    for (let p = lo; p <= hi; p++) out.push(`${p}/${proto}`);
  }
  return out;
}

const SIGNAL_NAMES = new Set([
  "HUP",
  "INT",
  "QUIT",
  "ILL",
  "TRAP",
  "ABRT",
  "IOT",
  "BUS",
  "FPE",
  "KILL",
  "USR1",
  "SEGV",
  "USR2",
  "PIPE",
  "ALRM",
  "TERM",
  "STKFLT",
  "CHLD",
  "CONT",
  "STOP",
  "TSTP",
  "TTIN",
  "TTOU",
  "URG",
  "XCPU",
  "XFSZ",
  "VTALRM",
  "PROF",
  "WINCH",
  "IO",
  "POLL",
  "PWR",
  "SYS",
]);

function checkSignal(text: string): string {
  const s = text.toUpperCase().replace(/^SIG/, "");
  if (/^\d+$/.test(text) && Number(text) > 0 && Number(text) <= 64) return text;
  if (/^RTMIN(\+\d+)?$|^RTMAX(-\d+)?$/.test(s) || SIGNAL_NAMES.has(s)) return text;
  throw new InvalidArgumentError(`invalid signal: ${text}`);
}

/**
 * Applies Dockerfile instructions (`--change` values) to an image's
 * container config, in order, and returns the new config. JSON arrays and
 * shell form (`["/bin/sh", "-c", ...]`) are both accepted where Dockerfile
 * accepts them; unknown or malformed instructions throw one-line
 * InvalidArgumentErrors.
 *
 * @example
 * ```ts
 * applyChanges({}, ['CMD ["sh"]', "ENV A=1"]); // { Cmd: ["sh"], Env: ["A=1"] }
 * ```
 */
export function applyChanges(config: ChangeableConfig, changes: string[]): ChangeableConfig {
  const out: ChangeableConfig = structuredClone(config);
  let cmdSet = false;
  for (const raw of changes) {
    const line = raw.trim();
    if (line === "") continue;
    const m = /^(\S+)(?:\s+([\s\S]*))?$/.exec(line)!;
    const instr = m[1].toUpperCase();
    const args = (m[2] ?? "").trim();
    if (!CHANGE_INSTRUCTIONS.includes(instr)) {
      throw new InvalidArgumentError(`${m[1].toLowerCase()} is not a valid change command`);
    }
    if (args === "") throw new InvalidArgumentError(`${instr} requires at least one argument`);
    switch (instr) {
      case "CMD":
        out.Cmd = jsonArray(args) ?? ["/bin/sh", "-c", args];
        cmdSet = true;
        break;
      case "ENTRYPOINT":
        out.Entrypoint = jsonArray(args) ?? ["/bin/sh", "-c", args];
        // As in a Dockerfile: an ENTRYPOINT drops an inherited CMD.
        if (!cmdSet) out.Cmd = null;
        break;
      case "ENV": {
        const env = [...(out.Env ?? [])];
        for (const [k, v] of parseKeyValues(instr, args)) {
          const i = env.findIndex((e) => e.split("=", 1)[0] === k);
          if (i === -1) env.push(`${k}=${v}`);
          else env[i] = `${k}=${v}`;
        }
        out.Env = env;
        break;
      }
      case "LABEL": {
        const labels = { ...(out.Labels ?? {}) };
        for (const [k, v] of parseKeyValues(instr, args)) labels[k] = v;
        out.Labels = labels;
        break;
      }
      case "EXPOSE": {
        const ports = { ...(out.ExposedPorts ?? {}) };
        for (const p of parsePorts(args)) ports[p] = {};
        out.ExposedPorts = ports;
        break;
      }
      case "VOLUME": {
        const vols = { ...(out.Volumes ?? {}) };
        const list = jsonArray(args) ?? args.split(/\s+/);
        for (const v of list) {
          if (v.trim() === "") {
            throw new InvalidArgumentError("VOLUME specified can not be an empty string");
          }
          vols[v] = {};
        }
        out.Volumes = vols;
        break;
      }
      case "ONBUILD": {
        const inner = args.split(/\s+/, 1)[0].toUpperCase();
        if (inner === "ONBUILD") {
          throw new InvalidArgumentError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
        }
        if (inner === "FROM" || inner === "MAINTAINER") {
          throw new InvalidArgumentError(`${inner} isn't allowed as an ONBUILD trigger`);
        }
        out.OnBuild = [...(out.OnBuild ?? []), args];
        break;
      }
      case "USER":
        out.User = args;
        break;
      case "WORKDIR": {
        const dir = args.startsWith("/")
          ? args
          : `${(out.WorkingDir ?? "/").replace(/\/+$/, "")}/${args}`;
        out.WorkingDir = normalizePath(dir);
        break;
      }
      case "STOPSIGNAL":
        out.StopSignal = checkSignal(args);
        break;
      case "HEALTHCHECK":
        out.Healthcheck = healthcheckChange(args);
        break;
    }
  }
  return out;
}

function normalizePath(p: string): string {
  const parts: string[] = [];
  for (const c of p.split("/")) {
    if (c === "" || c === ".") continue;
    if (c === "..") parts.pop();
    else parts.push(c);
  }
  return "/" + parts.join("/");
}

/** Options for {@linkcode importRootfs}. */
export interface ImportOptions {
  /** `--change` instructions. */
  changes?: string[];
  /** `--message`: the history comment (default `Imported from SOURCE`). */
  message?: string;
  /** Target platform (default: the host's). */
  platform?: Platform;
  /** Where the tarball came from, for the default message (`-`, a path or a URL). */
  sourceName?: string;
  /** Fully qualified tag to point at the new image. */
  tag?: string;
  /** The time to record as `created` (default now). */
  now?: Date;
}

/**
 * Builds the image config `import` stores (before `rootfs` is filled in):
 * platform, creation time, the changed container config and one history entry.
 *
 * @example
 * ```ts
 * importConfig({ changes: ['CMD ["sh"]'] }).config; // { Cmd: ["sh"] }
 * ```
 */
export function importConfig(opts: ImportOptions): Record<string, unknown> {
  const platform = opts.platform ?? hostPlatform();
  const created = (opts.now ?? new Date()).toISOString();
  const comment = opts.message ?? (opts.sourceName ? `Imported from ${opts.sourceName}` : "");
  const config = applyChanges({}, opts.changes ?? []);
  const doc: Record<string, unknown> = {
    architecture: platform.architecture,
    os: platform.os,
  };
  if (platform.variant) doc.variant = platform.variant;
  doc.created = created;
  if (opts.message) doc.comment = opts.message;
  doc.config = config;
  doc.rootfs = { type: "layers", diff_ids: [] };
  const entry: Record<string, string> = { created, created_by: "import" };
  if (comment) entry.comment = comment;
  doc.history = [entry];
  return doc;
}

/**
 * Imports a root file system tarball (plain, gzip or zstd) as a new
 * one-layer image and returns its record.
 *
 * @example
 * ```ts ignore
 * const rec = await importRootfs(store, (await Deno.open("rootfs.tar")).readable, {
 *   changes: ['CMD ["sh"]'],
 *   tag: "docker.io/library/mine:latest",
 * });
 * console.log(rec.id);
 * ```
 */
export async function importRootfs(
  store: Store,
  tar: StreamSource,
  opts: ImportOptions = {},
): Promise<ImageRecord> {
  const config = importConfig(opts);
  return await commitImage(store, {
    config,
    layers: [{ tar, name: opts.sourceName }],
    tags: opts.tag ? [opts.tag] : [],
  });
}
