/**
 * The first, syntax-only split of one logical Dockerfile line, as BuildKit's parser does it
 * before any variable is expanded: the instruction word, its leading `--flags`, the JSON
 * (exec) form, and the quote-preserving word split used by ENV, LABEL and ARG.
 */

const whitespace = /[\t\v\f\r ]+/;

/** One line split into its instruction, its `--flag` words and the rest. */
export interface SplitLine {
  command: string;
  flags: string[];
  rest: string;
}

/** Splits `RUN --mount=a echo hi` into `RUN`, `["--mount=a"]` and `echo hi`. */
export function splitCommand(line: string, escape = "\\"): SplitLine {
  const trimmed = line.trim();
  const m = whitespace.exec(trimmed);
  if (!m) return { command: trimmed, flags: [], rest: "" };
  const command = trimmed.slice(0, m.index);
  const { rest, flags } = extractFlags(trimmed.slice(m.index + m[0].length), escape);
  return { command, flags, rest: rest.trim() };
}

/**
 * The leading words that start with `--` (quotes and the escape token handled inside them);
 * a bare `--` ends them. Returns the words and what follows them.
 */
export function extractFlags(line: string, escape = "\\"): { flags: string[]; rest: string } {
  const flags: string[] = [];
  let word = "";
  let phase: "space" | "word" | "quote" = "space";
  let quote = "";
  let blankOK = false;
  for (let pos = 0; pos <= line.length; pos++) {
    const ch = pos < line.length ? line[pos] : "";
    if (phase === "space") {
      if (pos === line.length) break;
      if (isSpace(ch)) continue;
      if (ch !== "-" || pos + 1 === line.length || line[pos + 1] !== "-") {
        return { flags, rest: line.slice(pos) };
      }
      phase = "word";
    }
    if (pos === line.length) {
      if (word !== "--" && (blankOK || word.length > 0)) flags.push(word);
      break;
    }
    if (phase === "word") {
      if (isSpace(ch)) {
        phase = "space";
        if (word === "--") return { flags, rest: line.slice(pos) };
        if (blankOK || word.length > 0) flags.push(word);
        word = "";
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = "quote";
        continue;
      }
      if (ch === escape) {
        if (pos + 1 === line.length) continue;
        word += line[++pos];
        continue;
      }
      word += ch;
      continue;
    }
    if (ch === quote) {
      phase = "word";
      continue;
    }
    if (ch === escape) {
      if (pos + 1 === line.length) {
        phase = "word";
        continue;
      }
      word += line[++pos];
      continue;
    }
    word += ch;
  }
  return { flags, rest: "" };
}

/** Go's unicode.IsSpace (JavaScript's `\s` differs on U+0085 and U+FEFF). */
export function isSpace(ch: string): boolean {
  return /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/.test(ch);
}

/** The JSON form was an array holding something other than strings. */
export class NotStringArrayError extends Error {
  constructor() {
    super("when using JSON array syntax, arrays must be comprised of strings only");
  }
}

/**
 * The exec (JSON array) form of `rest`, or null when `rest` is not a valid JSON array (then
 * Docker takes it as shell form). An array holding a non-string is an error.
 */
export function parseJSONArray(rest: string): string[] | null {
  const text = rest.trimStart();
  if (!text.startsWith("[")) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!Array.isArray(value)) return null;
  if (!value.every((v) => typeof v === "string")) throw new NotStringArrayError();
  return value as string[];
}

/**
 * Splits at unquoted whitespace, keeping quotes and escape tokens in the words (they are
 * removed later, when the word is expanded). Used by ENV, LABEL and ARG.
 */
export function parseWords(rest: string, escape: string): string[] {
  const words: string[] = [];
  const chars = Array.from(rest);
  let phase: "space" | "word" | "quote" = "space";
  let word = "";
  let quote = "";
  let blankOK = false;
  for (let pos = 0; pos <= chars.length; pos++) {
    const ch = pos < chars.length ? chars[pos] : "";
    if (phase === "space") {
      if (pos === chars.length) break;
      if (isSpace(ch)) continue;
      phase = "word";
    }
    if (pos === chars.length) {
      if (blankOK || word.length > 0) words.push(word);
      break;
    }
    if (phase === "word") {
      if (isSpace(ch)) {
        phase = "space";
        if (blankOK || word.length > 0) words.push(word);
        word = "";
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = "quote";
      }
      if (ch === escape) {
        if (pos + 1 === chars.length) continue;
        word += ch + chars[++pos];
        continue;
      }
      word += ch;
      continue;
    }
    if (ch === quote) phase = "word";
    if (ch === escape && quote !== "'") {
      if (pos + 1 === chars.length) {
        phase = "word";
        continue;
      }
      word += ch + chars[++pos];
      continue;
    }
    word += ch;
  }
  return words;
}

/** One `name=value` (or legacy `name value`) pair of ENV or LABEL, still unexpanded. */
export interface RawPair {
  key: string;
  value: string;
}

/**
 * ENV and LABEL arguments: `a=b c=d`, or the legacy `a b c` (one pair, the value is the rest
 * of the line). Throws with Docker's wording when neither form fits.
 */
export function parseNameValues(rest: string, instruction: string, escape: string): RawPair[] {
  const words = parseWords(rest, escape);
  if (words.length === 0) return [];
  if (!words[0].includes("=")) {
    const m = whitespace.exec(rest);
    if (!m) throw new Error(`${instruction} must have two arguments`);
    return [{ key: rest.slice(0, m.index), value: rest.slice(m.index + m[0].length) }];
  }
  return words.map((word) => {
    const eq = word.indexOf("=");
    if (eq < 0) {
      throw new Error(
        `Syntax error - can't find = in ${JSON.stringify(word)}. Must be of the form: name=value`,
      );
    }
    return { key: word.slice(0, eq), value: word.slice(eq + 1) };
  });
}

/** Whitespace-separated words (FROM, EXPOSE, and COPY/ADD/VOLUME in shell form). */
export function splitWhitespace(rest: string): string[] {
  return rest === "" ? [] : rest.split(/[\t\v\f\r ]+/);
}
