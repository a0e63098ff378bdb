/**
 * `.dockerignore` as Docker reads and applies it (moby's ignorefile and
 * patternmatcher): one pattern a line, `#` comments at the start of a line,
 * surrounding blanks trimmed, each pattern cleaned like Go's `filepath.Clean`
 * with a leading `/` dropped; `*`, `?`, `[...]` and `\` as in
 * `filepath.Match`, `**` for any number of directories, `!` for an
 * exception. The last pattern that matches a path, or one of its parent
 * directories, decides whether it is excluded.
 *
 * Where podman (buildah) and docker (BuildKit) differ, this follows docker:
 * after the line `dir`, an exception that reaches into it through `**`
 * brings files back in docker, not in podman; with `docs/sub` then `!docs`,
 * docker keeps `docs/sub` out and podman brings it back.
 */
import { InvalidArgumentError } from "../../errors.ts";
import { type GlobToken, globTokensToRegex, parseGlob } from "./glob.ts";

/**
 * Lexically cleans a slash-separated path as Go's `path.Clean` does: repeated
 * slashes, `.` and `dir/..` are removed; `..` above a rooted path is dropped;
 * an empty result is `.`.
 *
 * @example
 * ```ts
 * import { cleanPath } from "./ignore.ts";
 * cleanPath("a//b/../c/"); // "a/c"
 * ```
 */
export function cleanPath(p: string): string {
  const rooted = p.startsWith("/");
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
      continue;
    }
    out.push(part);
  }
  const joined = out.join("/");
  return rooted ? `/${joined}` : joined || ".";
}

/**
 * The patterns of an ignore file's text, as moby's `ignorefile.ReadAll`
 * gives them: a UTF-8 byte order mark is dropped, lines starting with `#`
 * and blank lines are skipped, `!` is kept in front of the cleaned pattern.
 *
 * @example
 * ```ts
 * import { parseIgnoreFile } from "./ignore.ts";
 * parseIgnoreFile("# build output\n/dist/\n!dist/keep\n"); // ["dist", "!dist/keep"]
 * ```
 */
export function parseIgnoreFile(text: string): string[] {
  const out: string[] = [];
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (const line of lines) {
    if (line.startsWith("#")) continue;
    let pattern = line.trim();
    if (pattern === "") continue;
    const invert = pattern.startsWith("!");
    if (invert) pattern = pattern.slice(1).trim();
    if (pattern.length > 0) {
      pattern = cleanPath(pattern);
      if (pattern.length > 1 && pattern.startsWith("/")) pattern = pattern.slice(1);
    }
    out.push(invert ? `!${pattern}` : pattern);
  }
  return out;
}

/** Where matching stands after a path: its answer, and which patterns matched it. */
interface MatchState {
  matched: boolean;
  hits: boolean[];
}

interface Pattern {
  source: string;
  exclusion: boolean;
  /** How the pattern matches, as moby's patternmatcher decides it. */
  test: (path: string) => boolean;
}

/**
 * Compiles one cleaned pattern the way moby's patternmatcher does: `**`
 * becomes "any directories" (eating a following `/`), a pattern of plain
 * characters with a trailing `**` is a prefix test, and one starting with
 * `**` followed by plain characters a suffix test.
 */
function compile(pattern: string): (path: string) => boolean {
  const chars = Array.from(pattern);
  let regex = "^";
  let type: "exact" | "prefix" | "suffix" | "regex" = "exact";
  let i = 0;
  // a run of ordinary pattern text up to the next `**`, parsed as filepath.Match parses it
  let segment = "";
  const flush = () => {
    if (segment === "") return;
    const tokens: GlobToken[] = parseGlob(segment);
    if (tokens.some((t) => t.kind !== "char") || segment.includes("\\")) type = "regex";
    regex += globTokensToRegex(tokens);
    segment = "";
  };
  for (let n = 0; i < chars.length; n++) {
    const c = chars[i];
    if (c === "*" && chars[i + 1] === "*") {
      flush();
      i += 2;
      if (chars[i] === "/") i++;
      if (i >= chars.length) {
        if (type === "exact") type = "prefix";
        else {
          regex += ".*";
          type = "regex";
        }
      } else {
        regex += "(.*/)?";
        type = "regex";
      }
      if (n === 0) type = "suffix";
      continue;
    }
    if (c === "\\" && i + 1 < chars.length) {
      segment += c + chars[i + 1];
      i += 2;
      continue;
    }
    if (c === "[") {
      // a class runs to its closing bracket; `**` inside it is not a glob star
      let j = i + 1;
      if (chars[j] === "^") j++;
      if (chars[j] === "]") j++;
      while (j < chars.length && chars[j] !== "]") j += chars[j] === "\\" ? 2 : 1;
      segment += chars.slice(i, j + 1).join("");
      i = j + 1;
      continue;
    }
    segment += c;
    i++;
  }
  flush();
  if (type === "exact") return (p) => p === pattern;
  if (type === "prefix") {
    const prefix = pattern.slice(0, -2);
    return (p) => p.startsWith(prefix);
  }
  if (type === "suffix") {
    const suffix = pattern.slice(2);
    return (p) => p.endsWith(suffix) || (suffix.startsWith("/") && p === suffix.slice(1));
  }
  const re = new RegExp(`${regex}$`, "u");
  return (p) => re.test(p);
}

