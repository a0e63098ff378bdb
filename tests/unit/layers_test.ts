/**
 * The layer rule of docs/ARCHITECTURE.md, checked on the source's imports (static, type-only,
 * re-exports and literal dynamic imports): commands -> engine -> runtime / image / network /
 * build -> store -> sys, with src/cli beside the commands and the shared leaf modules
 * (errors, units, compare, version) at the bottom. No module imports from a higher layer and
 * no import cycle exists, however long. The C side is held to the same: its modules (a .c file
 * and its .h, in ffi/src and ffi/include) include each other without a cycle; which file may
 * call which is checked on the built objects by ffi/tests/layers.sh (make -C ffi test).
 */
import { assert, assertEquals } from "../helpers/assert.ts";

const src = new URL("../../src/", import.meta.url).pathname;
const ffi = new URL("../../ffi/", import.meta.url).pathname;

/** Rank of each area: a module may import only from its own rank or below. */
const RANKS: Record<string, number> = {
  commands: 6,
  cli: 5,
  engine: 4,
  runtime: 3,
  image: 3,
  network: 3,
  build: 3,
  store: 2,
  sys: 1,
  "": 0, // src/*.ts: errors, units, compare, version
};

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}${e.name}`;
    if (e.isDirectory) out.push(...await sourceFiles(`${path}/`));
    else if (e.name.endsWith(".ts")) out.push(path);
  }
  return out.sort();
}

/** Relative specifiers a module imports, from its import, export-from and import() forms. */
function importsOf(text: string): string[] {
  const specs: string[] = [];
  const statement = /(?:^|\n)[ \t]*(?:import|export)\b[^;"'`]*?(?:from[ \t\n]*)?"([^"]+)"/g;
  for (const m of text.matchAll(statement)) specs.push(m[1]);
  for (const m of text.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g)) specs.push(m[1]);
  return specs.filter((s) => s.startsWith("."));
}

function area(file: string): string {
  const rel = file.slice(src.length);
  return rel.includes("/") ? rel.slice(0, rel.indexOf("/")) : "";
}

async function importGraph(): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for (const file of await sourceFiles(src)) {
    const text = await Deno.readTextFile(file);
    const deps = importsOf(text).map((s) => new URL(s, `file://${file}`).pathname);
    graph.set(file, [...new Set(deps)]);
  }
  return graph;
}

/**
 * Strongly connected components with more than one module, or a module importing itself;
 * names are given relative to `root`.
 */
function cycles(graph: Map<string, string[]>, root = src): string[][] {
  let next = 0;
  const index = new Map<string, number>(), low = new Map<string, number>();
  const stack: string[] = [], onStack = new Set<string>(), found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w.slice(root.length));
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

Deno.test("the import parser sees every form of import", () => {
  const text = [
    'import { a } from "./a.ts";',
    'import type { B } from "../b.ts";',
    "import {\n  c,\n  d,\n} from './ignored-single-quotes.ts';",
    'import {\n  e,\n} from "./e.ts";',
    'export { f } from "./f.ts";',
    'export * from "./g.ts";',
    'import "./h.ts";',
    'const m = await import("./i.ts");',
    ' * import { doc } from "./example-in-a-comment.ts";',
    'import { z } from "zod";',
  ].join("\n");
  assertEquals(importsOf(text), [
    "./a.ts",
    "../b.ts",
    "./e.ts",
    "./f.ts",
    "./g.ts",
    "./h.ts",
    "./i.ts",
  ]);
});

Deno.test("no module imports from a higher layer", async () => {
  const upward: string[] = [];
  for (const [file, deps] of await importGraph()) {
    const from = area(file);
    for (const dep of deps) {
      const to = area(dep);
      if (!(from in RANKS) || !(to in RANKS)) {
        upward.push(`${file.slice(src.length)}: unknown area of ${dep}`);
      } else if (RANKS[to] > RANKS[from]) {
        upward.push(`${file.slice(src.length)} -> ${dep.slice(src.length)}`);
      }
    }
  }
  assertEquals(upward, []);
});

Deno.test("no import cycles", async () => {
  assertEquals(cycles(await importGraph()), []);
});

/** The headers a C file includes with quotes (its own project's), not `<system>` ones. */
function includesOf(text: string): string[] {
  return [...text.matchAll(/^[ \t]*#[ \t]*include[ \t]+"([^"]+)"/gm)].map((m) => m[1]);
}

/**
 * The C modules of ffi/src and ffi/include ("src/unpack_fs" for unpack_fs.c and unpack_fs.h)
 * and the modules each includes a header of, besides its own.
 */
async function cIncludeGraph(): Promise<Map<string, string[]>> {
  const files: string[] = [];
  for (const dir of ["src", "include"]) {
    for await (const e of Deno.readDir(`${ffi}${dir}`)) {
      if (e.isFile && /\.[ch]$/.test(e.name)) files.push(`${dir}/${e.name}`);
    }
  }
  const moduleOf = new Map(files.map((f) => [f.replace(/^.*\//, ""), f.replace(/\.[ch]$/, "")]));
  const graph = new Map<string, string[]>();
  for (const file of files.sort()) {
    const mod = `${ffi}${file.replace(/\.[ch]$/, "")}`;
    const deps = includesOf(await Deno.readTextFile(`${ffi}${file}`))
      .map((h) => moduleOf.get(h.replace(/^.*\//, "")))
      .filter((m): m is string => m !== undefined)
      .map((m) => `${ffi}${m}`)
      .filter((m) => m !== mod);
    graph.set(mod, [...new Set([...(graph.get(mod) ?? []), ...deps])]);
  }
  return graph;
}

Deno.test("the C include parser sees quoted includes only", () => {
  const text = [
    '#include "unpack_base.h"',
    "#include <stdio.h>",
    '#  include "spaced.h"',
    '/* #include "in-a-comment-at-line-start-is-not-matched.h" */',
    '#include "../include/skiff.h"',
  ].join("\n");
  assertEquals(includesOf(text), ["unpack_base.h", "spaced.h", "../include/skiff.h"]);
});

Deno.test("C modules include each other without a cycle", async () => {
  const graph = await cIncludeGraph();
  // The graph is really read: the tar parser includes the file-system part's header.
  assert((graph.get(`${ffi}src/unpack`) ?? []).includes(`${ffi}src/unpack_fs`));
  assertEquals(cycles(graph, ffi), []);
});

Deno.test("the cycle finder finds a long cycle and a self-import", () => {
  const g = new Map([
    [`${src}a.ts`, [`${src}b.ts`]],
    [`${src}b.ts`, [`${src}c.ts`]],
    [`${src}c.ts`, [`${src}a.ts`]],
    [`${src}d.ts`, [`${src}d.ts`]],
    [`${src}e.ts`, [`${src}a.ts`]],
  ]);
  assertEquals(cycles(g), [["a.ts", "b.ts", "c.ts"], ["d.ts"]]);
});
