/**
 * The parity suite's scenarios and how their outputs are compared.
 *
 * A scenario file holds one command a line, the arguments after `docker`/`skiff`, split as a
 * shell would split words ('single', "double" quotes and backslashes; no expansion but
 * `$TMP`, the engine's scratch directory). `<<< TEXT` at the end feeds TEXT and a newline on
 * stdin. A line starting with `!` is a host shell command run in `$TMP` (to look at what `cp`
 * wrote, for instance; `$E` there runs the engine, for pipes). `#` starts a comment line; blank
 * lines are skipped. Commands run in
 * file order on one store, so a line sees what the lines before it made.
 *
 * ```ts
 * import { normalize, parseScenarios } from "./scenarios.ts";
 * const [s] = parseScenarios("ps -a --format '{{.Names}}'\n");
 * // s.args: ["ps", "-a", "--format", "{{.Names}}"]
 * normalize("Up 3 seconds", { root: "/r", tmp: "/t" }); // "Up <dur>"
 * ```
 *
 * @module
 */

/** One command of a scenario file. */
export interface Scenario {
  /** The line as written (its key in the accepted differences). */
  line: string;
  /** 1-based line number in the file. */
  lineNo: number;
  /** Engine arguments, or the host script for a host command. */
  args: string[];
  /** Whether this is a host shell command (`!`). */
  host: boolean;
  /** Text fed on stdin (`<<<`), with a newline. */
  stdin?: string;
}

/** Splits a command line into words as a POSIX shell would (quotes and backslashes only). */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in: ${line}`);
      cur += line.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === "\\" && j + 1 < line.length && '"\\$'.includes(line[j + 1])) j++;
        cur += line[j];
      }
      if (j >= line.length) throw new Error(`unterminated " in: ${line}`);
      i = j;
      inWord = true;
    } else if (c === "\\" && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (c === " " || c === "\t") {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** Parses a scenario file (see the module's doc). */
export function parseScenarios(text: string): Scenario[] {
  const out: Scenario[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    if (line.startsWith("!")) {
      out.push({ line, lineNo: i + 1, args: [line.slice(1).trim()], host: true });
      return;
    }
    let args = splitWords(line);
    let stdin: string | undefined;
    const at = args.indexOf("<<<");
    if (at >= 0) {
      stdin = args.slice(at + 1).join(" ") + "\n";
      args = args.slice(0, at);
    }
    out.push({ line, lineNo: i + 1, args, host: false, stdin });
  });
  return out;
}

/** What differs between engines for reasons of their own and is replaced before comparing. */
export interface Places {
  /** The store's or data root's directory (`<root>`). */
  root: string;
  /** The scratch directory (`$TMP`). */
  tmp: string;
}

const SPAN = String.raw`(?:Less than a second|About a minute|About an hour|` +
  String
    .raw`\d+ (?:second|minute|hour|day|week|month|year)s?|an? (?:second|minute|hour|day|week|month|year))`;

/**
 * Normalizes an output for comparison: the engine's own directories, ids (64 and 12 hex
 * digits), absolute times (the fraction's presence is kept: docker prints nanoseconds), times
 * relative to now, the engine's name, docker's `Error response from daemon:` prefix (skiff has
 * no daemon), table column widths (runs of spaces) and trailing spaces.
 */
export function normalize(text: string, places: Places): string {
  let t = text.split(places.tmp).join("$TMP").split(places.root).join("<root>");
  t = t.replace(/\b[0-9a-f]{64}\b/g, "<id>").replace(/\b[0-9a-f]{12}\b/g, "<id>");
  t = t.replace(
    /\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(?:Z| ?[+-]\d\d:?\d\d(?: [A-Z]{3,4})?)?/g,
    (_, frac) => frac ? "<time.frac>" : "<time>",
  );
  t = t.replace(new RegExp(`${SPAN} ago`, "g"), "<ago>");
  t = t.replace(new RegExp(`Up ${SPAN}`, "g"), "Up <dur>");
  t = t.replace(/\b(?:docker|skiff)(?=[: '"]|$)/gm, "<engine>");
  t = t.replace(/Error response from daemon: /g, "Error: ");
  return t.split("\n").map((l) => l.replace(/ {2,}/g, "  ").trimEnd()).join("\n");
}

/** The first line of stderr that is not blank. */
export function firstLine(text: string): string {
  return text.split("\n").find((l) => l.trim() !== "") ?? "";
}

/**
 * Normalizes an error line (after {@linkcode normalize}) for the style each engine keeps
 * everywhere: skiff starts every error with `Error: ` on one line, with docker's second line
 * (`See 'docker run --help'.`) at its end; docker prints its client's errors bare, its
 * daemon's after `Error response from daemon:`, `run`'s after `docker: `, and ends `run`'s
 * with a period. The words after these are compared.
 */
export function errorLine(line: string): string {
  return line.replace(/^<engine>: /, "").replace(/^Error: /, "")
    .replace(/ See '<engine> [a-z ]+ --help'\.$/, "").replace(/\.$/, "");
}

/**
 * Parses the accepted differences: list items of the form ``- `COMMAND LINE`: reason`` (an item
 * may go on over indented lines, as `deno fmt` wraps it), where the command line is written
 * exactly as in the scenario file. Returns line -> reason.
 */
export function parseAccepted(text: string): Map<string, string> {
  const items: string[] = [];
  for (const raw of text.split("\n")) {
    if (raw.startsWith("- ")) items.push(raw);
    else if (raw.startsWith("  ") && items.length) items[items.length - 1] += " " + raw.trim();
    else items.push("");
  }
  const out = new Map<string, string>();
  for (const item of items) {
    const m = item.match(/^- `(.+?)`: (.+)$/);
    if (m) out.set(m[1], m[2]);
  }
  return out;
}
