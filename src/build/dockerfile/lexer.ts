/**
 * Turns Dockerfile text into logical lines, as BuildKit's parser reads it: parser directives
 * at the very top (`# syntax=`, `# escape=`, `# check=`), comments, line continuations (with
 * comment and empty lines allowed inside them), and heredoc bodies for RUN, COPY and ADD.
 */
import { InvalidArgumentError } from "../../errors.ts";
import { expandWords } from "./expand.ts";
import { parseJSONArray, splitCommand } from "./words.ts";

/** Where something is in a Dockerfile (1-based line and column). */
export interface Position {
  file: string;
  line: number;
  column: number;
}

/** A syntax error at a position: its message reads `Dockerfile:3:1: unknown instruction: FORM`. */
export class DockerfileSyntaxError extends InvalidArgumentError {
  constructor(readonly position: Position, readonly reason: string) {
    super(`${position.file}:${position.line}:${position.column}: ${reason}`);
  }
}

/** The parser directives found at the top of the file. */
export interface Directives {
  /** `# syntax=`: the frontend image Docker would use (recorded, not used). */
  syntax?: string;
  /** `# escape=`: the escape and line-continuation character. */
  escape: "\\" | "`";
  /** `# check=`: BuildKit's lint configuration (recorded, not used). */
  check?: string;
}

/** A here-document attached to an instruction (`<<EOF` ... `EOF`). */
export interface Heredoc {
  /** The delimiter word, quotes removed. */
  name: string;
  /** The file descriptor before `<<` (`2<<EOF`), 0 when none was written. */
  fd: number;
  /** False when any part of the delimiter was quoted: the body is then not expanded. */
  expand: boolean;
  /** `<<-`: leading tabs are stripped from the body and the delimiter line. */
  chomp: boolean;
  /** The body, each line with its line ending, leading tabs not yet stripped. */
  content: string;
}

/** One instruction's text after continuations are joined, with where it came from. */
export interface LogicalLine {
  text: string;
  start: Position;
  /** Length of the part of `text` that came from the first physical line. */
  firstLength: number;
  endLine: number;
  heredocs: Heredoc[];
  /** Comment lines directly above the instruction, `#` and spaces removed. */
  comments: string[];
}

/** The result of reading a Dockerfile's lines. */
export interface Lexed {
  directives: Directives;
  lines: LogicalLine[];
  warnings: string[];
}

// The name part of a directive; the value is the rest, trimmed by hand (a lazy `(.+?)\s*$`
// backtracks quadratically in JavaScript on long blank runs, unlike Go's RE2).
const directiveRe = /^#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*/;
const commentRe = /^#/;
const heredocRe = /^(\d*)<<(-?)([^<]*)$/;
const heredocInstructions = new Set(["run", "copy", "add"]);

/**
 * Splits Dockerfile text into logical lines. Errors (a bad or repeated directive, an
 * unterminated heredoc, a file with no instructions) carry their position.
 */
export function lexDockerfile(source: string, file = "Dockerfile"): Lexed {
  const raw = splitKeepingEndings(source.startsWith("\uFEFF") ? source.slice(1) : source);
  const directives: Directives = { escape: "\\" };
  const seen = new Set<string>();
  let directivesDone = false;
  let continuation = continuationRegex("\\");
  const lines: LogicalLine[] = [];
  const warnings: string[] = [];
  let comments: string[] = [];

  const at = (line: number, column = 1): Position => ({ file, line, column });

  // Parser directives are only looked for until the first line that is not one.
  const directive = (token: string, lineNo: number): boolean => {
    if (directivesDone) return false;
    const m = directiveRe.exec(token);
    const key = m?.[1].toLowerCase();
    const value = m ? trimEndWith(token.slice(m[0].length), "\t\n\f\r ") : "";
    if (!m || !key || value === "" || !["syntax", "escape", "check"].includes(key)) {
      directivesDone = true;
      return false;
    }
    if (seen.has(key)) {
      throw new DockerfileSyntaxError(at(lineNo), `only one ${key} parser directive can be used`);
    }
    seen.add(key);
    if (key === "escape") {
      if (value !== "\\" && value !== "`") {
        throw new DockerfileSyntaxError(
          at(lineNo),
          `invalid escape token '${value}' does not match \` or \\`,
        );
      }
      directives.escape = value;
      continuation = continuationRegex(value);
    } else if (key === "syntax") directives.syntax = value;
    else directives.check = value;
    return true;
  };

  let i = 0;
  while (i < raw.length) {
    const first = trimNewline(raw[i]);
    const lineNo = i + 1;
    const token = first.trimStart();
    if (commentRe.test(token)) {
      const comment = token.slice(1).trim();
      if (comment === "") comments = [];
      else comments.push(comment);
    }
    if (directive(token, lineNo)) comments.pop();
    i++;
    const column = first.length - token.length + 1;
    let [text, done] = trimContinuation(commentRe.test(token) ? "" : token, continuation);
    if (done && text === "") continue;
    const firstLength = text.length;

    let emptyContinuation = false;
    while (!done && i < raw.length) {
      const next = trimNewline(raw[i]);
      directive(next, i + 1);
      i++;
      if (commentRe.test(next.trimStart())) continue;
      if (next.trimStart() === "") {
        emptyContinuation = true;
        continue;
      }
      const [part, end] = trimContinuation(next, continuation);
      text += part;
      done = end;
    }
    if (emptyContinuation) warnings.push(`Empty continuation line found in: ${text}`);

    const start = at(lineNo, column);
    const heredocs: Heredoc[] = [];
    if (text.includes("<<") && mayHoldHeredoc(text, directives.escape)) {
      for (const doc of heredocsIn(text, start)) {
        let terminated = false;
        while (i < raw.length) {
          const body = raw[i++];
          let candidate = trimNewline(body);
          if (doc.chomp) candidate = candidate.replace(/^\t+/, "");
          if (candidate === doc.name) {
            terminated = true;
            break;
          }
          doc.content += body;
        }
        if (!terminated) throw new DockerfileSyntaxError(start, "unterminated heredoc");
        heredocs.push(doc);
      }
    }
    lines.push({ text, start, firstLength, endLine: i, heredocs, comments });
    comments = [];
  }
  if (lines.length === 0) {
    throw new DockerfileSyntaxError(at(Math.max(raw.length, 1)), "file with no instructions");
  }
  return { directives, lines, warnings };
}

