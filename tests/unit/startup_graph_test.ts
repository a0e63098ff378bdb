/**
 * The start-up budget: the hot, read-only commands must not load any npm
 * package (zod, tar-stream), which would start Deno's Node compatibility layer
 * and cost tens of milliseconds. Checked on the module graph Deno builds.
 * Deno also loads, at start-up, the whole graph of every dynamic import whose
 * specifier is a string literal (it is lazy only in when it runs), so a module
 * loaded on first use is imported through a computed specifier.
 */
import { assertEquals } from "../helpers/assert.ts";

const hot = ["images", "ps", "version", "inspect", "logs", "start", "stop", "rm"];

interface GraphInfo {
  modules: { specifier: string; dependencies?: { code?: { specifier: string } }[] }[];
  redirects: Record<string, string>;
}

async function graphInfo(entry: string): Promise<GraphInfo> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** Every module of the graph, type-only imports included. */
async function graphModules(entry: string): Promise<string[]> {
  return (await graphInfo(entry)).modules.map((m) => m.specifier);
}

/** The modules Deno loads when `entry` is imported: code imports, static and literal dynamic. */
async function loadedModules(entry: string): Promise<string[]> {
  const info = await graphInfo(entry);
  const deps = new Map(info.modules.map((m) => [m.specifier, m.dependencies ?? []]));
  const seen = new Set<string>();
  const todo = [new URL(`file://${entry}`).href];
  while (todo.length) {
    const spec = todo.pop()!;
    const s = info.redirects[spec] ?? spec;
    if (seen.has(s)) continue;
    seen.add(s);
    for (const d of deps.get(s) ?? []) if (d.code) todo.push(d.code.specifier);
  }
  return [...seen];
}

for (const command of hot) {
  Deno.test(`skiff ${command} loads no npm package`, async () => {
    const entry = new URL(`../../src/commands/${command}.ts`, import.meta.url).pathname;
    const npm = (await graphModules(entry)).filter((s) => s.startsWith("npm:"));
    assertEquals(npm, []);
  });
}

// Commands whose hot path is a local image or a running container: the registry client (zod)
// is loaded only when an image must be pulled.
for (const command of ["run", "create", "exec"]) {
  Deno.test(`skiff ${command} loads no npm package at start-up`, async () => {
    const entry = new URL(`../../src/commands/${command}.ts`, import.meta.url).pathname;
    const npm = (await loadedModules(entry)).filter((s) => s.startsWith("npm:"));
    assertEquals(npm, []);
  });
}

Deno.test("no module imports one of skiff's own modules through a literal dynamic import", async () => {
  const literal = /(?<!typeof )import\(\s*["']\.{1,2}\//;
  const found: string[] = [];
  const walk = async (dir: URL): Promise<void> => {
    for await (const e of Deno.readDir(dir)) {
      const url = new URL(e.name + (e.isDirectory ? "/" : ""), dir);
      if (e.isDirectory) await walk(url);
      else if (e.name.endsWith(".ts")) {
        const lines = (await Deno.readTextFile(url)).split("\n");
        lines.forEach((l, i) => {
          if (literal.test(l)) found.push(`${url.pathname.replace(/.*\/src\//, "src/")}:${i + 1}`);
        });
      }
    }
  };
  await walk(new URL("../../src/", import.meta.url));
  assertEquals(found, []);
});

Deno.test("main.ts loads no command module before dispatch", async () => {
  const modules = await graphModules(new URL("../../main.ts", import.meta.url).pathname);
  assertEquals(
    modules.filter((s) => s.includes("/src/commands/") && !s.endsWith("/version.ts")),
    [],
  );
});
