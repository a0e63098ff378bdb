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
    if (!word.startsWith("--")) throw new Error(`arg should start with -- : ${word}`);
    if (word === "--") break;
    const body = word.slice(2);
    const eq = body.indexOf("=");
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const value = eq >= 0 ? body.slice(eq + 1) : "";
    const kind = spec[name];
    if (!kind) throw new Error(`unknown flag: ${name}${suggest(name, Object.keys(spec))}`);
    if (used.has(name) && kind !== "strings") throw new Error(`duplicate flag specified: ${name}`);
    used.add(name);
    if (kind === "bool") {
      if (eq >= 0 && value === "") throw new Error(`missing a value on flag: ${name}`);
      const v = value.toLowerCase();
      if (v !== "" && v !== "true" && v !== "false") {
        throw new Error(`expecting boolean value for flag ${name}, not: ${value}`);
      }
      out.bools.set(name, v !== "false");
      continue;
    }
    if (eq < 0) throw new Error(`missing a value on flag: ${name}`);
    if (kind === "string") out.strings.set(name, value);
    else out.lists.set(name, [...(out.lists.get(name) ?? []), value]);
  }
  return out;
}

/** ` (did you mean x?)` when a known name is one or two edits away, else "". */
export function suggest(name: string, known: string[]): string {
  let best = "";
  let bestDistance = 3;
  for (const k of known) {
    const d = distance(name.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best && best !== name ? ` (did you mean ${best}?)` : "";
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
