/**
 * Docker's `--filter key=value` lists, shared by every listing and prune verb: parsing with the
 * set of keys a verb accepts, and label matching. The CLI and the future API socket both hand
 * the engine the same `Filters` map.
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.ts";
import { parseTimestamp } from "../units.ts";

/** Filter values by key, in the order given (`label` may repeat). */
export type Filters = Map<string, string[]>;

/**
 * Parses `--filter key=value` flags into a map of lists, refusing keys the verb does not take.
 *
 * @example
 * ```ts
 * parseFilters(["label=a=b", "until=1h"], ["label", "until"]); // Map { label: ["a=b"], until: ["1h"] }
 * ```
 */
export function parseFilters(list: readonly string[], allowed: readonly string[]): Filters {
  const out: Filters = new Map();
  for (const f of list) {
    const eq = f.indexOf("=");
    if (eq <= 0) throw new InvalidArgumentError(`bad format of filter (expected name=value)`);
    const key = f.slice(0, eq), value = f.slice(eq + 1);
    if (!allowed.includes(key)) throw new InvalidArgumentError(`invalid filter '${key}'`);
    out.set(key, [...(out.get(key) ?? []), value]);
  }
  return out;
}

/**
 * Whether one label condition holds, as Docker reads it: `key` (present), `key=value` (equal),
 * `key!=value` (not equal, or absent).
 *
 * @example
 * ```ts
 * labelMatches({ app: "web" }, "app=web"); // true
 * labelMatches({ app: "web" }, "app!=web"); // false
 * ```
 */
export function labelMatches(
  labels: Record<string, string> | undefined,
  condition: string,
): boolean {
  const have = labels ?? {};
  const neq = condition.indexOf("!=");
  if (neq > 0) return have[condition.slice(0, neq)] !== condition.slice(neq + 2);
  const eq = condition.indexOf("=");
  if (eq < 0) return Object.hasOwn(have, condition);
  return Object.hasOwn(have, condition.slice(0, eq)) &&
    have[condition.slice(0, eq)] === condition.slice(eq + 1);
}

/**
 * Whether labels satisfy every `label=` condition and none of the `label!=` ones (prune's
 * `label!=key[=value]` form).
 *
 * @example
 * ```ts
 * labelsMatch({ app: "web", tier: "1" }, ["app=web", "tier"], ["debug"]); // true
 * ```
 */
export function labelsMatch(
  labels: Record<string, string> | undefined,
  wanted: readonly string[],
  unwanted: readonly string[] = [],
): boolean {
  return wanted.every((c) => labelMatches(labels, c)) &&
    !unwanted.some((c) => labelMatches(labels, c));
}

/** The checked filters of a prune (containers, networks). */
export interface PruneFilters {
  /** Only what was created before this time (ms since the epoch). */
  until?: number;
  /** `key` or `key=value`: all must match. */
  labels: string[];
  /** `label!=`: none may match. */
  notLabels: string[];
}

/**
 * Parses a prune's `--filter` values (until, label, label!=); refuses unknown keys and a second
 * until before anything is asked or removed.
 *
 * @example
 * ```ts
 * pruneFilters(["label!=keep"]); // { until: undefined, labels: [], notLabels: ["keep"] }
 * ```
 */
export function pruneFilters(raw: readonly string[]): PruneFilters {
  const filters = parseFilters(
    raw.map((f) => f.replace(/^label!=/, "label_not=")),
    ["until", "label", "label_not"],
  );
  const untils = (filters.get("until") ?? []).map((u) => parseTimestamp(u));
  if (untils.length > 1) throw new InvalidArgumentError("more than one until filter specified");
  return {
    until: untils[0],
    labels: filters.get("label") ?? [],
    notLabels: filters.get("label_not") ?? [],
  };
}
