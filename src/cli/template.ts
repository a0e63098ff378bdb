/**
 * A Go `text/template` subset, enough for Docker's `--format`: fields and
 * nested fields, variables, pipelines, `if`/`else`/`with`/`range`, trim
 * markers, comments, Go's builtin functions (and, or, not, len, index, slice,
 * print, printf, println, eq, ne, lt, le, gt, ge) and Docker's (json, split,
 * join, title, lower, upper, pad, truncate). Values print as Go's `%v` does.
 *
 * Parse and execution errors are one-line InvalidArgumentErrors starting with
 * `template: `, worded as Go words them.
 *
 * @module
 */

import { InvalidArgumentError } from "../errors.ts";
import { goFormatFloat } from "../units.ts";

// ---------------------------------------------------------------------------
// Values

/** Template functions: each takes the evaluated arguments. */
export type TemplateFunc = (...args: unknown[]) => unknown;

/**
 * The property that marks an object as a Go struct (set by the views that build docker's
 * objects, under the same `Symbol.for` name): `%v` prints a struct's values in their order,
 * `{on-failure 3}`, where a map prints `map[k:v]` with sorted keys.
 */
const GO_STRUCT = Symbol.for("skiff.goStruct");

function _isStruct(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && GO_STRUCT in v;
}

function _isMap(v: unknown): v is Record<string, unknown> | Map<unknown, unknown> {
  return v instanceof Map ||
    (typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date) &&
      !ArrayBuffer.isView(v));
}

function _mapEntries(v: Record<string, unknown> | Map<unknown, unknown>): [unknown, unknown][] {
  const entries: [unknown, unknown][] = v instanceof Map ? [...v.entries()] : Object.entries(v);
  return entries.sort(([a], [b]) => _compareKeys(a, b));
}

function _compareKeys(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function _goNumber(n: number): string {
  if (Number.isInteger(n)) return BigInt(n).toString();
  // Docker's values are Go ints or json.Number text: never an exponent.
  return goFormatFloat(n, "f", -1);
}

function _pad2(n: number, w = 2): string {
  return String(n).padStart(w, "0");
}

function _goTime(d: Date): string {
  if (Number.isNaN(+d)) return "<invalid time>";
  const ms = d.getUTCMilliseconds();
  const frac = ms ? "." + _pad2(ms, 3).replace(/0+$/, "") : "";
  return `${_pad2(d.getUTCFullYear(), 4)}-${_pad2(d.getUTCMonth() + 1)}-${_pad2(d.getUTCDate())} ` +
    `${_pad2(d.getUTCHours())}:${_pad2(d.getUTCMinutes())}:${_pad2(d.getUTCSeconds())}${frac} ` +
    `+0000 UTC`;
}

/**
 * Formats a value as Go's `fmt` `%v` does inside a template: maps as
 * `map[a:b c:d]` (sorted keys), structs (objects marked as such) as `{b d}`, slices as `[a b]`,
 * missing values as
 * `<no value>` at the top level and `<nil>` inside containers.
 *
 * @example
 * ```ts
 * goString({ b: 2, a: [1, "x"] }); // "map[a:[1 x] b:2]"
 * ```
 */
export function goString(v: unknown, top = true): string {
  if (v === undefined || v === null) return top ? "<no value>" : "<nil>";
  if (typeof v === "string") return v;
  if (typeof v === "number") return _goNumber(v);
  if (typeof v === "bigint" || typeof v === "boolean") return String(v);
  if (v instanceof Date) return _goTime(v);
  if (v instanceof Uint8Array) return `[${[...v].join(" ")}]`;
  if (Array.isArray(v)) return `[${v.map((x) => goString(x, false)).join(" ")}]`;
  if (_isStruct(v)) return `{${Object.values(v).map((x) => goString(x, false)).join(" ")}}`;
  if (_isMap(v)) {
    return `map[${
      _mapEntries(v).map(([k, x]) => `${goString(k, false)}:${goString(x, false)}`).join(" ")
    }]`;
  }
  if (typeof v === "function") return "<func>";
  return String(v);
}

function _goJsonString(s: string, escapeHTML: boolean): string {
  let out = JSON.stringify(s)
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029")
    // Go writes invalid UTF-8 (here: lone surrogates) as U+FFFD.
    .replace(/\\ud[89a-f][0-9a-f]{2}/g, "\\ufffd");
  if (escapeHTML) {
    out = out.replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
  }
  return out;
}

/** Options for {@linkcode goJson}. */
export interface GoJsonOptions {
  /** Escape <, > and & as \u003c, \u003e, \u0026 (Go's default; Docker's `json` function turns it off). */
  escapeHTML?: boolean;
  /** Indent unit for pretty output (Docker's inspect uses four spaces); compact when absent. */
  indent?: string;
}

/**
 * Encodes a value as Go's encoding/json does: compact, object keys in
 * insertion order (Map keys sorted, as Go sorts maps), U+2028/U+2029 always
 * escaped, HTML characters escaped only when asked.
 *
 * @example
 * ```ts
 * goJson({ a: "<b>" }, { escapeHTML: true }); // '{"a":"\\u003cb\\u003e"}'
 * ```
 */
export function goJson(v: unknown, opts: GoJsonOptions = {}): string {
  const esc = opts.escapeHTML ?? false;
  const ind = opts.indent;
  const enc = (x: unknown, depth: number): string => {
    if (x === undefined || x === null) return "null";
    if (typeof x === "string") return _goJsonString(x, esc);
    if (typeof x === "number") return Number.isFinite(x) ? String(x) : "null";
    if (typeof x === "bigint") return x.toString();
    if (typeof x === "boolean") return String(x);
    if (x instanceof Date) {
      if (Number.isNaN(+x)) return "null";
      return _goJsonString(x.toISOString().replace(/\.?0+Z$/, "Z").replace(/\.Z$/, "Z"), esc);
    }
    if (typeof x === "function") return "null";
    const toJSON = (x as { toJSON?: () => unknown }).toJSON;
    if (typeof toJSON === "function") return enc(toJSON.call(x), depth);
    let parts: string[];
    let open: string;
    let close: string;
    if (Array.isArray(x) || ArrayBuffer.isView(x)) {
      parts = [...(x as ArrayLike<unknown> & Iterable<unknown>)].map((e) => enc(e, depth + 1));
      [open, close] = ["[", "]"];
    } else {
      const entries: [unknown, unknown][] = x instanceof Map
        ? _mapEntries(x)
        : Object.entries(x as object).filter(([, e]) => e !== undefined);
      const sep = ind === undefined ? ":" : ": ";
      parts = entries.map(([k, e]) => _goJsonString(String(k), esc) + sep + enc(e, depth + 1));
      [open, close] = ["{", "}"];
    }
    if (parts.length === 0) return open + close;
    if (ind === undefined) return open + parts.join(",") + close;
    const inner = "\n" + ind.repeat(depth + 1);
    return open + inner + parts.join("," + inner) + "\n" + ind.repeat(depth) + close;
  };
  return enc(v, 0);
}

function _truth(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === "") return false;
  if (typeof v === "bigint") return v !== 0n;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  if (_isMap(v)) return Object.keys(v).length > 0;
  return true;
}

