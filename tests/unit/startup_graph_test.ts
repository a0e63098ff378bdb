/**
 * The start-up budget: the hot, read-only commands must not load any npm
 * package (zod, tar-stream), which would start Deno's Node compatibility layer
 * and cost tens of milliseconds. Checked on the module graph Deno builds.
 */
import { assertEquals } from "../helpers/assert.ts";

const hot = ["images", "ps", "version", "inspect", "logs", "start", "stop", "rm"];

async function graphModules(entry: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout));
  return (info.modules as { specifier: string }[]).map((m) => m.specifier);
}

for (const command of hot) {
  Deno.test(`skiff ${command} loads no npm package`, async () => {
    const entry = new URL(`../../src/commands/${command}.ts`, import.meta.url).pathname;
    const npm = (await graphModules(entry)).filter((s) => s.startsWith("npm:"));
    assertEquals(npm, []);
  });
}

Deno.test("main.ts loads no command module before dispatch", async () => {
  const modules = await graphModules(new URL("../../main.ts", import.meta.url).pathname);
  assertEquals(
    modules.filter((s) => s.includes("/src/commands/") && !s.endsWith("/version.ts")),
    [],
  );
});