function splitKeepingEndings(source: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (;;) {
    const nl = source.indexOf("\n", start);
    if (nl < 0) break;
    out.push(source.slice(start, nl + 1));
    start = nl + 1;
  }
  if (start < source.length) out.push(source.slice(start));
  return out;
}

function trimNewline(line: string): string {
  return trimEndWith(line, "\r\n");
}

/** `s` without the trailing characters in `chars` (a loop: no regular-expression backtracking). */
function trimEndWith(s: string, chars: string): string {
  let end = s.length;
  while (end > 0 && chars.includes(s[end - 1])) end--;
  return s.slice(0, end);
}

function continuationRegex(escape: string): RegExp {
  const e = escape === "\\" ? "\\\\" : "`";
  return new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`);
}

/** Removes a trailing escape token; true when the line did not continue. */
function trimContinuation(line: string, re: RegExp): [string, boolean] {
  if (re.test(line)) return [line.replace(re, "$1"), false];
  return [line, true];
}

/** RUN, COPY and ADD in shell form (also behind ONBUILD) may carry heredocs. */
function mayHoldHeredoc(text: string, escape: string): boolean {
  let { command, rest } = splitCommand(text, escape);
  if (command.toLowerCase() === "onbuild") ({ command, rest } = splitCommand(rest, escape));
  if (!heredocInstructions.has(command.toLowerCase())) return false;
  try {
    return parseJSONArray(rest) === null;
  } catch {
    return false;
  }
}

/** The heredocs a line opens, in order, with empty bodies. */
function heredocsIn(text: string, at: Position): Heredoc[] {
  let words: string[];
  try {
    words = expandWords(text, new Map(), { rawQuotes: true, rawEscapes: true, skipUnsetEnv: true });
  } catch {
    return [];
  }
  const docs: Heredoc[] = [];
  for (const word of words) {
    const doc = parseHeredocWord(word, at);
    if (doc) docs.push(doc);
  }
  return docs;
}

/**
 * The heredoc a word such as `<<EOF`, `<<-"EOF"` or `2<<'END'` opens, or null when the word
 * is not one.
 */
export function parseHeredocWord(word: string, at?: Position): Heredoc | null {
  const m = heredocRe.exec(word);
  if (!m || m[3] === "") return null;
  const opts = { skipUnsetEnv: true };
  let plain: string[], raw: string[];
  try {
    plain = expandWords(m[3], new Map(), opts);
    if (plain.length !== 1) return null;
    raw = expandWords(m[3], new Map(), { ...opts, rawQuotes: true });
  } catch (e) {
    if (at) throw new DockerfileSyntaxError(at, (e as Error).message);
    return null;
  }
  const quotes = (s: string) => (s.match(/['"]/g) ?? []).length;
  return {
    name: plain[0],
    fd: m[1] === "" ? 0 : Number(m[1]),
    expand: quotes(plain[0]) === quotes(raw[0]),
    chomp: m[2] === "-",
    content: "",
  };
}

/** A heredoc body with leading tabs removed from every line (for `<<-`). */
export function chompHeredoc(content: string): string {
  return content.replace(/^\t+/gm, "");
}