function _goType(v: unknown): string {
  if (v === undefined || v === null) return "<nil>";
  if (typeof v === "string") return "string";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float64";
  if (typeof v === "boolean") return "bool";
  if (Array.isArray(v)) return "[]interface {}";
  if (_isMap(v)) return "map[string]interface {}";
  return typeof v;
}

// ---------------------------------------------------------------------------
// printf

function _quote(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16)}`);
}

/**
 * Go's `fmt.Sprintf` for the verbs templates use: %v %s %d %q %t %f %e %g
 * %x %X %c %%, with flags `-+ 0#`, width and precision.
 *
 * @example
 * ```ts
 * sprintf("%s has %d layers", "alpine", 3); // "alpine has 3 layers"
 * sprintf("%-6s|", "ab"); // "ab    |"
 * ```
 */
export function sprintf(format: string, ...args: unknown[]): string {
  let out = "";
  let ai = 0;
  const re = /%([-+# 0]*)(\d+|\*)?(?:\.(\d*|\*))?([a-zA-Z%])?/y;
  let i = 0;
  while (i < format.length) {
    const pct = format.indexOf("%", i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    re.lastIndex = pct;
    const m = re.exec(format)!;
    i = re.lastIndex;
    const [, flags, w, p, verb] = m;
    if (verb === undefined) {
      out += "%!(NOVERB)";
      continue;
    }
    if (verb === "%") {
      out += "%";
      continue;
    }
    let width = w === undefined ? undefined : w === "*" ? Number(args[ai++]) : Number(w);
    const prec = p === undefined ? undefined : p === "*" ? Number(args[ai++]) : Number(p || 0);
    let minus = flags.includes("-");
    if (width !== undefined && width < 0) {
      minus = true;
      width = -width;
    }
    if (ai >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const arg = args[ai++];
    let s: string;
    let numeric = false;
    const bad = () => `%!${verb}(${_goType(arg)}=${goString(arg, false)})`;
    switch (verb) {
      case "v":
        s = typeof arg === "string" && flags.includes("#") ? _quote(arg) : goString(arg, false);
        numeric = typeof arg === "number";
        break;
      case "s":
        if (typeof arg === "number" || typeof arg === "boolean") s = bad();
        else s = goString(arg, false);
        if (prec !== undefined) s = [...s].slice(0, prec).join("");
        break;
      case "q":
        s = typeof arg === "string" ? _quote(arg) : bad();
        break;
      case "t":
        s = typeof arg === "boolean" ? String(arg) : bad();
        break;
      case "d":
        if (typeof arg === "number" && Number.isInteger(arg)) {
          s = BigInt(arg).toString();
          numeric = true;
        } else if (typeof arg === "bigint") {
          s = arg.toString();
          numeric = true;
        } else s = bad();
        break;
      case "f":
      case "F":
      case "e":
      case "g":
        if (typeof arg === "number") {
          const v = verb === "F" ? "f" : verb;
          s = goFormatFloat(arg, v, prec ?? (v === "g" ? -1 : 6));
          numeric = true;
        } else s = bad();
        break;
      case "x":
      case "X":
        if (typeof arg === "number" && Number.isInteger(arg)) {
          s = (arg < 0 ? "-" : "") + Math.abs(arg).toString(16);
          numeric = true;
        } else if (typeof arg === "string") {
          s = [...new TextEncoder().encode(arg)].map((b) => b.toString(16).padStart(2, "0"))
            .join("");
        } else s = bad();
        if (verb === "X") s = s.toUpperCase();
        break;
      case "c":
        s = typeof arg === "number" ? String.fromCodePoint(arg) : bad();
        break;
      default:
        s = bad();
    }
    if (numeric && flags.includes("+") && !s.startsWith("-")) s = "+" + s;
    else if (numeric && flags.includes(" ") && !s.startsWith("-")) s = " " + s;
    const len = [...s].length;
    if (width !== undefined && len < width) {
      if (minus) s = s + " ".repeat(width - len);
      else if (flags.includes("0") && numeric) {
        const sign = /^[-+ ]/.test(s) ? s[0] : "";
        s = sign + "0".repeat(width - len) + s.slice(sign.length);
      } else s = " ".repeat(width - len) + s;
    }
    out += s;
  }
  if (ai < args.length) {
    out += "%!(EXTRA " +
      args.slice(ai).map((a) => `${_goType(a)}=${goString(a, false)}`).join(", ") + ")";
  }
  return out;
}

// ---------------------------------------------------------------------------
// Functions

function _sprint(args: unknown[]): string {
  let out = "";
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== "string" && typeof args[i - 1] !== "string") out += " ";
    out += goString(a, false);
  });
  return out;
}

function _str(_fn: string, v: unknown): string {
  if (typeof v === "string") return v;
  if (v === undefined || v === null) return "";
  throw new Error(`wrong type for value; expected string; got ${_goType(v)}`);
}

function _isSeparator(c: string): boolean {
  if (/^[A-Za-z0-9_]$/.test(c)) return false;
  if (c.charCodeAt(0) < 0x80) return true;
  if (/[\p{L}\p{N}]/u.test(c)) return false;
  return /\s/u.test(c);
}

function _title(s: string): string {
  let prev = " ";
  let out = "";
  for (const c of s) {
    out += _isSeparator(prev) ? c.toUpperCase() : c;
    prev = c;
  }
  return out;
}

function _utf8Len(s: string): number {
  return new TextEncoder().encode(s).length;
}

function _index(v: unknown, key: unknown): unknown {
  if (v === undefined || v === null) throw new Error("index of untyped nil");
  if (Array.isArray(v) || typeof v === "string") {
    const i = Number(key);
    if (!Number.isInteger(i)) throw new Error(`cannot index slice/array with type ${_goType(key)}`);
    if (i < 0 || i >= v.length) throw new Error(`index out of range: ${i}`);
    return typeof v === "string" ? v.charCodeAt(i) : v[i];
  }
  if (v instanceof Map) return v.get(key);
  if (_isMap(v)) {
    const obj = v as Record<string, unknown>;
    return Object.hasOwn(obj, String(key)) ? obj[String(key)] : undefined;
  }
  throw new Error(`can't index item of type ${_goType(v)}`);
}

function _cmp(_fn: string, a: unknown, b: unknown): number {
  const ok = (x: unknown) =>
    typeof x === "string" || typeof x === "number" || typeof x === "bigint";
  if (!ok(a) || !ok(b) || (typeof a === "string") !== (typeof b === "string")) {
    throw new Error("incompatible types for comparison");
  }
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

function _eq(a: unknown, ...rest: unknown[]): boolean {
  const basic = (x: unknown) =>
    x === undefined || x === null || ["string", "number", "boolean", "bigint"].includes(typeof x);
  if (!basic(a)) throw new Error("invalid type for comparison");
  for (const b of rest) {
    if (!basic(b)) throw new Error("invalid type for comparison");
    if ((a ?? null) === (b ?? null)) return true;
    if (a !== undefined && a !== null && b !== undefined && b !== null && typeof a !== typeof b) {
      throw new Error("incompatible types for comparison");
    }
  }
  return false;
}

const ARITY: Record<string, [number, number]> = {
  not: [1, 1],
  len: [1, 1],
  json: [1, 1],
  split: [2, 2],
  join: [2, 2],
  title: [1, 1],
  lower: [1, 1],
  upper: [1, 1],
  pad: [3, 3],
  truncate: [2, 2],
  lt: [2, 2],
  le: [2, 2],
  gt: [2, 2],
  ge: [2, 2],
  ne: [2, 2],
  eq: [1, Infinity],
  index: [1, Infinity],
  slice: [1, 4],
  and: [1, Infinity],
  or: [1, Infinity],
  printf: [1, Infinity],
};

/** Go's and Docker's template functions. */
const FUNCS: Record<string, TemplateFunc> = {
  and: (...a) => a.find((x) => !_truth(x)) ?? a[a.length - 1],
  or: (...a) => a.find((x) => _truth(x)) ?? a[a.length - 1],
  not: (a) => !_truth(a),
  len: (v) => {
    if (typeof v === "string") return _utf8Len(v);
    if (Array.isArray(v)) return v.length;
    if (v instanceof Map) return v.size;
    if (_isMap(v)) return Object.keys(v).length;
    throw new Error(`len of type ${_goType(v)}`);
  },
  index: (v, ...keys) => keys.reduce((acc, k) => _index(acc, k), v),
  slice: (v, ...idx) => {
    if (typeof v !== "string" && !Array.isArray(v)) {
      throw new Error(`can't slice item of type ${_goType(v)}`);
    }
    const [a = 0, b = v.length] = idx.map(Number);
    if (a < 0 || b > v.length || a > b) throw new Error(`index out of range: ${b}`);
    return v.slice(a, b);
  },
  print: (...a) => _sprint(a),
  println: (...a) => a.map((x) => goString(x, false)).join(" ") + "\n",
  printf: (f, ...a) => sprintf(_str("printf", f), ...a),
  eq: _eq,
  ne: (a, b) => !_eq(a, b),
  lt: (a, b) => _cmp("lt", a, b) < 0,
  le: (a, b) => _cmp("le", a, b) <= 0,
  gt: (a, b) => _cmp("gt", a, b) > 0,
  ge: (a, b) => _cmp("ge", a, b) >= 0,
  json: (v) => goJson(v, { escapeHTML: false }),
  split: (s, sep) => {
    const str = _str("split", s);
    const p = _str("split", sep);
    return p === "" ? [...str] : str.split(p);
  },
  join: (list, sep) => {
    if (typeof list === "string") return list;
    if (list === undefined || list === null) return "";
    if (!Array.isArray(list)) {
      throw new Error(`wrong type for value; expected []string; got ${_goType(list)}`);
    }
    return list.map((x) => goString(x, false)).join(_str("join", sep));
  },
  title: (s) => _title(_str("title", s)),
  lower: (s) => _str("lower", s).toLowerCase(),
  upper: (s) => _str("upper", s).toUpperCase(),
  pad: (s, a, b) => {
    const str = _str("pad", s);
    return str === "" ? str : " ".repeat(Number(a)) + str + " ".repeat(Number(b));
  },
  truncate: (s, n) => {
    const str = _str("truncate", s);
    return str.length < Number(n) ? str : str.slice(0, Number(n));
  },
};

/**
 * Docker's header functions: in a table header, formatting functions leave
 * the column name as it is (`{{upper .Name}}` still heads "NAME").
 */
const HEADER_FUNCS: Record<string, TemplateFunc> = {
  json: (v) => v,
  split: (v) => v,
  join: (v) => v,
  title: (v) => v,
  lower: (v) => v,
  upper: (v) => v,
  truncate: (v) => v,
};

// ---------------------------------------------------------------------------
// Lexer

type Tok =
  | { k: "field"; names: string[]; pos: number; sp: boolean }
  | { k: "dot"; pos: number; sp: boolean }
  | { k: "var"; name: string; names: string[]; pos: number; sp: boolean }
  | { k: "ident"; name: string; pos: number; sp: boolean }
  | { k: "str"; value: string; pos: number; sp: boolean }
  | { k: "num"; value: number; pos: number; sp: boolean }
  | { k: "|" | "(" | ")" | "," | ":=" | "="; pos: number; sp: boolean };

interface Action {
  toks: Tok[];
  pos: number;
  text: string;
}

type Item = { text: string; pos: number } | Action;

class _ParseError extends Error {}

function _lineOf(src: string, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos && i < src.length; i++) if (src[i] === "\n") line++;
  return line;
}

const IDENT = /[\p{L}_][\p{L}\p{N}_]*/uy;
const NUMBER =
  /[+-]?(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?)/y;

function _lexAction(src: string, start: number, end: number): Tok[] {
  const toks: Tok[] = [];
  let i = start;
  let sp = true;
  const fail = (msg: string): never => {
    throw new _ParseError(`${_lineOf(src, i)}: ${msg}`);
  };
  // Where each name of the last chain began: Go places a chain (`.A.B`, `$x.A`)
  // at the field after its head, and reports errors there.
  let starts: number[] = [];
  const names = (): string[] => {
    const out: string[] = [];
    starts = [];
    while (src[i] === "." && i < end) {
      IDENT.lastIndex = i + 1;
      const m = IDENT.exec(src);
      if (!m || m.index !== i + 1) break;
      starts.push(i);
      out.push(m[0]);
      i = IDENT.lastIndex;
    }
    return out;
  };
  while (i < end) {
    const c = src[i];
    const pos = i;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      sp = true;
      continue;
    }
    if (c === ".") {
      if (/[0-9]/.test(src[i + 1] ?? "")) {
        NUMBER.lastIndex = i;
        const m = NUMBER.exec(src)!;
        i = NUMBER.lastIndex;
        toks.push({ k: "num", value: Number(m[0]), pos, sp });
      } else {
        const n = names();
        if (n.length === 0) {
          i++;
          toks.push({ k: "dot", pos, sp });
        } else toks.push({ k: "field", names: n, pos: n.length > 1 ? starts[1] : pos, sp });
      }
    } else if (c === "$") {
      IDENT.lastIndex = i + 1;
      const m = IDENT.exec(src);
      const name = m && m.index === i + 1 ? "$" + m[0] : "$";
      i += name.length;
      const fields = names();
      toks.push({ k: "var", name, names: fields, pos: fields.length > 0 ? starts[0] : pos, sp });
    } else if (c === '"') {
      let j = i + 1;
      while (j < end && src[j] !== '"') {
        if (src[j] === "\\") j++;
        if (src[j] === "\n") fail("unterminated quoted string");
        j++;
      }
      if (j >= end) fail("unterminated quoted string");
      const raw = src.slice(i, j + 1);
      let value: string;
      try {
        value = JSON.parse(
          raw.replace(/\\x([0-9a-fA-F]{2})/g, "\\u00$1").replace(/\\a/g, "\\u0007").replace(
            /\\v/g,
            "\\u000b",
          ).replace(/\\'/g, "'"),
        );
      } catch {
        fail(`invalid syntax in string ${raw}`);
      }
      toks.push({ k: "str", value: value!, pos, sp });
      i = j + 1;
    } else if (c === "`") {
      const j = src.indexOf("`", i + 1);
      if (j < 0 || j >= end) fail("unterminated raw quoted string");
      toks.push({ k: "str", value: src.slice(i + 1, j), pos, sp });
      i = j + 1;
    } else if (c === "'") {
      const m = /^'(\\.|[^\\'])'/u.exec(src.slice(i, end));
      if (!m) fail("unterminated character constant");
      const ch = m![1].startsWith("\\") ? JSON.parse(`"${m![1]}"`) : m![1];
      toks.push({ k: "num", value: ch.codePointAt(0), pos, sp });
      i += m![0].length;
    } else if (/[0-9]/.test(c) || ((c === "-" || c === "+") && /[0-9.]/.test(src[i + 1] ?? ""))) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(src);
      if (!m) fail(`bad number syntax: "${src.slice(i, i + 2)}"`);
      i = NUMBER.lastIndex;
      const text = m![0].replace(/_/g, "");
      const value = /^[+-]?0[bBoO]/.test(text)
        ? Number(text.replace(/^([+-]?)0([bBoO])/, "$10$2").replace(/^\+/, ""))
        : Number(text);
      if (Number.isNaN(value) || /[\p{L}\p{N}_]/u.test(src[i] ?? "")) {
        fail(`bad number syntax: "${src.slice(pos, i + 1)}"`);
      }
      toks.push({ k: "num", value, pos, sp });
    } else if (c === ":" && src[i + 1] === "=") {
      i += 2;
      toks.push({ k: ":=", pos, sp });
    } else if ("|(),=".includes(c)) {
      i++;
      toks.push({ k: c as "|", pos, sp });
    } else {
      IDENT.lastIndex = i;
      const m = IDENT.exec(src);
      if (!m) {
        const cp = c.codePointAt(0)!;
        fail(
          `unexpected bad character U+${
            cp.toString(16).toUpperCase().padStart(4, "0")
          } '${c}' in command`,
        );
      }
      i = IDENT.lastIndex;
      toks.push({ k: "ident", name: m![0], pos, sp });
    }
    sp = false;
  }
  return toks;
}

