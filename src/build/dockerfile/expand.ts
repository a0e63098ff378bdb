/**
 * Variable substitution in Dockerfile words, as BuildKit's shell lexer does it: `$VAR`,
 * `${VAR}`, `${VAR:-w}`, `${VAR-w}`, `${VAR:+w}`, `${VAR+w}`, `${VAR:?w}`, `${VAR?w}`,
 * `${VAR#p}`, `${VAR##p}`, `${VAR%p}`, `${VAR%%p}`, `${VAR/p/r}`, `${VAR//p/r}`; single quotes
 * keep everything literal, double quotes keep spaces but still expand, the escape token
 * (`\` or `` ` ``) quotes the next character. Nothing here runs a shell.
 */
import { isSpace } from "./words.ts";

/** The variables a word is expanded against (name to value; a missing name is unset). */
export type Env = ReadonlyMap<string, string>;

/** How the lexer treats quotes and escapes. */
export interface LexOptions {
  /** The Dockerfile's escape token (`# escape=`). */
  escapeToken?: "\\" | "`";
  /** Keep quote characters in the result (used to find heredoc words). */
  rawQuotes?: boolean;
  /** Keep escape tokens in the result. */
  rawEscapes?: boolean;
  /** Leave references to unset variables as written instead of expanding them to "". */
  skipUnsetEnv?: boolean;
  /** Treat quotes as ordinary characters (used for COPY heredoc bodies). */
  skipProcessQuotes?: boolean;
}

/** A malformed variable reference or unterminated quote, with BuildKit's wording. */
export class ExpandError extends Error {}

/** What one word expanded to, and which variables it used. */
export interface Expansion {
  /** The word with quotes removed and variables substituted, whitespace kept. */
  word: string;
  /** The same, split into words at unquoted whitespace. */
  words: string[];
  /** Names that were referenced and set. */
  used: Set<string>;
}

const EOF = undefined;

class Words {
  word = "";
  words: string[] = [];
  inWord = false;
  addChar(ch: string): void {
    if (isSpace(ch)) {
      if (this.inWord && this.word.length) {
        this.words.push(this.word);
        this.word = "";
        this.inWord = false;
      }
    } else this.addRaw(ch);
  }
  addRaw(s: string): void {
    this.word += s;
    this.inWord = true;
  }
  addString(s: string): void {
    for (const ch of s) this.addChar(ch);
  }
  finish(): string[] {
    if (this.word.length) this.words.push(this.word);
    this.word = "";
    this.inWord = false;
    return this.words;
  }
}

class Lexer {
  private chars: string[];
  private pos = 0;
  readonly used = new Set<string>();
  private escape: string;
  /** Whether escape tokens are kept; `${v#p}`, `${v%p}` and `${v/p/r}` keep them while read. */
  private rawEscapes: boolean;
  constructor(source: string, private env: Env, private opts: LexOptions) {
    this.chars = Array.from(source);
    this.escape = opts.escapeToken ?? "\\";
    this.rawEscapes = !!opts.rawEscapes;
  }
  private peek(): string | undefined {
    return this.chars[this.pos];
  }
  private next(): string | undefined {
    return this.chars[this.pos++];
  }

  run(): { word: string; words: string[] } {
    return this.until(EOF, !!this.opts.rawEscapes);
  }

