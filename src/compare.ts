/**
 * Plain code-unit string comparison for sorting. `localeCompare` would load
 * ICU's collator on first use, which costs about 15 ms of start-up; skiff
 * sorts ids, names and ISO timestamps, for which byte order is right.
 *
 * @example
 * ```ts
 * ["b", "a"].sort(compareStrings); // ["a", "b"]
 * ```
 */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