/**
 * The exclusion rules of one ignore file. `excludes(path)` says whether a
 * context path (slash-separated, relative to the context root) is left out;
 * `mayIncludeUnder(dir)` whether an excluded directory must still be walked
 * because an exception may bring back something inside it.
 *
 * @example
 * ```ts
 * import { IgnoreMatcher } from "./ignore.ts";
 * const m = new IgnoreMatcher(["docs", "!docs/README.md"]);
 * m.excludes("docs/guide.md"); // true
 * m.excludes("docs/README.md"); // false
 * ```
 */
export class IgnoreMatcher {
  readonly #patterns: Pattern[] = [];
  /** The state after each directory already asked about (walks ask for every entry). */
  readonly #memo = new Map<string, MatchState>();

  /**
   * Compiles the patterns; a malformed one is an InvalidArgumentError naming
   * it and `origin` (where the patterns come from, for the message).
   */
  constructor(patterns: string[], origin = ".dockerignore") {
    for (let p of patterns) {
      p = p.trim();
      if (p === "") continue;
      p = cleanPath(p);
      let exclusion = false;
      if (p.startsWith("!")) {
        if (p.length === 1) {
          throw new InvalidArgumentError(`${origin}: illegal exclusion pattern: "!"`);
        }
        exclusion = true;
        p = p.slice(1);
      }
      try {
        parseGlob(p); // filepath.Match's syntax check
        this.#patterns.push({ source: p, exclusion, test: compile(p) });
      } catch (err) {
        if (err instanceof InvalidArgumentError) {
          throw new InvalidArgumentError(`${origin}: ${err.message}`, { cause: err });
        }
        throw err;
      }
    }
  }

  /** Whether there is any pattern at all. */
  get empty(): boolean {
    return this.#patterns.length === 0;
  }

  /**
   * Whether `path` (relative to the context root) is excluded. As BuildKit
   * walks a context, the answer for each directory on the way is carried to
   * what is inside it (moby's `MatchesUsingParentResults`): a pattern that
   * matched a parent directory matches everything under it.
   */
  excludes(path: string): boolean {
    const parts = path.split("/");
    let state: MatchState | undefined;
    for (let k = 1; k <= parts.length; k++) {
      const prefix = k === parts.length ? path : parts.slice(0, k).join("/");
      let next = this.#memo.get(prefix);
      if (!next) {
        next = this.#step(prefix, state);
        if (k < parts.length) this.#memo.set(prefix, next);
      }
      state = next;
    }
    return state?.matched ?? false;
  }

  #step(file: string, parent: MatchState | undefined): MatchState {
    let matched = false;
    const hits = this.#patterns.map(() => false);
    this.#patterns.forEach((pattern, i) => {
      let match = parent?.hits[i] ?? false;
      if (!match) {
        // an inclusion cannot change a match, nor an exclusion a non-match
        if (pattern.exclusion !== matched) return;
        match = pattern.test(file);
        if (!match && !parent) {
          const dirs = file.split("/").slice(0, -1);
          for (let k = 1; !match && k <= dirs.length; k++) {
            match = pattern.test(dirs.slice(0, k).join("/"));
          }
        }
      }
      hits[i] = match;
      if (match) matched = !pattern.exclusion;
    });
    return { matched, hits };
  }

  /**
   * Whether an excluded directory must still be walked because an exception
   * (`!` pattern) may bring back something inside it. As BuildKit decides
   * it: when every exception is a plain path (a trailing `/*` or `/**`
   * aside), only one that lies under `dir` does; an exception with a
   * wildcard makes every excluded directory walked.
   */
  mayIncludeUnder(dir: string): boolean {
    const exceptions = this.#patterns.filter((p) => p.exclusion);
    if (exceptions.length === 0) return false;
    const trimmed = exceptions.map((p) => p.source.replace(/\/\*\*$/, "").replace(/\/\*$/, ""));
    if (trimmed.some((p) => /[*[\]?^\\]/.test(p))) return true;
    return trimmed.some((p) => `${p}/`.startsWith(`${dir}/`));
  }
}
