/** Building blocks for the command table: one flag in one line, lazy command loaders. */
import type { CommandModule, FlagSpec, FlagType } from "./spec.ts";

/**
 * A flag entry for the command table.
 *
 * @example
 * ```ts
 * flag("env", "e", "list", "Set environment variables");
 * ```
 */
export function flag(
  name: string,
  short: string | undefined,
  type: FlagType,
  help: string,
  extra: Partial<FlagSpec> = {},
): FlagSpec {
  return { name, short, type, help, ...extra };
}

/** Docker's `--format` flag. */
export const formatFlag: FlagSpec = flag(
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
