/** Building blocks for the command table: one flag in one line, lazy command loaders. */
import type { CommandModule, CommandSpec, FlagSpec, FlagType } from "./spec.ts";

/**
 * A flag entry for the command table.
 *
 * @example
 * ```ts
 * flag("env", "e", "list", "Set environment variables");
 * ```
 */
export function flag<
  const N extends string,
  const T extends FlagType,
  const E extends Partial<FlagSpec> = Record<never, never>,
>(
  name: N,
  short: string | undefined,
  type: T,
  help: string,
  extra?: E,
): FlagSpec & { name: N; type: T } & E {
  return { name, short, type, help, ...extra } as FlagSpec & { name: N; type: T } & E;
}

/**
 * A command table entry whose flag list keeps each flag's name and type, so that its
 * implementation can take `CommandContext<FlagsOf<typeof spec>>`.
 *
 * @example
 * ```ts
 * const spec = command({ name: "tag", summary: "Tag an image", flags: [flag("all", "a", "bool", "All")] });
 * ```
 */
export function command<const F extends readonly FlagSpec[] = []>(
  spec: Omit<CommandSpec, "flags"> & { flags?: F },
): CommandSpec & { flags: F } {
  return spec as CommandSpec & { flags: F };
}

/** Docker's `--format` flag (its name stays a literal type, so `FlagsOf` knows it). */
export const formatFlag = flag(
  "format",
  undefined,
  "string",
  "Format output using a custom template",
  { valueName: "string" },
);

/**
 * A loader for `src/commands/<name>.ts`. The specifier is computed on
 * purpose: Deno pre-loads the module graph of every dynamic import written
 * with a literal string, which would make every command pay start-up time
 * for all the others (and their npm packages). `deno compile` embeds the
 * commands with `--include src/commands`.
 *
 * @example
 * ```ts
 * const spec = { name: "pull", summary: "...", load: lazy("pull") };
 * ```
 */
export function lazy(name: string): () => Promise<CommandModule> {
  return () => import(new URL(`../commands/${name}.ts`, import.meta.url).href);
}

/**
 * Podman's `KIND exists NAME` command for a group (container, image, volume): exit 0 if the
 * object exists, 1 if not, nothing printed.
 *
 * @example
 * ```ts
 * existsCommand("image").name; // "exists"
 * ```
 */
export function existsCommand(
  kind: "container" | "image" | "volume",
  complete: CommandSpec["complete"],
): CommandSpec {
  return {
    name: "exists",
    summary: `Check if a ${kind} exists (exit 0 if it does, 1 if not)`,
    usage: kind.toUpperCase(),
    minArgs: 1,
    maxArgs: 1,
    complete,
    load: lazy("exists"),
  };
}
