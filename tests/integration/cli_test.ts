/** The command line as a whole: global flags, help, version, completions, exit codes. */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { skiff, tempStore } from "../helpers/skiff.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

Deno.test("global flags, help and version", opts, async () => {
  const store = await tempStore();
  try {
    const bad = await skiff(["--log-level", "loud", "images"], store);
    assertEquals(bad.code, 125);
    assertEquals(bad.stderr.trim().split("\n").length, 1);
    assertStringIncludes(bad.stderr, "unable to parse logging level: loud");

    const debug = await skiff(["--log-level", "debug", "pull", "Not/Valid"], store);
    assertEquals(debug.code, 1);
    const lines = debug.stderr.trim().split("\n");
    assert(lines.length > 1, "debug shows the stack");
    assertStringIncludes(lines[lines.length - 1], "Error: invalid reference format");

    const quiet = await skiff(["-l", "error", "images", "-q"], store);
    assertEquals(quiet.code, 0, quiet.stderr);

    const info = await skiff(["info", "--format", "{{json .}}"], store);
    assertEquals(info.code, 0, info.stderr);
    const facts = JSON.parse(info.stdout);
    assertEquals([facts.Containers, facts.ContainersRunning, facts.Images], [0, 0, 0]);
    assertEquals(facts.DockerRootDir, store.root);

    const help = await skiff(["--help"], store);
    assertEquals(help.code, 0);
    for (const word of ["run", "ps", "pull", "image", "container", "volume"]) {
      assertStringIncludes(help.stdout, `  ${word} `);
    }
    const runHelp = await skiff(["run", "--help"], store);
    assertStringIncludes(runHelp.stdout, "--memory-swap");
    const version = await skiff(["--version"], store);
    assertStringIncludes(version.stdout, "skiff version ");
    const unknown = await skiff(["frobnicate"], store);
    assertEquals(unknown.code, 125);
    assertEquals(unknown.stderr.trim(), 'Error: unknown command "frobnicate" for "skiff"');
    for (const shell of ["bash", "zsh", "fish"]) {
      const c = await skiff(["completion", shell], store);
      assertEquals(c.code, 0, c.stderr);
      assertStringIncludes(c.stdout, "skiff");
    }
    const bash = await skiff(["completion", "bash"], store);
    const syntax = await new Deno.Command("bash", { args: ["-n"], stdin: "piped" }).spawn();
    const w = syntax.stdin.getWriter();
    await w.write(new TextEncoder().encode(bash.stdout));
    await w.close();
    assertEquals((await syntax.status).success, true);
  } finally {
    await store.cleanup();
  }
});

Deno.test("an unreachable registry is named with the reason in one line", opts, async () => {
  const store = await tempStore();
  try {
    const r = await skiff(["pull", "registry.invalid/some/image"], store);
    assertEquals(r.code, 1);
    const lines = r.stderr.trim().split("\n");
    assertEquals(lines.length, 1, r.stderr);
    assertStringIncludes(lines[0], "cannot reach registry registry.invalid");
    assertEquals(lines[0].endsWith("fetch failed"), false, lines[0]);
  } finally {
    await store.cleanup();
  }
});
