/**
 * Output for list and inspect commands, following docker/cli's formatter:
 * the default table, `--format table ...`, `--format json`, Go templates,
 * `-q`, and `inspect`'s JSON array. Deno APIs only.
 *
 * @module
 */

import { InvalidArgumentError } from "../errors.ts";
import { goJson, headerFunctions, parseTemplate, type Template } from "./template.ts";

/** One field a list command offers to templates, with its table header. */
export interface Column<T> {
  /** Template field name, as docker names it: "ID", "Names", "CreatedSince". */
  field: string;
  /** Table header, as docker prints it: "CONTAINER ID", "NAMES", "CREATED". */
  header: string;
  /** Computes the value; without it the item's own property `field` is used. */
  value?: (item: T) => unknown;
}

/** Options for {@linkcode renderList}. */
export interface ListOptions<T> {
  /** The user's `--format`: "", "table", "table TEMPLATE", "json" or a template. */
  format?: string;
  /** `-q`: print only `quietFormat` unless a non-table format was given. */
  quiet?: boolean;
  /** Every field the command offers; its headers are the command's header map. */
  columns: Column<T>[];
  /** The command's default table, e.g. "table {{.ID}}\t{{.Image}}\t{{.Names}}". */
  defaultTable: string;
  /** Format for `-q`; docker uses "{{.ID}}". */
  quietFormat?: string;
  /** Methods that take arguments (`{{.Label "app"}}`), with their table headers. */
  methods?: Method<T>[];
  /**
   * docker/cli's Go type of one row, named when a template asks for a field the
   * row lacks (`can't evaluate field X in type *formatter.ContainerContext`).
   */
  contextType?: string;
}

/** A template method of each item, called with the template's arguments. */
export interface Method<T> {
  /** Name in templates: "Label". */
  name: string;
  /** Table header: "LABEL". */
  header: string;
  /** The value for an item and the arguments. */
  call: (item: T, ...args: unknown[]) => unknown;
}

/**
 * Display width of a string as docker's tabwriter counts it (go-runewidth):
 * East Asian wide characters count 2, combining marks 0.
 */
function _width(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x300) {
      w += 1;
    } else if (/[\p{Mn}\p{Me}\u200b-\u200f]/u.test(ch)) {
      continue;
    } else if (
      (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf && c !== 0x303f) ||
      (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
      (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
      (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f) ||
      (c >= 0x1f900 && c <= 0x1f9ff) || (c >= 0x20000 && c <= 0x3fffd)
    ) {
      w += 2;
    } else {
      w += 1;
    }
  }
  return w;
}

/**
 * Aligns tab-terminated cells into columns with Go's elastic tabstops
 * algorithm (text/tabwriter, as forked by docker/cli), padding with spaces.
 * Docker's tables use minwidth 10 and padding 3; text after a line's last tab
 * is not part of a column.
 *
 * @example
 * ```ts
 * tabwrite("NAME\tSIZE\nalpine\t7MB\n");
 * // "NAME       SIZE\nalpine     7MB\n"
 * ```
 */
export function tabwrite(text: string, minwidth = 10, padding = 3): string {
  const lines = text.split("\n").map((l) => l.split("\t"));
  const out: string[] = [];
  const widths: number[] = [];
  const writeLines = (line0: number, line1: number) => {
    for (let i = line0; i < line1; i++) {
      const line = lines[i];
      line.forEach((cell, j) => {
        out.push(cell);
        if (j < widths.length) out.push(" ".repeat(Math.max(0, widths[j] - _width(cell))));
      });
      if (i + 1 < lines.length) out.push("\n");
    }
  };
  const format = (line0: number, line1: number) => {
    const column = widths.length;
    for (let cur = line0; cur < line1; cur++) {
      if (column >= lines[cur].length - 1) continue;
      // A cell exists in this column: print what came before the block.
      writeLines(line0, cur);
      line0 = cur;
      let width = minwidth;
      for (; cur < line1; cur++) {
        const line = lines[cur];
        if (column >= line.length - 1) break;
        width = Math.max(width, _width(line[column]) + padding);
      }
      widths.push(width);
      format(line0, cur);
      widths.pop();
      line0 = cur;
    }
    writeLines(line0, line1);
  };
  format(0, lines.length);
  return out.join("");
}

/** A list's template error: exit 1, as Docker's list commands give it. */
function _templateError(e: unknown): InvalidArgumentError {
  const err = new InvalidArgumentError(`template parsing error: ${(e as Error).message}`);
  err.exitCode = 1;
  return err;
}

function _parse(format: string): Template {
  try {
    return parseTemplate(format);
  } catch (e) {
    throw _templateError(e);
  }
}

function _exec(
  t: Template,
  data: unknown,
  funcs: typeof headerFunctions | undefined,
  typeName: string,
): string {
  try {
    return t.execute(data, funcs, { missing: "struct", typeName });
  } catch (e) {
    throw _templateError(e);
  }
}

/**
 * The template context for one item: every column's value under its field
 * name, keys sorted as docker's `{{json .}}` prints them.
 */
function _context<T>(item: T, columns: Column<T>[], methods: Method<T>[]): Record<string, unknown> {
  const ctx: Record<string, unknown> = {};
  const sorted = [...columns].sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : 0));
  for (const c of sorted) {
    // Go structs always have every field: absent values encode as null.
    ctx[c.field] = (c.value ? c.value(item) : (item as Record<string, unknown>)[c.field]) ?? null;
  }
  _addMethods(ctx, methods, (m) => (...args: unknown[]) => m.call(item, ...args));
  return ctx;
}

