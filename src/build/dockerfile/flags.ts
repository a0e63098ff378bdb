/**
 * Instruction flags (`--from=`, `--link`, `--mount=`...), checked as BuildKit's BFlags does:
 * each instruction declares its flags, anything else is refused.
 */

/** The kind of value a flag takes. */
export type FlagKind = "string" | "bool" | "strings";

/** The flags one instruction accepts, by name (without `--`). */
export type FlagSpec = Record<string, FlagKind>;

/** Parsed flag values: a string, a boolean, or every value of a repeatable flag. */
export interface FlagValues {
  strings: Map<string, string>;
  bools: Map<string, boolean>;
  lists: Map<string, string[]>;
}

/**
 * Parses `--name=value` and `--name` words against `spec`. Throws with Docker's wording for
 * an unknown flag, a repeated one, a missing value or a bad boolean.
 */
export function parseFlags(words: string[], spec: FlagSpec): FlagValues {
  const out: FlagValues = { strings: new Map(), bools: new Map(), lists: new Map() };
  const used = new Set<string>();
  for (const word of words) {
    if (word === "--") break;
    if (!word.startsWith("--")) throw new Error(`arg should start with -- : ${word}`);
    const eq = word.indexOf("=");
    const flag = eq >= 0 ? word.slice(0, eq) : word;
    const value = eq >= 0 ? word.slice(eq + 1) : "";
    const name = flag.slice(2);
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (!kind) throw new Error(`unknown flag: ${flag}${suggest(name, Object.keys(spec), true)}`);
    if (used.has(name) && kind !== "strings") throw new Error(`duplicate flag specified: ${flag}`);
    used.add(name);
    if (kind === "bool") {
      if (eq >= 0 && value === "") throw new Error(`missing a value on flag: ${flag}`);
      const v = value.toLowerCase();
      if (v !== "" && v !== "true" && v !== "false") {
        throw new Error(`expecting boolean value for flag ${flag}, not: ${value}`);
      }
      out.bools.set(name, v !== "false");
      continue;
    }
    if (eq < 0) throw new Error(`missing a value on flag: ${flag}`);
    if (kind === "string") out.strings.set(name, value);
    else out.lists.set(name, [...(out.lists.get(name) ?? []), value]);
  }
  return out;
}

/**
 * ` (did you mean x?)` when a known name is fewer than three edits away (and not the name
 * itself), else "", as BuildKit's suggestions. Case-insensitive matching answers in the
 * case the user wrote.
 */
export function suggest(name: string, known: string[], caseSensitive = false): string {
  const fold = (s: string) => caseSensitive ? s : s.toLowerCase();
  const value = fold(name);
  let best = "";
  let bestDistance = 3;
  for (const k of known) {
    const option = fold(k);
    if (option === value) return "";
    const d = distance(value, option);
    if (d < bestDistance) {
      best = option;
      bestDistance = d;
    }
  }
  if (!best) return "";
  if (!caseSensitive) {
    if (name === name.toLowerCase()) best = best.toLowerCase();
    else if (name === name.toUpperCase()) best = best.toUpperCase();
  }
  return ` (did you mean ${best}?)`;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}
