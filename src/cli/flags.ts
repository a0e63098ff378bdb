/** Building blocks for the command table: one flag in one line. */
import type { FlagSpec, FlagType } from "./spec.ts";

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
