/**
 * Small facts about a `COPY`/`ADD` source argument: where its wildcard
 * part starts, and the `--parents` pivot (`a/./b`: only `b` is kept).
 */
import { cleanPath } from "../context/ignore.ts";
import { hasWildcards } from "../context/glob.ts";

/** The source cleaned as BuildKit cleans it: relative to the root, no `..` above it. */
export function cleanSource(src: string): string {
  return cleanPath(`/${src}`).slice(1);
}

/** The path before the first component with a wildcard ("" at the root). */
export function wildcardBase(src: string): string {
  const parts = cleanSource(src).split("/").filter((p) => p !== "");
  const first = parts.findIndex(hasWildcards);
  return parts.slice(0, first < 0 ? parts.length : first).join("/");
}

/**
 * The part of `src` that `COPY --parents` drops: what comes before a `/./`
 * in it (BuildKit's pivot), or "" when there is none.
 *
 * @example
 * ```ts
 * parentsBase("./x/./y/*.txt"); // "x"
 * ```
 */
export function parentsBase(src: string): string {
  const s = src.replace(/^(\.\/)+/, "");
  const at = s.indexOf("/./");
  if (at < 0) return "";
  return cleanSource(s.slice(0, at));
}