  /** Reads up to `stop` (consumed) or the end, expanding as it goes. */
  private until(stop: string | undefined, rawEscapes: boolean): { word: string; words: string[] } {
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      return this.read(stop);
    } finally {
      this.rawEscapes = saved;
    }
  }

  private read(stop: string | undefined): { word: string; words: string[] } {
    let result = "";
    const words = new Words();
    while (this.peek() !== EOF) {
      const ch = this.peek()!;
      if (stop !== EOF && ch === stop) {
        this.next();
        return { word: result, words: words.finish() };
      }
      const quote = (ch === "'" || ch === '"') && !this.opts.skipProcessQuotes;
      if (quote || ch === "$" || ch === "<") {
        const tmp = ch === "'"
          ? this.singleQuote()
          : ch === '"'
          ? this.doubleQuote()
          : ch === "$"
          ? this.dollar()
          : this.possibleHeredoc();
        result += tmp;
        if (ch === "$") words.addString(tmp);
        else words.addRaw(tmp);
        continue;
      }
      let c = this.next()!;
      if (c === this.escape) {
        if (this.rawEscapes) {
          words.addRaw(c);
          result += c;
        }
        const n = this.next();
        if (n === EOF) break;
        c = n;
        words.addRaw(c);
      } else words.addChar(c);
      result += c;
    }
    if (stop !== EOF) {
      throw new ExpandError(`unexpected end of statement while looking for matching ${stop}`);
    }
    return { word: result, words: words.finish() };
  }

  private singleQuote(): string {
    let result = this.opts.rawQuotes ? "'" : "";
    this.next();
    for (;;) {
      const ch = this.next();
      if (ch === EOF) {
        throw new ExpandError(
          "unexpected end of statement while looking for matching single-quote",
        );
      }
      if (ch === "'") return result + (this.opts.rawQuotes ? "'" : "");
      result += ch;
    }
  }

  private doubleQuote(): string {
    let result = this.opts.rawQuotes ? '"' : "";
    this.next();
    for (;;) {
      const p = this.peek();
      if (p === EOF) {
        throw new ExpandError(
          "unexpected end of statement while looking for matching double-quote",
        );
      }
      if (p === '"') {
        this.next();
        return result + (this.opts.rawQuotes ? '"' : "");
      }
      if (p === "$") {
        result += this.dollar();
        continue;
      }
      let ch = this.next()!;
      if (ch === this.escape) {
        if (this.rawEscapes) result += ch;
        const n = this.peek();
        if (n === EOF) continue;
        if (n === '"' || n === "$" || n === this.escape) ch = this.next()!;
      }
      result += ch;
    }
  }

  /** `<<` and the blanks after it stay in one word, so `<< EOF` reads as a heredoc word. */
  private possibleHeredoc(): string {
    this.next();
    if (this.peek() !== "<") return "<";
    this.next();
    let out = "<<";
    while (this.peek() === " " || this.peek() === "\t" || this.peek() === "\r") out += this.next();
    return out;
  }

  private lookup(name: string): string | undefined {
    const v = this.env.get(name);
    if (v !== undefined) this.used.add(name);
    return v;
  }

  private dollar(): string {
    this.next();
    if (this.peek() !== "{") {
      const name = this.name();
      if (name === "") return "$";
      const value = this.lookup(name);
      if (value === undefined && this.opts.skipUnsetEnv) return "$" + name;
      return value ?? "";
    }
    this.next();
    const first = this.peek();
    if (first === EOF) throw new ExpandError("syntax error: missing '}'");
    if (first === "{" || first === "}" || first === ":") {
      throw new ExpandError("syntax error: bad substitution");
    }
    const name = this.name();
    let ch = this.next();
    if (ch === EOF) throw new ExpandError("syntax error: missing '}'");
    let mod = ch;
    if (ch === "}") {
      const value = this.lookup(name);
      if (value === undefined && this.opts.skipUnsetEnv) return `\${${name}}`;
      return value ?? "";
    }
    let nullIsUnset = false;
    if (ch === ":") {
      nullIsUnset = true;
      ch = this.next();
      if (ch === EOF) throw new ExpandError("syntax error: missing '}'");
      mod += ch;
    }
    if (ch === "/" && !nullIsUnset) return this.replace(name);
    if (!"+-?#%".includes(ch)) {
      throw new ExpandError(`unsupported modifier (${mod}) in substitution`);
    }
    const patternMod = ch === "#" || ch === "%";
    if (nullIsUnset && patternMod) {
      throw new ExpandError(`unsupported modifier (${mod}) in substitution`);
    }
    const word = this.untilClose("}", patternMod, "syntax error: missing '}'");
    const value = this.lookup(name);
    if (value === undefined && this.opts.skipUnsetEnv) return `\${${name}${mod}${word}}`;
    const empty = value === undefined || (nullIsUnset && value === "");
    switch (ch) {
      case "-":
        return empty ? word : value!;
      case "+":
        return empty ? "" : word;
      case "?":
        if (value === undefined) {
          throw new ExpandError(`${name}: ${word || "is not allowed to be unset"}`);
        }
        if (empty) throw new ExpandError(`${name}: ${word || "is not allowed to be empty"}`);
        return value;
      default: {
        let pattern = word;
        const greedy = pattern.startsWith(ch);
        if (greedy) pattern = pattern.slice(1);
        return ch === "#"
          ? trimPrefix(pattern, value ?? "", greedy)
          : trimSuffix(pattern, value ?? "", greedy);
      }
    }
  }

  private untilClose(stop: string, rawEscapes: boolean, missing: string): string {
    try {
      return this.until(stop, rawEscapes).word;
    } catch (e) {
      if (this.peek() === EOF) throw new ExpandError(missing);
      throw e;
    }
  }

  private replace(name: string): string {
    const all = this.peek() === "/";
    if (all) this.next();
    const pattern = this.untilClose("/", true, "syntax error: missing '/' in ${}");
    const replacement = this.untilClose("}", true, "syntax error: missing '}'");
    const value = this.lookup(name);
    if (value === undefined && this.opts.skipUnsetEnv) {
      return `\${${name}/${pattern}/${replacement}}`;
    }
    const re = patternToRegex(pattern, true, false);
    const v = value ?? "";
    return v.replace(all ? new RegExp(re.source, "gu") : re, () => replacement);
  }

  /** A name: letters, digits and `_`, or a run of digits, or one special parameter. */
  private name(): string {
    let name = "";
    for (;;) {
      const ch = this.peek();
      if (ch === EOF) break;
      if (name === "" && /^\p{Nd}$/u.test(ch)) {
        while (this.peek() !== EOF && /^\p{Nd}$/u.test(this.peek()!)) name += this.next();
        return name;
      }
      if (name === "" && "@*#?-$!0".includes(ch)) return this.next()!;
      if (!/^[\p{L}\p{Nd}_]$/u.test(ch)) break;
      name += this.next();
    }
    return name;
  }
}

