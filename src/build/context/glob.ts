/**
 * Shell-style patterns with the semantics of Go's `filepath.Match`, which
 * Docker applies to `COPY`/`ADD` sources and (through moby's patternmatcher)
 * to `.dockerignore` lines: `*` any run of characters but `/`, `?` one
 * character but `/`, `[...]` a class (`[^...]` negated, `a-z` ranges, `\`
 * escapes inside), and `\c` the character `c` itself.
 */
import { InvalidArgumentError } from "../../errors.ts";

/** One element of a parsed pattern. */
export type GlobToken =
  | { kind: "char"; char: string }
  | { kind: "any" }
  | { kind: "star" }
  | { kind: "class"; negated: boolean; ranges: [string, string][] };

function badPattern(pattern: string): InvalidArgumentError {
  return new InvalidArgumentError(`syntax error in pattern: ${JSON.stringify(pattern)}`);
}

/**
 * Splits a pattern into tokens, checking its syntax as `filepath.Match`
 * does (an unclosed or empty class, a range without its end, a trailing `\`
 * are errors). Characters are code points, not UTF-16 units.
 *
 * @example
 * ```ts
 * import { parseGlob } from "./glob.ts";
 * parseGlob("a?[bc]").length; // 3
 * ```
 */
export function parseGlob(pattern: string): GlobToken[] {
  const chars = Array.from(pattern);
  const out: GlobToken[] = [];
  let i = 0;
  const escaped = (): string => {
    // a class member: `\c` is `c`; `-` and `]` may not start a member
    if (i >= chars.length || chars[i] === "-" || chars[i] === "]") throw badPattern(pattern);
    if (chars[i] === "\\") {
      i++;
      if (i >= chars.length) throw badPattern(pattern);
    }
    return chars[i++];
  };
  while (i < chars.length) {
    const c = chars[i++];
    if (c === "*") out.push({ kind: "star" });
    else if (c === "?") out.push({ kind: "any" });
    else if (c === "\\") {
      if (i >= chars.length) throw badPattern(pattern);
      out.push({ kind: "char", char: chars[i++] });
    } else if (c === "[") {
      let negated = false;
      if (chars[i] === "^") {
        negated = true;
        i++;
      }
      const ranges: [string, string][] = [];
      for (;;) {
        if (i < chars.length && chars[i] === "]" && ranges.length > 0) {
          i++;
          break;
        }
        const lo = escaped();
        let hi = lo;
        if (chars[i] === "-") {
          i++;
          hi = escaped();
        }
        ranges.push([lo, hi]);
      }
      out.push({ kind: "class", negated, ranges });
    } else out.push({ kind: "char", char: c });
  }
  return out;
}

/** Whether a pattern has a wildcard (`*`, `?` or `[`) that is not escaped. */
export function hasWildcards(pattern: string): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") i++;
    else if (c === "*" || c === "?" || c === "[") return true;
  }
  return false;
}

function classMatches(t: Extract<GlobToken, { kind: "class" }>, c: string): boolean {
  const cp = c.codePointAt(0)!;
  const hit = t.ranges.some(([lo, hi]) => lo.codePointAt(0)! <= cp && cp <= hi.codePointAt(0)!);
  return hit !== t.negated;
}

/**
 * Whether the whole of `name` matches `pattern` (`filepath.Match`): no
 * wildcard matches `/`. Throws an InvalidArgumentError for a malformed
 * pattern.
 *
 * @example
 * ```ts
 * import { globMatch } from "./glob.ts";
 * globMatch("*.txt", "a.txt"); // true
 * globMatch("*.txt", "d/a.txt"); // false
 * ```
 */
export function globMatch(pattern: string | GlobToken[], name: string): boolean {
  const tokens = typeof pattern === "string" ? parseGlob(pattern) : pattern;
  const chars = Array.from(name);
  // iterative matching with one backtrack point per star, as in Go's Match
  const memo = new Set<number>();
  const go = (ti: number, ci: number): boolean => {
    for (; ti < tokens.length; ti++) {
      const t = tokens[ti];
      if (t.kind === "star") {
        const key = ti * (chars.length + 1) + ci;
        if (memo.has(key)) return false;
        memo.add(key);
        for (let k = ci; k <= chars.length; k++) {
          if (go(ti + 1, k)) return true;
          if (k < chars.length && chars[k] === "/") break;
        }
        return false;
      }
      if (ci >= chars.length) return false;
      const c = chars[ci];
      if (
        t.kind === "char" ? c !== t.char : c === "/" || (t.kind === "class" && !classMatches(t, c))
      ) {
        return false;
      }
      ci++;
    }
    return ci === chars.length;
  };
  return go(0, 0);
}

/** A regular expression source (for the `u` flag) matching what the tokens match. */
export function globTokensToRegex(tokens: GlobToken[]): string {
  let out = "";
  for (const t of tokens) {
    if (t.kind === "star") out += "[^/]*";
    else if (t.kind === "any") out += "[^/]";
    else if (t.kind === "char") out += escapeRegex(t.char);
    else {
      const body = t.ranges.map(([lo, hi]) =>
        lo === hi ? escapeRegex(lo) : `${escapeRegex(lo)}-${escapeRegex(hi)}`
      ).join("");
      out += `[${t.negated ? "^" : ""}${body}]`;
    }
  }
  return out;
}

/** Escapes one character for a regular expression (inside or outside a class). */
export function escapeRegex(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c;
}