function _lex(src: string): Item[] {
  const items: Item[] = [];
  let i = 0;
  let trimNext = false;
  while (i <= src.length) {
    const open = src.indexOf("{{", i);
    let text = src.slice(i, open < 0 ? src.length : open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, "");
    trimNext = false;
    if (open < 0) {
      if (text) items.push({ text, pos: i });
      break;
    }
    let start = open + 2;
    if (src[start] === "-" && /[ \t\r\n]/.test(src[start + 1] ?? "")) {
      text = text.replace(/[ \t\r\n]+$/, "");
      start++;
    }
    if (text) items.push({ text, pos: i });
    // Find the closing delimiter, skipping quoted strings.
    let j = start;
    let close = -1;
    let closeLen = 2;
    while (j < src.length) {
      const c = src[j];
      if (c === '"' || c === "`" || c === "'") {
        let k = j + 1;
        while (k < src.length && src[k] !== c && !(c !== "`" && src[k] === "\n")) {
          if (src[k] === "\\" && c !== "`") k++;
          k++;
        }
        if (k >= src.length) {
          throw new _ParseError(
            `${_lineOf(src, j)}: ${
              c === "`"
                ? "unterminated raw quoted string"
                : c === '"'
                ? "unterminated quoted string"
                : "unterminated character constant"
            }`,
          );
        }
        j = k + 1;
        continue;
      }
      if (c === "-" && src.startsWith("}}", j + 1) && /[ \t\r\n]/.test(src[j - 1])) {
        close = j;
        closeLen = 3;
        trimNext = true;
        break;
      }
      if (src.startsWith("}}", j)) {
        close = j;
        break;
      }
      if (src.startsWith("/*", j) && j === start + (/[ \t\r\n]/.test(src[start]) ? 1 : 0)) {
        const endC = src.indexOf("*/", j + 2);
        if (endC < 0) throw new _ParseError(`${_lineOf(src, j)}: unclosed comment`);
        j = endC + 2;
        continue;
      }
      j++;
    }
    if (close < 0) throw new _ParseError(`${_lineOf(src, open)}: unclosed action`);
    const inner = src.slice(start, close).trim();
    if (inner.startsWith("/*")) {
      if (!inner.endsWith("*/")) {
        throw new _ParseError(`${_lineOf(src, open)}: comment ends before closing delimiter`);
      }
    } else {
      items.push({
        toks: _lexAction(src, start, close),
        pos: open,
        text: src.slice(open, close + closeLen),
      });
    }
    i = close + closeLen;
  }
  return items;
}

// ---------------------------------------------------------------------------
// Parser

type Arg =
  | { k: "field"; names: string[]; pos: number }
  | { k: "dot"; pos: number }
  | { k: "var"; name: string; names: string[]; pos: number }
  | { k: "fn"; name: string; pos: number }
  | { k: "lit"; value: unknown; pos: number }
  | { k: "pipe"; pipe: Pipe; names: string[]; pos: number };

interface Cmd {
  args: Arg[];
  pos: number;
}

interface Pipe {
  decl: string[];
  assign: boolean;
  cmds: Cmd[];
  pos: number;
  text: string;
}

interface ControlNode {
  t: "if" | "with" | "range";
  pipe: Pipe;
  list: Node[];
  elseList?: Node[];
}

type Node =
  | { t: "text"; text: string }
  | { t: "action"; pipe: Pipe }
  | ControlNode
  | { t: "break" | "continue"; pos: number };

class _Parser {
  i = 0;
  vars: string[][] = [["$"]];
  loops = 0;
  constructor(
    readonly src: string,
    readonly items: Item[],
    readonly funcs: Record<string, TemplateFunc>,
  ) {}

  fail(pos: number, msg: string): never {
    throw new _ParseError(`${_lineOf(this.src, pos)}: ${msg}`);
  }

  /** Parses nodes until {{end}} / {{else}}; returns the terminator. */
  list(): { nodes: Node[]; term?: Action; kw?: "end" | "else" } {
    const nodes: Node[] = [];
    while (this.i < this.items.length) {
      const item = this.items[this.i++];
      if ("text" in item && !("toks" in item)) {
        nodes.push({ t: "text", text: item.text });
        continue;
      }
      const act = item as Action;
      const first = act.toks[0];
      if (!first) this.fail(act.pos, "missing value for command");
      if (first.k === "ident") {
        switch (first.name) {
          case "end":
          case "else":
            return { nodes, term: act, kw: first.name };
          case "if":
          case "with":
          case "range":
            nodes.push(this.control(first.name, act, 1));
            continue;
          case "break":
          case "continue":
            if (this.loops === 0) this.fail(act.pos, `{{${first.name}}} outside {{range}}`);
            if (act.toks.length > 1) {
              this.fail(act.pos, `unexpected ${this.desc(act.toks[1])} in ${first.name}`);
            }
            nodes.push({ t: first.name, pos: act.pos });
            continue;
          case "define":
          case "template":
          case "block":
            this.fail(act.pos, `{{${first.name}}} is not supported`);
        }
      }
      const pipe = this.pipeline(act, act.toks, 0, "command");
      nodes.push({ t: "action", pipe });
    }
    return { nodes };
  }

  control(kind: "if" | "with" | "range", act: Action, from: number): Node {
    this.vars.push([]);
    const pipe = this.pipeline(act, act.toks, from, kind);
    if (kind === "range") this.loops++;
    const body = this.list();
    if (kind === "range") this.loops--;
    let elseList: Node[] | undefined;
    if (!body.kw) this.fail(this.src.length, "unexpected EOF");
    if (body.kw === "else") {
      const et = body.term!;
      const next = et.toks[1];
      if (
        next && next.k === "ident" && (next.name === "if" || next.name === "with") &&
        kind !== "range"
      ) {
        // {{else if ...}}: a nested control that shares our {{end}}.
        this.vars.pop();
        const nested = this.control(next.name, et, 2);
        return { t: kind, pipe, list: body.nodes, elseList: [nested] };
      }
      if (et.toks.length > 1) this.fail(et.pos, `unexpected ${this.desc(et.toks[1])} in else`);
      const rest = this.list();
      if (!rest.kw) this.fail(this.src.length, "unexpected EOF");
      if (rest.kw === "else") this.fail(rest.term!.pos, "expected end; found {{else}}");
      if (rest.term!.toks.length > 1) {
        this.fail(rest.term!.pos, `unexpected ${this.desc(rest.term!.toks[1])} in end`);
      }
      elseList = rest.nodes;
    } else if (body.term!.toks.length > 1) {
      this.fail(body.term!.pos, `unexpected ${this.desc(body.term!.toks[1])} in end`);
    }
    this.vars.pop();
    return { t: kind, pipe, list: body.nodes, elseList };
  }

  desc(t: Tok): string {
    switch (t.k) {
      case "ident":
        return `<${t.name}>`;
      case "field":
        return `<.${t.names.join(".")}>`;
      case "str":
        return `"${t.value}"`;
      case "num":
        return `${t.value}`;
      case "var":
        return `<${t.name}>`;
      case "dot":
        return "<.>";
      default:
        return `"${t.k}"`;
    }
  }

  declared(name: string): boolean {
    return this.vars.some((s) => s.includes(name));
  }

  pipeline(act: Action, toks: Tok[], from: number, ctx: string): Pipe {
    let i = from;
    const decl: string[] = [];
    let assign = false;
    // Declarations: $x := or $k, $v :=
    const look = toks.slice(i, i + 4);
    if (look[0]?.k === "var" && look[0].names.length === 0) {
      if (look[1]?.k === ":=" || look[1]?.k === "=") {
        decl.push(look[0].name);
        assign = look[1].k === "=";
        i += 2;
      } else if (
        look[1]?.k === "," && look[2]?.k === "var" && look[3]?.k === ":=" && ctx === "range"
      ) {
        decl.push(look[0].name, look[2].name);
        i += 4;
      } else if (look[1]?.k === ",") {
        this.fail(act.pos, `too many declarations in ${ctx}`);
      }
    }
    const r = this.cmds(act, toks, i, false);
    if (r.end !== toks.length) this.fail(act.pos, `unexpected ${this.desc(toks[r.end])} in ${ctx}`);
    if (r.cmds.length === 0) this.fail(act.pos, `missing value for ${ctx}`);
    for (const d of decl) {
      if (assign) {
        if (!this.declared(d)) this.fail(act.pos, `undefined variable "${d}"`);
      } else this.vars[this.vars.length - 1].push(d);
    }
    return { decl, assign, cmds: r.cmds, pos: act.pos, text: act.text };
  }

  /** Parses commands separated by `|` until a `)` (when nested) or the end. */
  cmds(act: Action, toks: Tok[], from: number, nested: boolean): { cmds: Cmd[]; end: number } {
    const cmds: Cmd[] = [];
    let i = from;
    let args: Arg[] = [];
    const finish = () => {
      if (args.length === 0) this.fail(act.pos, "missing value for command");
      cmds.push({ args, pos: args[0].pos });
      args = [];
    };
    while (i < toks.length) {
      const t = toks[i];
      if (t.k === ")") {
        if (!nested) this.fail(act.pos, "unexpected right paren");
        break;
      }
      if (t.k === "|") {
        finish();
        i++;
        continue;
      }
      if (t.k === "(") {
        const inner = this.cmds(act, toks, i + 1, true);
        if (inner.end >= toks.length) this.fail(act.pos, "unclosed left paren");
        i = inner.end + 1;
        if (inner.cmds.length === 0) this.fail(act.pos, "missing value for parenthesized pipeline");
        let names: string[] = [];
        const nt = toks[i];
        if (nt && nt.k === "field" && !nt.sp) {
          names = nt.names;
          i++;
        }
        args.push({
          k: "pipe",
          pipe: { decl: [], assign: false, cmds: inner.cmds, pos: t.pos, text: act.text },
          names,
          pos: t.pos,
        });
        continue;
      }
      i++;
      switch (t.k) {
        case "field":
          args.push({ k: "field", names: t.names, pos: t.pos });
          break;
        case "dot":
          args.push({ k: "dot", pos: t.pos });
          break;
        case "var":
          if (!this.declared(t.name)) this.fail(t.pos, `undefined variable "${t.name}"`);
          args.push({ k: "var", name: t.name, names: t.names, pos: t.pos });
          break;
        case "str":
        case "num":
          args.push({ k: "lit", value: t.value, pos: t.pos });
          break;
        case "ident":
          if (t.name === "true" || t.name === "false") {
            args.push({ k: "lit", value: t.name === "true", pos: t.pos });
          } else if (t.name === "nil") {
            args.push({ k: "lit", value: null, pos: t.pos });
          } else if (
            [
              "end",
              "else",
              "if",
              "range",
              "with",
              "define",
              "template",
              "block",
              "break",
              "continue",
            ].includes(t.name)
          ) {
            this.fail(t.pos, `unexpected <${t.name}> in command`);
          } else {
            if (!(t.name in this.funcs)) this.fail(t.pos, `function "${t.name}" not defined`);
            args.push({ k: "fn", name: t.name, pos: t.pos });
          }
          break;
        default:
          this.fail(t.pos, `unexpected "${t.k}" in command`);
      }
    }
    if (args.length > 0 || cmds.length > 0) finish();
    for (const c of cmds.slice(1)) {
      const a = c.args[0];
      if (a.k === "lit") {
        this.fail(act.pos, `non executable command in pipeline stage ${cmds.indexOf(c) + 1}`);
      }
    }
    for (const c of cmds) {
      if (
        c.args.length > 1 && c.args[0].k !== "fn" &&
        !(c.args[0].k === "field" || c.args[0].k === "var")
      ) {
        this.fail(act.pos, `can't give argument to non-function ${this.argText(c.args[0])}`);
      }
    }
    return { cmds, end: i };
  }

  argText(a: Arg): string {
    switch (a.k) {
      case "lit":
        return typeof a.value === "string" ? JSON.stringify(a.value) : String(a.value);
      case "dot":
        return ".";
      case "field":
        return "." + a.names.join(".");
      case "var":
        return a.name + a.names.map((n) => "." + n).join("");
      case "fn":
        return a.name;
      default:
        return "(...)";
    }
  }
}

