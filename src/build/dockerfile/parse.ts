/**
 * Dockerfile text into the typed syntax tree, as BuildKit's parser and instruction reader
 * do it: every instruction's arguments, flags and forms checked, each error one line with
 * file, line and column (`Dockerfile:3:1: unknown instruction: FORM`). Nothing is expanded
 * here; see `resolve.ts`.
 */
import type {
  AddInstruction,
  ArgInstruction,
  CommandLine,
  CopyInstruction,
  DockerfileSyntax,
  FromInstruction,
  HealthConfig,
  InlineSource,
  Instruction,
  InstructionBase,
  KeyValue,
  StageSyntax,
} from "./ast.ts";
import { parseGoDuration } from "./duration.ts";
import { type FlagSpec, type FlagValues, parseFlags, suggest } from "./flags.ts";
import {
  chompHeredoc,
  type Directives,
  DockerfileSyntaxError,
  lexDockerfile,
  type LogicalLine,
  parseHeredocWord,
  type Position,
} from "./lexer.ts";
import { mountFrom } from "./mount.ts";
import {
  NotStringArrayError,
  parseJSONArray,
  parseNameValues,
  parseWords,
  splitCommand,
  splitWhitespace,
} from "./words.ts";

/** Every instruction Docker knows, upper-cased. */
export const instructionNames = [
  "ADD",
  "ARG",
  "CMD",
  "COPY",
  "ENTRYPOINT",
  "ENV",
  "EXPOSE",
  "FROM",
  "HEALTHCHECK",
  "LABEL",
  "MAINTAINER",
  "ONBUILD",
  "RUN",
  "SHELL",
  "STOPSIGNAL",
  "USER",
  "VOLUME",
  "WORKDIR",
];

const flagSpecs: Record<string, FlagSpec> = {
  FROM: { platform: "string" },
  RUN: { mount: "strings", network: "string", security: "string" },
  COPY: {
    from: "string",
    chown: "string",
    chmod: "string",
    link: "bool",
    parents: "bool",
    exclude: "strings",
  },
  ADD: {
    chown: "string",
    chmod: "string",
    link: "bool",
    exclude: "strings",
    "keep-git-dir": "bool",
    checksum: "string",
    unpack: "bool",
  },
  HEALTHCHECK: {
    interval: "string",
    timeout: "string",
    "start-period": "string",
    "start-interval": "string",
    retries: "string",
  },
};

/**
 * Parses a whole Dockerfile. `file` is the name errors start with.
 *
 * @example
 * ```ts
 * import { parseDockerfile } from "./parse.ts";
 * const df = parseDockerfile("FROM busybox AS base\nRUN echo hi\n");
 * df.stages[0].from.name; // "base"
 * ```
 */
export function parseDockerfile(source: string, file = "Dockerfile"): DockerfileSyntax {
  const lexed = lexDockerfile(source, file);
  const metaArgs: ArgInstruction[] = [];
  const stages: StageSyntax[] = [];
  for (const line of lexed.lines) {
    const parsed = parseLine(line, lexed.directives);
    if (parsed.kind === "FROM") stages.push({ from: parsed, instructions: [] });
    else if (stages.length > 0) stages[stages.length - 1].instructions.push(parsed);
    else if (parsed.kind === "ARG") metaArgs.push(parsed);
    else throw new DockerfileSyntaxError(line.start, "no build stage in current context");
  }
  return { directives: lexed.directives, metaArgs, stages, warnings: lexed.warnings };
}

/** Parses one logical line into its instruction; errors carry the line's position. */
export function parseLine(
  line: LogicalLine,
  directives: Directives,
): FromInstruction | Instruction {
  try {
    return parseInstruction(line, directives);
  } catch (e) {
    if (e instanceof DockerfileSyntaxError) throw e;
    const message = (e as Error).message;
    const at = { ...line.start };
    const flag =
      /^(?:unknown flag|duplicate flag specified|missing a value on flag|expecting boolean value for flag):? (--[^ ,]+)/
        .exec(message);
    if (flag) {
      const idx = message.startsWith("duplicate")
        ? line.text.lastIndexOf(flag[1], line.firstLength)
        : line.text.indexOf(flag[1]);
      if (idx >= 0 && idx < line.firstLength) at.column += idx;
    }
    throw new DockerfileSyntaxError(at, message);
  }
}

