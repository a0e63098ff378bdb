/**
 * Docker-style argument parsing over the command table: combined short flags
 * (`-it`), attached values (`-eA=1`, `--name=x`), separate values
 * (`--name x`), repeatable list flags, `--` and a positional stop after which
 * every argument belongs to the container command.
 */
import { InvalidArgumentError } from "../errors.ts";
import type { CommandSpec, FlagSpec, FlagValues, GlobalOptions } from "./spec.ts";

/** Result of parsing one invocation. */
export interface ParsedInvocation {
  /** The command path as typed canonical names, e.g. ["image", "ls"]; [] for bare `skiff`. */
  path: string[];
  command?: CommandSpec;
  flags: FlagValues;
  args: string[];
  global: GlobalOptions;
  help: boolean;
  version: boolean;
}

/** Flags accepted before the command name. */
export const globalFlags: FlagSpec[] = [
  { name: "root", type: "string", help: "Directory of the persistent store" },
  { name: "runroot", type: "string", help: "Directory of the runtime state" },
  {
    name: "log-level",
    short: "l",
    type: "string",
    help: 'Set the logging level ("debug"|"info"|"warn"|"error"|"fatal")',
  },
  { name: "debug", short: "D", type: "bool", help: "Enable debug mode" },
  {
    name: "config",
    type: "string",
    help: "Location of client config files (login credentials in DIR/config.json)",
  },
  {
    name: "host",
    short: "H",
    type: "list",
    help: "Daemon socket to connect to (only the local unix:///var/run/docker.sock: no daemon)",
  },
  {
    name: "context",
    short: "c",
    type: "string",
    help: 'Name of the context to use (only "default": containers on this machine)',
  },
  { name: "tls", type: "bool", help: "Use TLS (refused: skiff has no remote daemon)" },
  { name: "tlscacert", type: "string", help: "Trust certs signed only by this CA (refused)" },
  { name: "tlscert", type: "string", help: "Path to TLS certificate file (refused)" },
  { name: "tlskey", type: "string", help: "Path to TLS key file (refused)" },
  { name: "tlsverify", type: "bool", help: "Use TLS and verify the remote (refused)" },
  { name: "help", short: "h", type: "bool", help: "Print usage" },
  { name: "version", short: "v", type: "bool", help: "Print version information and quit" },
];

const helpFlag: FlagSpec = { name: "help", type: "bool", help: "Print usage" };

function findFlag(flags: FlagSpec[], name: string, short: boolean): FlagSpec | undefined {
  return flags.find((f) =>
    short ? f.short === name : f.name === name || (f.aliases?.includes(name) ?? false)
  );
}

function defaults(flags: FlagSpec[]): FlagValues {
  const values: FlagValues = {};
  for (const f of flags) {
    if (f.type === "list") values[f.name] = [];
    else if (f.type === "bool") values[f.name] = f.default ?? false;
    else values[f.name] = f.default;
  }
  return values;
}

function parseBool(flag: string, value: string): boolean {
  if (["true", "1", "t", "T", "TRUE", "True"].includes(value)) return true;
  if (["false", "0", "f", "F", "FALSE", "False"].includes(value)) return false;
  throw new InvalidArgumentError(
    `invalid argument "${value}" for "${flag}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`,
  );
}

function setValue(values: FlagValues, spec: FlagSpec, display: string, raw: string): void {
  switch (spec.type) {
    case "bool":
      values[spec.name] = parseBool(display, raw);
      break;
    case "int": {
      if (!/^-?\d+$/.test(raw)) {
        throw new InvalidArgumentError(
          `invalid argument "${raw}" for "${display}" flag: strconv.ParseInt: parsing "${raw}": invalid syntax`,
        );
      }
      values[spec.name] = Number(raw);
      break;
    }
    case "list":
      (values[spec.name] as string[]).push(raw);
      break;
    default:
      values[spec.name] = raw;
  }
}

/** Finds a command or subcommand by name or alias. */
export function findCommand(list: CommandSpec[], name: string): CommandSpec | undefined {
  return list.find((c) => c.name === name || (c.aliases?.includes(name) ?? false));
}

/**
 * Parses flags for one command from `argv`, returning values and positionals.
 * Exported for tests; `parseInvocation` is the entry point.
 */
export function parseFlags(
  flags: FlagSpec[],
  argv: string[],
  positionalStop?: number,
  _commandName = "skiff",
): { flags: FlagValues; args: string[] } {
  const all = flags.some((f) => f.name === "help") ? flags : [...flags, helpFlag];
  const values = defaults(all);
  const args: string[] = [];
  let i = 0;
  const takeValue = (display: string): string => {
    if (i + 1 >= argv.length) {
      throw new InvalidArgumentError(`flag needs an argument: ${display}`);
    }
    i++;
    return argv[i];
  };
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (positionalStop !== undefined && args.length >= positionalStop) {
      args.push(...argv.slice(i));
      break;
    }
    if (arg === "--") {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith("--") && arg.length > 2) {
      const eq = arg.indexOf("=");
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      const spec = findFlag(all, name, false);
      if (!spec) {
        throw new InvalidArgumentError(
          `unknown flag: --${name}`,
        );
      }
      if (eq >= 0) setValue(values, spec, `--${name}`, arg.slice(eq + 1));
      else if (spec.type === "bool") values[spec.name] = true;
      else setValue(values, spec, `--${name}`, takeValue(`--${name}`));
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      // Combined short flags: -it, -e VALUE, -eVALUE, -e=VALUE.
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j];
        const spec = findFlag(all, letter, true);
        if (!spec) {
          throw new InvalidArgumentError(
            `unknown shorthand flag: '${letter}' in ${arg}`,
          );
        }
        if (spec.type === "bool") {
          if (arg[j + 1] === "=") {
            setValue(values, spec, `-${letter}`, arg.slice(j + 2));
            break;
          }
          values[spec.name] = true;
          continue;
        }
        let rest = arg.slice(j + 1);
        if (rest.startsWith("=")) rest = rest.slice(1);
        setValue(values, spec, `-${letter}`, rest !== "" ? rest : takeValue(`-${letter}`));
        break;
      }
      continue;
    }
    args.push(arg);
  }
  return { flags: values, args };
}