// ---------------------------------------------------------------------------
// Execution

class _Break {}
class _Continue {}

class _ExecError extends Error {
  constructor(readonly pos: number, readonly at: string, message: string) {
    super(message);
  }
}

interface State {
  out: string[];
  vars: [string, unknown][];
}

/** How a field missing from a struct-like object is treated (see {@linkcode Template.execute}). */
export interface MissingFieldOptions {
  /**
   * "zero" (the default): the field is nil, printed `<no value>`;
   * "struct": an error `can't evaluate field X in type TYPE` (docker's typed list contexts);
   * "map": an error `map has no entry for key "X"` (docker inspect's raw fallback).
   */
  missing?: "zero" | "struct" | "map";
  /** The Go type named by "struct" errors. */
  typeName?: string;
}

/**
 * Whether an object stands for a Go struct rather than a map: it has keys and
 * every key is an exported (capitalised) Go field name. Maps such as labels
 * have lower-case or dotted keys; a missing key in a map is nil, not an error.
 */
function _structLike(obj: Record<string, unknown>): boolean {
  const keys = Object.keys(obj);
  return keys.length > 0 && keys.every((k) => /^[A-Z][A-Za-z0-9]*$/.test(k));
}

/** A parsed template, ready to execute against any number of values. */
export class Template {
  #nodes: Node[];
  #src: string;
  #funcs: Record<string, TemplateFunc>;
  #missing: MissingFieldOptions = {};

