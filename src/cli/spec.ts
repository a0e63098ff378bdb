/**
 * Types of skiff's command table: each command's flags with type, default,
 * repetition and help text. The parser, help and shell completions are all
 * generated from the same table (src/cli/table.ts).
 */

/** Value kinds a flag can hold. `list` flags are repeatable (`-e A -e B`). */
export type FlagType = "bool" | "string" | "int" | "list";

/** One flag of a command. */
export interface FlagSpec {
  /** Long name without dashes: `name` for `--name`. */
  name: string;
  /** Single-letter short form: `e` for `-e`. */
  short?: string;
  type: FlagType;
  /** Help text shown by `--help`. */
  help: string;
  /** Placeholder for the value in help (`string`, `list`, `int`...). */
  valueName?: string;
  /** Default value; bools default to false, lists to []. */
  default?: string | number | boolean;
  /** Other long names accepted for the same flag. */
  aliases?: string[];
  /** Hidden from help and completions. */
  hidden?: boolean;
}

/** Parsed flag values by long name. */
export type FlagValues = Record<string, string | number | boolean | string[] | undefined>;

/**
 * The parsed value of one flag, from its spec: bools are booleans, lists are arrays, and a
 * string or int flag is `undefined` unless it was given or has a default.
 */
export type FlagValue<S extends FlagSpec> = S["type"] extends "bool" ? boolean
  : S["type"] extends "list" ? string[]
  : S["type"] extends "int" ? (S extends { default: number } ? number : number | undefined)
  : S extends { default: string } ? string
  : string | undefined;

/**
 * Parsed flag values typed from a command's flag list, so that a misspelt flag name does not
 * compile.
 *
 * @example
 * ```ts ignore
 * type PullFlags = FlagValuesOf<typeof pullCommand.flags>; // { quiet: boolean; platform: string | undefined; ... }
 * ```
 */
export type FlagValuesOf<F extends readonly FlagSpec[]> = {
  [S in F[number] as S["name"]]: FlagValue<S>;
};

/** The typed flag values of a command spec made with `command()` (src/cli/flags.ts). */
export type FlagsOf<C> = C extends { flags: infer F extends readonly FlagSpec[] } ? FlagValuesOf<F>
  : Record<never, never>;

/** What a command's implementation receives; `F` is its typed flags (`FlagsOf<typeof spec>`). */
export interface CommandContext<F extends object = FlagValues> {
  /** The command path, e.g. ["image", "ls"]. */
  path: string[];
  flags: F;
  args: string[];
  global: GlobalOptions;
}

/** Flags that apply to every command (before the command name). */
export interface GlobalOptions {
  root?: string;
  runroot?: string;
  logLevel?: string;
  /** -D/--debug: the debug log level. */
  debug?: boolean;
  /** --config DIR: where login credentials live (DIR/config.json), as Docker's. */
  config?: string;
  /** -H/--host, repeatable; only the local default socket is honoured (src/cli/global_options.ts). */
  host?: string[];
  /** -c/--context; only "default". */
  context?: string;
  /** TLS flags: refused, there is no remote daemon. */
  tls?: boolean;
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
}

/** A command's implementation module: its default export runs it and returns the exit code. */
export interface CommandModule {
  default: (ctx: CommandContext) => Promise<number | void>;
}

/** One command or command group. */
export interface CommandSpec {
  name: string;
  aliases?: string[];
  /** One-line summary for listings. */
  summary: string;
  /** Usage after the command path, e.g. "[OPTIONS] IMAGE [COMMAND] [ARG...]". */
  usage?: string;
  flags?: FlagSpec[];
  /** Minimum and maximum positional arguments (max undefined: unlimited). */
  minArgs?: number;
  maxArgs?: number;
  /** A bool flag that stands in for the positional arguments (`--all`): minArgs is waived. */
  minArgsUnless?: string;
  /**
   * After this many positional arguments, everything else belongs to the
   * container command (run/create/exec: the image or container name is 1).
   */
  positionalStop?: number;
  /** Lazy import of the implementation, so only the command that runs is loaded. */
  load?: () => Promise<CommandModule>;
  subcommands?: CommandSpec[];
  /** Completion hint for positional arguments. */
  complete?: "images" | "containers" | "volumes" | "networks" | "files" | "none";
}