/** Methods are not enumerable: templates call them, `{{json .}}` leaves them out as Go does. */
function _addMethods<T>(
  ctx: Record<string, unknown>,
  methods: Method<T>[],
  fn: (m: Method<T>) => (...args: unknown[]) => unknown,
): void {
  for (const m of methods) Object.defineProperty(ctx, m.name, { value: fn(m), enumerable: false });
}

/**
 * Renders a list command's output (`ps`, `images`, `volume ls`...) as
 * docker/cli does:
 * - no `--format` (or "table"): the default table, or `quietFormat` with `-q`;
 * - "json": one compact `{{json .}}` object per line (keys sorted, no HTML escaping);
 * - "table TEMPLATE": a header row (fields mapped to the columns' headers,
 *   formatting functions left out) and one row per item, aligned by tabwriter;
 * - any other TEMPLATE: one line per item, no header.
 * Literal `\t` and `\n` in the format become tab and newline, as docker does.
 * Template errors throw InvalidArgumentError "template parsing error: template: ...".
 *
 * @example
 * ```ts
 * renderList([{ ID: "0123456789ab", Names: "web" }], {
 *   format: "table {{.ID}}\\t{{.Names}}",
 *   columns: [{ field: "ID", header: "CONTAINER ID" }, { field: "Names", header: "NAMES" }],
 *   defaultTable: "table {{.ID}}\\t{{.Names}}",
 * });
 * // "CONTAINER ID   NAMES\n0123456789ab   web\n"
 * ```
 */
export function renderList<T>(items: T[], opts: ListOptions<T>): string {
  let source = opts.format ?? "";
  if (source === "" || source === "table") {
    source = opts.quiet ? (opts.quietFormat ?? "{{.ID}}") : opts.defaultTable;
  } else if (opts.quiet && source.startsWith("table")) {
    source = opts.quietFormat ?? "{{.ID}}";
  }
  const isTable = source.startsWith("table");
  let fmt = isTable ? source.slice("table".length) : source === "json" ? "{{json .}}" : source;
  fmt = fmt.replace(/^ +| +$/g, "").replace(/\\t|\\n/g, (m) => (m === "\\t" ? "\t" : "\n"));
  const tmpl = _parse(fmt);
  let body = "";
  const methods = opts.methods ?? [];
  const typeName = opts.contextType ?? "*formatter.Context";
  for (const item of items) {
    body += _exec(tmpl, _context(item, opts.columns, methods), undefined, typeName) + "\n";
  }
  if (!isTable) return body;
  const header: Record<string, unknown> = {};
  for (const c of opts.columns) header[c.field] = c.header;
  _addMethods(header, methods, (m) => () => m.header);
  const head = _exec(tmpl, header, headerFunctions, typeName);
  return tabwrite(head + "\n" + body);
}

/**
 * Fields docker's inspect types have but leave out of their JSON when empty
 * (`json:",omitempty"`), by the object that holds them ("" is the top level).
 * A template naming one of them is not an error: docker's typed execution
 * finds the field and prints its zero value.
 */
const OMITTED_WHEN_EMPTY: Readonly<Record<string, readonly string[]>> = {
  "": ["Node", "SizeRw", "SizeRootFs"],
  State: ["Health"],
  Config: [
    "ExposedPorts",
    "Healthcheck",
    "ArgsEscaped",
    "NetworkDisabled",
    "MacAddress",
    "StopSignal",
    "StopTimeout",
    "Shell",
  ],
};

/** Adds the omitted fields an object lacks as hidden nils (left out of `{{json .}}`). */
function _withOmittedFields(o: unknown): unknown {
  if (o === null || typeof o !== "object" || Array.isArray(o)) return o;
  const top = o as Record<string, unknown>;
  for (const [holder, fields] of Object.entries(OMITTED_WHEN_EMPTY)) {
    const target = holder === "" ? top : top[holder];
    if (target === null || typeof target !== "object" || Array.isArray(target)) continue;
    for (const f of fields) {
      if (!(f in target)) Object.defineProperty(target, f, { value: null, enumerable: false });
    }
  }
  return o;
}

/**
 * Renders `inspect` output as docker/cli does: without a format, a JSON array
 * indented with four spaces (HTML characters escaped, as the daemon encodes
 * them; "[]" when empty); with "json", the same array compact on one line;
 * with a template, one executed line per object (the template is not
 * unescaped: `\t` stays literal, as in docker). Always ends with a newline.
 * A template that does not parse throws InvalidArgumentError with exit code 64;
 * one naming a field the object lacks fails with exit code 1 (`map has no entry
 * for key "X"`), as docker's raw-JSON fallback does.
 *
 * @example
 * ```ts
 * renderInspect([{ Id: "abc", Name: "/web" }], "{{.Name}}"); // "/web\n"
 * renderInspect([]); // "[]\n"
 * ```
 */
export function renderInspect(objects: unknown[], format?: string): string {
  if (!format) {
    if (objects.length === 0) return "[]\n";
    return goJson(objects, { escapeHTML: true, indent: "    " }) + "\n";
  }
  if (format === "json") return goJson(objects, { escapeHTML: true }) + "\n";
  let tmpl: Template;
  try {
    tmpl = parseTemplate(format);
  } catch (e) {
    const err = new InvalidArgumentError(`template parsing error: ${(e as Error).message}`);
    err.exitCode = 64;
    throw err;
  }
  let out = "";
  for (const o of objects) {
    try {
      out += tmpl.execute(_withOmittedFields(o), undefined, { missing: "map" }) + "\n";
    } catch (e) {
      const err = new InvalidArgumentError(`template parsing error: ${(e as Error).message}`);
      err.exitCode = 1;
      throw err;
    }
  }
  return out === "" ? "\n" : out;
}