  /** Use {@linkcode parseTemplate}. */
  constructor(src: string, nodes: Node[], funcs: Record<string, TemplateFunc>) {
    this.#src = src;
    this.#nodes = nodes;
    this.#funcs = funcs;
  }

  /**
   * Executes the template with `data` as dot; throws InvalidArgumentError
   * `template: :LINE:COL: executing "" at <...>: ...` on failure.
   * `funcs` overrides functions (format.ts uses Docker's header functions);
   * `missing` says whether a field absent from a struct-like object is an error.
   *
   * @example
   * ```ts
   * parseTemplate("{{.Name | upper}}").execute({ Name: "web" }); // "WEB"
   * ```
   */
  execute(
    data: unknown,
    funcs?: Record<string, TemplateFunc>,
    missing: MissingFieldOptions = {},
  ): string {
    const st: State = { out: [], vars: [["$", data]] };
    const saved = this.#funcs;
    if (funcs) this.#funcs = { ...saved, ...funcs };
    this.#missing = missing;
    try {
      this.#walk(st, data, this.#nodes);
    } catch (e) {
      if (e instanceof _ExecError) {
        const line = _lineOf(this.#src, e.pos);
        const col = e.pos - (this.#src.lastIndexOf("\n", e.pos - 1) + 1);
        throw new InvalidArgumentError(
          `template: :${line}:${col}: executing "" at <${e.at}>: ${e.message}`,
        );
      }
      throw e;
    } finally {
      this.#funcs = saved;
    }
    return st.out.join("");
  }

  #walk(st: State, dot: unknown, nodes: Node[]): void {
    for (const n of nodes) {
      switch (n.t) {
        case "text":
          st.out.push(n.text);
          break;
        case "action": {
          const v = this.#pipe(st, dot, n.pipe);
          if (n.pipe.decl.length === 0) st.out.push(goString(v));
          break;
        }
        case "if":
        case "with": {
          const mark = st.vars.length;
          const v = this.#pipe(st, dot, n.pipe);
          if (_truth(v)) this.#walk(st, n.t === "with" ? v : dot, n.list);
          else if (n.elseList) this.#walk(st, dot, n.elseList);
          st.vars.length = mark;
          break;
        }
        case "range":
          this.#range(st, dot, n);
          break;
        case "break":
          throw new _Break();
        case "continue":
          throw new _Continue();
      }
    }
  }

  #range(st: State, dot: unknown, n: ControlNode): void {
    const mark = st.vars.length;
    const decl = n.pipe.decl;
    const v = this.#pipe(st, dot, { ...n.pipe, decl: [] });
    let entries: [unknown, unknown][];
    if (v === undefined || v === null) entries = [];
    else if (Array.isArray(v)) entries = v.map((x, i) => [i, x]);
    else if (_isMap(v)) entries = _mapEntries(v);
    else if (typeof v === "number" && Number.isInteger(v)) {
      entries = Array.from({ length: Math.max(0, v) }, (_, i) => [i, i]);
    } else {
      const c = n.pipe.cmds[n.pipe.cmds.length - 1];
      throw new _ExecError(c.pos, this.#argText(c.args), `range can't iterate over ${goString(v)}`);
    }
    if (entries.length === 0) {
      if (n.elseList) this.#walk(st, dot, n.elseList);
      st.vars.length = mark;
      return;
    }
    for (const [k, x] of entries) {
      st.vars.length = mark;
      if (decl.length === 1) st.vars.push([decl[0], x]);
      if (decl.length === 2) st.vars.push([decl[0], k], [decl[1], x]);
      try {
        this.#walk(st, x, n.list);
      } catch (e) {
        if (e instanceof _Break) break;
        if (e instanceof _Continue) continue;
        throw e;
      }
    }
    st.vars.length = mark;
  }

  #lookup(st: State, name: string): unknown {
    for (let i = st.vars.length - 1; i >= 0; i--) if (st.vars[i][0] === name) return st.vars[i][1];
    return undefined;
  }