/** Stores one global flag's value (the string and list ones). */
function setGlobal(global: GlobalOptions, name: string, value: string): void {
  switch (name) {
    case "root":
      global.root = value;
      break;
    case "runroot":
      global.runroot = value;
      break;
    case "log-level":
      global.logLevel = value;
      break;
    case "config":
      global.config = value;
      break;
    case "host":
      global.host = [...(global.host ?? []), value];
      break;
    case "context":
      global.context = value;
      break;
    case "tlscacert":
      global.tlscacert = value;
      break;
    case "tlscert":
      global.tlscert = value;
      break;
    case "tlskey":
      global.tlskey = value;
      break;
  }
}

/**
 * Parses a whole command line against the command table.
 *
 * @example
 * ```ts ignore
 * const inv = parseInvocation(table, ["--root", "/tmp/s", "run", "-it", "busybox", "sh", "-c", "ls -l"]);
 * // inv.path = ["run"], inv.flags.interactive = true, inv.args = ["busybox", "sh", "-c", "ls -l"]
 * ```
 */
export function parseInvocation(table: CommandSpec[], argv: string[]): ParsedInvocation {
  const global: GlobalOptions = {};
  let i = 0;
  let help = false, version = false;
  // Global flags come before the command name.
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("-") || arg === "-") break;
    const eq = arg.indexOf("=");
    const long = arg.startsWith("--");
    const name = long ? (eq >= 0 ? arg.slice(2, eq) : arg.slice(2)) : arg.slice(1, 2);
    const spec = findFlag(globalFlags, name, !long);
    if (!spec || (!long && arg.length > 2 && spec.type === "bool")) {
      throw new InvalidArgumentError(`unknown flag: ${arg}`);
    }
    if (spec.type === "bool") {
      const on = long && eq >= 0 ? parseBool(arg.slice(0, eq), arg.slice(eq + 1)) : true;
      if (spec.name === "help") help = on;
      else if (spec.name === "version") version = on;
      else if (spec.name === "debug") global.debug = on;
      else if (spec.name === "tls") global.tls = on;
      else if (spec.name === "tlsverify") global.tlsverify = on;
      continue;
    }
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (!long && arg.length > 2) value = arg.slice(2);
    else {
      if (i + 1 >= argv.length) throw new InvalidArgumentError(`flag needs an argument: ${arg}`);
      value = argv[++i];
    }
    setGlobal(global, spec.name, value);
  }
  const path: string[] = [];
  let list = table;
  let command: CommandSpec | undefined;
  while (i < argv.length) {
    const found = findCommand(list, argv[i]);
    if (!found) break;
    command = found;
    path.push(found.name);
    i++;
    if (!found.subcommands) break;
    list = found.subcommands;
  }
  if (!command) {
    if (i < argv.length) {
      throw new InvalidArgumentError(
        `unknown command "${argv[i]}" for "skiff"`,
      );
    }
    return { path, flags: {}, args: [], global, help, version };
  }
  const rest = argv.slice(i);
  const display = `skiff ${path.join(" ")}`;
  if (command.subcommands && !command.load) {
    // A group: `skiff image` lists its subcommands; a wrong word is an error.
    const unknown = rest.find((a) => !a.startsWith("-"));
    if (unknown) {
      throw new InvalidArgumentError(
        `unknown command "${unknown}" for "${display}"`,
      );
    }
    return { path, command, flags: {}, args: [], global, help: true, version };
  }
  const parsed = parseFlags(command.flags ?? [], rest, command.positionalStop, display);
  if (parsed.flags.help === true) help = true;
  const waived = command.minArgsUnless !== undefined &&
    parsed.flags[command.minArgsUnless] === true;
  if (!help && !waived) checkArgCount(command, parsed.args, display);
  return { path, command, flags: parsed.flags, args: parsed.args, global, help, version };
}

/**
 * Refuses a wrong number of arguments in docker's words (`requires at least 1 argument`,
 * `requires exactly 2 arguments`, `accepts no arguments`), exiting 1 as docker's CLI does for
 * them (125 is for flags that do not parse).
 */
function checkArgCount(command: CommandSpec, args: string[], display: string): void {
  const min = command.minArgs ?? 0;
  const max = command.maxArgs;
  const count = (n: number) => `${n} argument${n === 1 ? "" : "s"}`;
  let problem: string | undefined;
  if (args.length < min || (max !== undefined && args.length > max)) {
    if (max === 0) problem = "accepts no arguments";
    else if (min === max) problem = `requires exactly ${count(min)}`;
    else if (max !== undefined && min > 0) {
      problem = `requires at least ${min} and at most ${count(max)}`;
    } else if (args.length < min) problem = `requires at least ${count(min)}`;
    else problem = `requires at most ${count(max!)}`;
  }
  if (problem) {
    const err = new InvalidArgumentError(
      `"${display}" ${problem}. See '${display} --help'.`,
    );
    err.exitCode = 1;
    throw err;
  }
}