function parseInstruction(
  line: LogicalLine,
  directives: Directives,
): FromInstruction | Instruction {
  const { command, flags: flagWords, rest } = splitCommand(line.text, directives.escape);
  const kind = command.toUpperCase();
  if (!instructionNames.includes(kind)) {
    throw new Error(`unknown instruction: ${command}${suggest(command, instructionNames)}`);
  }
  const base: InstructionBase = { at: line.start, endLine: line.endLine, original: line.text };
  // As BuildKit, STOPSIGNAL and HEALTHCHECK NONE never look at their flags.
  const ignoresFlags = kind === "STOPSIGNAL" ||
    (kind === "HEALTHCHECK" && rest.split(/\s/)[0].toUpperCase() === "NONE");
  const flags = parseFlags(ignoresFlags ? [] : flagWords, flagSpecs[kind] ?? {});
  const esc = directives.escape;
  switch (kind) {
    case "FROM":
      return parseFrom(base, rest, flags);
    case "RUN": {
      const network = flags.strings.get("network") ?? "default";
      if (!["none", "host", "default"].includes(network)) {
        throw new Error(`invalid network mode ${JSON.stringify(network)}`);
      }
      const security = flags.strings.get("security") ?? "sandbox";
      if (!["sandbox", "insecure"].includes(security)) {
        throw new Error(`security ${JSON.stringify(security)} is not valid`);
      }
      // Only `from=` is looked at now; the rest is read with the stage's variables.
      const mounts = flags.lists.get("mount") ?? [];
      for (const m of mounts) mountFrom(m);
      return {
        ...base,
        kind,
        command: commandLine(rest),
        heredocs: line.heredocs,
        mounts,
        network,
        security,
      };
    }
    case "CMD":
    case "ENTRYPOINT":
      return { ...base, kind, command: commandLine(rest) };
    case "ENV":
    case "LABEL": {
      const pairs: KeyValue[] = parseNameValues(rest, kind, esc);
      if (pairs.length === 0) throw new Error(`${kind} requires at least one argument`);
      if (pairs.some((p) => p.key === "")) throw new Error(`${kind} names can not be blank`);
      return { ...base, kind, pairs };
    }
    case "ARG":
      return parseArg(base, rest, esc);
    case "EXPOSE": {
      const ports = splitWhitespace(rest).sort();
      if (ports.length === 0) throw new Error("EXPOSE requires at least one argument");
      return { ...base, kind, ports };
    }
    case "USER":
    case "WORKDIR":
    case "STOPSIGNAL":
    case "MAINTAINER":
      if (rest === "") throw new Error(`${kind} requires exactly one argument`);
      return { ...base, kind, value: rest };
    case "VOLUME": {
      const paths = (jsonOrNull(rest) ?? splitWhitespace(rest)).map((p) => p.trim());
      if (paths.length === 0) throw new Error("VOLUME requires at least one argument");
      if (paths.some((p) => p === "")) {
        throw new Error("VOLUME specified can not be an empty string");
      }
      return { ...base, kind, paths };
    }
    case "COPY":
    case "ADD":
      return parseCopy(base, kind, rest, flags, line);
    case "SHELL": {
      const json = jsonOrNull(rest);
      if (json === null) {
        if (rest === "") throw new Error("SHELL requires at least one argument");
        throw new Error("SHELL requires the arguments to be in JSON form");
      }
      if (json.length === 0) throw new Error("SHELL requires at least one argument");
      return { ...base, kind, shell: json };
    }
    case "HEALTHCHECK":
      return { ...base, kind, health: parseHealth(rest, flags) };
    default: // ONBUILD
      return parseOnbuild(base, rest, line, esc);
  }
}

/** The JSON array form of `rest`, null when it is not one; non-string arrays throw. */
function jsonOrNull(rest: string): string[] | null {
  try {
    return parseJSONArray(rest);
  } catch (e) {
    if (e instanceof NotStringArrayError) throw e;
    return null;
  }
}