  #pipe(st: State, dot: unknown, p: Pipe): unknown {
    let v: unknown = undefined;
    let has = false;
    for (const c of p.cmds) {
      v = this.#cmd(st, dot, c, has, v);
      has = true;
    }
    if (p.decl.length > 0) {
      if (p.assign) {
        for (let i = st.vars.length - 1; i >= 0; i--) {
          if (st.vars[i][0] === p.decl[0]) {
            st.vars[i][1] = v;
            break;
          }
        }
      } else st.vars.push([p.decl[0], v]);
    }
    return v;
  }

  #cmd(st: State, dot: unknown, c: Cmd, hasFinal: boolean, final: unknown): unknown {
    const [head, ...rest] = c.args;
    const at = this.#argText(c.args);
    const fail = (msg: string): never => {
      throw new _ExecError(c.pos, at, msg);
    };
    if (head.k === "fn") {
      const args = rest.map((a) => this.#arg(st, dot, a, at));
      if (hasFinal) args.push(final);
      const [min, max] = ARITY[head.name] ?? [0, Infinity];
      if (args.length < min || args.length > max) {
        const want = min === max ? String(min) : `at least ${min}`;
        fail(`wrong number of args for ${head.name}: want ${want} got ${args.length}`);
      }
      try {
        return this.#funcs[head.name](...args);
      } catch (e) {
        if (e instanceof _ExecError || e instanceof InvalidArgumentError) throw e;
        return fail(`error calling ${head.name}: ${(e as Error).message}`);
      }
    }
    if (rest.length > 0 || hasFinal) {
      // A method call with arguments (`.Label "app"`): the last name is looked up on its
      // receiver without being called, then called with the arguments.
      const args = () => [
        ...rest.map((a) => this.#arg(st, dot, a, at)),
        ...(hasFinal ? [final] : []),
      ];
      if ((head.k === "field" || head.k === "var" || head.k === "pipe") && head.names.length > 0) {
        const names = head.names.slice(0, -1), method = head.names[head.names.length - 1];
        const recv = this.#arg(st, dot, { ...head, names } as Arg, at);
        const m = recv !== null && (typeof recv === "object" || typeof recv === "function")
          ? (recv as Record<string, unknown>)[method]
          : undefined;
        if (typeof m === "function") return m.call(recv, ...args());
      } else {
        const v = this.#arg(st, dot, head, at);
        if (typeof v === "function") return v(...args());
      }
      fail(`can't give argument to non-function ${this.#argText([head])}`);
    }
    return this.#arg(st, dot, head, at);
  }

  #arg(st: State, dot: unknown, a: Arg, at: string): unknown {
    switch (a.k) {
      case "lit":
        return a.value;
      case "dot":
        return dot;
      case "field":
        return this.#fields(dot, a.names, a.pos, at);
      case "var":
        return this.#fields(this.#lookup(st, a.name), a.names, a.pos, at);
      case "pipe":
        return this.#fields(this.#pipe(st, dot, a.pipe), a.names, a.pos, at);
      case "fn": {
        // A function used as a value (niladic call), as Go does.
        return this.#cmd(st, dot, { args: [a], pos: a.pos }, false, undefined);
      }
    }
  }

  #fields(v: unknown, names: string[], pos: number, at: string): unknown {
    let cur = v;
    for (const name of names) {
      if (cur === undefined || cur === null) return undefined;
      if (cur instanceof Map) cur = cur.get(name);
      else if (typeof cur === "object" || typeof cur === "function") {
        const obj = cur as Record<string, unknown>;
        if (!(name in obj)) this.#missingField(obj, name, pos, at);
        cur = name in obj ? obj[name] : undefined;
        if (typeof cur === "function") cur = (cur as () => unknown).call(obj);
      } else {
        throw new _ExecError(pos, at, `can't evaluate field ${name} in type ${_goType(cur)}`);
      }
    }
    return cur;
  }

  #missingField(obj: Record<string, unknown>, name: string, pos: number, at: string): void {
    const mode = this.#missing.missing ?? "zero";
    if (mode === "zero" || typeof obj === "function" || !_structLike(obj)) return;
    throw new _ExecError(
      pos,
      at,
      mode === "map"
        ? `map has no entry for key "${name}"`
        : `can't evaluate field ${name} in type ${this.#missing.typeName ?? "interface {}"}`,
    );
  }

  #argText(args: Arg[]): string {
    const p = new _Parser("", [], {});
    return args.map((a) => p.argText(a)).join(" ");
  }
}