/**
 * A shell pattern as BuildKit converts it: `*` and `?` are wildcards, `\` escapes `*`, `?`
 * or `\` (and is dropped before `}` or `/`); everything else, brackets included, is literal.
 */
function patternToRegex(pattern: string, greedy: boolean, anchored: boolean): RegExp {
  let out = anchored ? "^" : "";
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (ch === "*") out += greedy ? ".*" : ".*?";
    else if (ch === "?") out += ".";
    else if (ch === "\\") {
      const next = chars[i + 1];
      if (next === "}" || next === "/") continue;
      i++;
      if (next !== "*" && next !== "?" && next !== "\\") {
        throw new ExpandError(
          `invalid pattern (${pattern}) in substitution: invalid escape '\\${next ?? ""}'`,
        );
      }
      out += "\\" + next;
    } else out += ch.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
  }
  return new RegExp(out, "u");
}

function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const m = patternToRegex(pattern, greedy, true).exec(value);
  return m ? value.slice(m[0].length) : value;
}

/** Pattern reversed token by token (an escape stays before the character it escapes). */
function reversePattern(pattern: string): string {
  const chars = Array.from(pattern);
  const tokens: string[] = [];
  for (let i = 0; i < chars.length; i++) {
    if (chars[i] === "\\" && i !== chars.length - 1) tokens.push(chars[i] + chars[++i]);
    else tokens.push(chars[i]);
  }
  return tokens.reverse().join("");
}

function reverse(s: string): string {
  return Array.from(s).reverse().join("");
}

function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  return reverse(trimPrefix(reversePattern(pattern), reverse(value), greedy));
}

/**
 * Expands one word as BuildKit's `ProcessWord` and `ProcessWords` do: the result keeps
 * whitespace (`word`) and is also split at unquoted whitespace (`words`).
 *
 * @example
 * ```ts
 * import { expand } from "./expand.ts";
 * expand("${A:-x}/'$B'", new Map([["A", "a"]])).word; // "a/$B"
 * ```
 */
export function expand(source: string, env: Env, opts: LexOptions = {}): Expansion {
  const lexer = new Lexer(source, env, opts);
  try {
    const { word, words } = lexer.run();
    return { word, words, used: lexer.used };
  } catch (e) {
    if (e instanceof ExpandError) {
      throw new ExpandError(`failed to process ${JSON.stringify(source)}: ${e.message}`);
    }
    throw e;
  }
}

/** One word with quotes removed and variables substituted (BuildKit's `ProcessWord`). */
export function expandWord(source: string, env: Env, opts: LexOptions = {}): string {
  return expand(source, env, opts).word;
}

/** The words a string expands to, split at unquoted whitespace (BuildKit's `ProcessWords`). */
export function expandWords(source: string, env: Env, opts: LexOptions = {}): string[] {
  return expand(source, env, opts).words;
}