function commandLine(rest: string): CommandLine {
  const json = rest === "" ? null : jsonOrNull(rest);
  return json ? { form: "exec", args: json } : { form: "shell", command: rest };
}

const stageName = /^[a-z][a-z0-9-_.]*$/;

function parseFrom(base: InstructionBase, rest: string, flags: FlagValues): FromInstruction {
  const args = splitWhitespace(rest);
  let name = "";
  if (args.length === 3 && args[1].toLowerCase() === "as") {
    name = args[2].toLowerCase();
    if (!stageName.test(name)) {
      throw new Error(
        `invalid name for build stage: ${
          JSON.stringify(args[2])
        }, name can't start with a number or contain symbols`,
      );
    }
  } else if (args.length !== 1) throw new Error("FROM requires either one or three arguments");
  return {
    ...base,
    kind: "FROM",
    image: args[0],
    name,
    platform: flags.strings.get("platform") ?? "",
  };
}

function parseArg(base: InstructionBase, rest: string, esc: string): ArgInstruction {
  const words = parseWords(rest, esc);
  if (words.length === 0) throw new Error("ARG requires at least one argument");
  const args = words.map((word) => {
    const eq = word.indexOf("=");
    if (eq < 0) return { key: word };
    if (eq === 0) throw new Error("ARG names can not be blank");
    return { key: word.slice(0, eq), value: word.slice(eq + 1) };
  });
  return { ...base, kind: "ARG", args };
}

function parseCopy(
  base: InstructionBase,
  kind: "COPY" | "ADD",
  rest: string,
  flags: FlagValues,
  line: LogicalLine,
): CopyInstruction | AddInstruction {
  const args = jsonOrNull(rest) ?? splitWhitespace(rest);
  if (args.length < 2) {
    throw new Error(
      `${kind} requires at least two arguments, but only one was provided. Destination could not be determined`,
    );
  }
  const dest = args[args.length - 1];
  if (parseHeredocWord(dest)) throw new Error(`${kind} cannot accept a heredoc as a destination`);
  const sources: string[] = [];
  const inline: InlineSource[] = [];
  for (const src of args.slice(0, -1)) {
    const doc = parseHeredocWord(src);
    if (!doc) {
      sources.push(src);
      continue;
    }
    const body = line.heredocs.find((h) => h.name === doc.name)?.content ?? "";
    inline.push({
      path: doc.name,
      content: doc.chomp ? chompHeredoc(body) : body,
      expand: doc.expand,
    });
  }
  const common = {
    ...base,
    sources,
    inline,
    dest,
    chown: flags.strings.get("chown") ?? "",
    chmod: flags.strings.get("chmod") ?? "",
    link: flags.bools.get("link") ?? false,
    excludes: flags.lists.get("exclude") ?? [],
  };
  if (kind === "COPY") {
    return {
      ...common,
      kind,
      from: flags.strings.get("from") ?? "",
      parents: flags.bools.get("parents") ?? false,
    };
  }
  const add: AddInstruction = { ...common, kind, checksum: flags.strings.get("checksum") ?? "" };
  const keepGitDir = flags.bools.get("keep-git-dir");
  if (keepGitDir !== undefined) add.keepGitDir = keepGitDir;
  const unpack = flags.bools.get("unpack");
  if (unpack !== undefined) add.unpack = unpack;
  return add;
}

const minimumDuration = 1e6; // 1ms, as Docker's container.MinimumDuration