/**
 * Parses a Go template. Throws InvalidArgumentError `template: :LINE: ...`
 * (Go's wording) on a syntax error or an unknown function.
 *
 * @example
 * ```ts
 * const t = parseTemplate('{{range $k, $v := .Labels}}{{$k}}={{$v}} {{end}}');
 * t.execute({ Labels: { b: "2", a: "1" } }); // "a=1 b=2 "
 * ```
 */
export function parseTemplate(src: string, funcs: Record<string, TemplateFunc> = {}): Template {
  const all = { ...FUNCS, ...funcs };
  try {
    const items = _lex(src);
    const p = new _Parser(src, items, all);
    const r = p.list();
    if (r.kw) p.fail(r.term!.pos, `unexpected {{${r.kw}}}`);
    return new Template(src, r.nodes, all);
  } catch (e) {
    if (e instanceof _ParseError) throw new InvalidArgumentError(`template: :${e.message}`);
    throw e;
  }
}

/**
 * Parses and executes in one step.
 *
 * @example
 * ```ts
 * renderTemplate('{{index .Labels "com.example"}}', { Labels: { "com.example": "x" } }); // "x"
 * ```
 */
export function renderTemplate(src: string, data: unknown): string {
  return parseTemplate(src).execute(data);
}

/** Docker's table-header functions, for {@linkcode Template.execute}. */
export const headerFunctions: Readonly<Record<string, TemplateFunc>> = HEADER_FUNCS;