function parseHealth(rest: string, flags: FlagValues): HealthConfig {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(rest);
  if (!m) throw new Error("HEALTHCHECK requires at least one argument");
  const type = m[1].toUpperCase();
  const cmdRest = m[2];
  const none = { test: ["NONE"], interval: 0, timeout: 0, startPeriod: 0, startInterval: 0 };
  if (type === "NONE") {
    if (cmdRest !== "") throw new Error("HEALTHCHECK NONE takes no arguments");
    return { ...none, retries: 0 };
  }
  if (type !== "CMD") {
    throw new Error(`Unknown type ${JSON.stringify(type)} in HEALTHCHECK (try CMD)`);
  }
  const cmd = commandLine(cmdRest);
  let test: string[];
  if (cmd.form === "exec") {
    if (cmd.args.length === 0) throw new Error("Missing command after HEALTHCHECK CMD");
    test = ["CMD", ...cmd.args];
  } else {
    if (cmd.command === "") throw new Error("Missing command after HEALTHCHECK CMD");
    test = ["CMD-SHELL", cmd.command];
  }
  const interval = (name: string): number => {
    const v = flags.strings.get(name) ?? "";
    if (v === "") return 0;
    const d = parseGoDuration(v);
    if (d !== 0 && d < minimumDuration) {
      throw new Error(`Interval "${name}" cannot be less than 1ms`);
    }
    return d;
  };
  let retries = 0;
  const r = flags.strings.get("retries") ?? "";
  if (r !== "") {
    if (!/^[+-]?\d+$/.test(r)) {
      throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(r)}: invalid syntax`);
    }
    retries = Number(r);
    if (retries < 0) throw new Error(`--retries cannot be negative (${retries})`);
  }
  return {
    test,
    interval: interval("interval"),
    timeout: interval("timeout"),
    startPeriod: interval("start-period"),
    startInterval: interval("start-interval"),
    retries,
  };
}

function parseOnbuild(
  base: InstructionBase,
  rest: string,
  line: LogicalLine,
  esc: string,
): Instruction {
  if (rest === "") throw new Error("ONBUILD requires at least one argument");
  const sub = splitCommand(rest, esc);
  const trigger = sub.command.toUpperCase();
  checkTriggerSyntax(trigger, sub.rest, esc);
  if (trigger === "ONBUILD") {
    throw new Error("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  }
  if (trigger === "MAINTAINER" || trigger === "FROM") {
    throw new Error(`${trigger} isn't allowed as an ONBUILD trigger`);
  }
  let expression = line.text.replace(/^\s*ONBUILD\s*/i, "");
  for (const doc of line.heredocs) expression += "\n" + doc.content + doc.name;
  return { ...base, kind: "ONBUILD", trigger, expression };
}

/**
 * What BuildKit's line parser already refuses in an ONBUILD trigger (the rest is only checked
 * when the trigger runs): a JSON array holding a non-string, and ENV or LABEL arguments of
 * neither form.
 */
function checkTriggerSyntax(trigger: string, rest: string, esc: string): void {
  switch (trigger) {
    case "ADD":
    case "COPY":
    case "VOLUME":
    case "CMD":
    case "ENTRYPOINT":
    case "RUN":
    case "SHELL":
      jsonOrNull(rest);
      break;
    case "HEALTHCHECK":
      jsonOrNull(rest.replace(/^\S+\s*/, ""));
      break;
    case "ENV":
    case "LABEL":
      parseNameValues(rest, trigger, esc);
      break;
  }
}

/**
 * ONBUILD triggers (a base image config's `OnBuild` strings, or the ONBUILD lines of a base
 * stage) as instructions, each parsed on its own as BuildKit does when a stage starts from
 * that base; their position is the stage's FROM line (`at`). The strings may come from a
 * hostile image: anything that is not a single instruction, or a FROM, is refused.
 */
export function parseTriggers(triggers: string[], at: Position): Instruction[] {
  return triggers.map((trigger) => {
    const fail = (reason: string) => new DockerfileSyntaxError(at, reason);
    let lexed;
    try {
      lexed = lexDockerfile(trigger, at.file);
    } catch (e) {
      throw fail(e instanceof DockerfileSyntaxError ? e.reason : (e as Error).message);
    }
    if (lexed.lines.length !== 1) throw fail("onbuild trigger should be a single expression");
    const line = { ...lexed.lines[0], start: at, firstLength: 0 };
    const ins = parseLine(line, { escape: "\\" });
    if (ins.kind === "FROM") throw fail("FROM isn't allowed as an ONBUILD trigger");
    return { ...ins, at, endLine: at.line };
  });
}
