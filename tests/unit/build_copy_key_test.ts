/**
 * The cache key of COPY/ADD steps: content and metadata, never times nor
 * where the context lives; any byte, mode, name, flag or heredoc changed
 * changes it; for --from roots, what is selected there.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { copyCacheKey } from "../../src/build/copy/mod.ts";
import { fixture, instruction, writeTree } from "../helpers/copy_fixture.ts";

const FILES = {
  "app/main.ts": "main",
  "app/lib/util.ts": "util",
  "app/link": "->main.ts",
  "other": "o",
};

async function keyOf(
  line: string,
  files: Record<string, string> = FILES,
  prepare?: (ctxDir: string) => Promise<void>,
  workdir = "/",
): Promise<string> {
  const f = await fixture(files, (d) => prepare?.(d.ctxDir) ?? Promise.resolve());
  try {
    return await copyCacheKey({
      instruction: instruction(line),
      origin: { kind: "context", context: f.ctx },
      workdir,
    });
  } finally {
    await f.cleanup();
  }
}

Deno.test("the key of a COPY is stable across directories and mtimes", async () => {
  const a = await keyOf("COPY app /srv/");
  assert(/^sha256:[0-9a-f]{64}$/.test(a), a);
  assertEquals(await keyOf("COPY app /srv/"), a); // another temp directory
  assertEquals(
    await keyOf("COPY app /srv/", FILES, async (d) => {
      await Deno.utime(`${d}/app/main.ts`, 12345, 12345);
      await Deno.utime(`${d}/app/lib`, 999, 999);
    }),
    a,
  );
  // a file the step does not select changes nothing
  assertEquals(await keyOf("COPY app /srv/", { ...FILES, other: "changed" }), a);
});

Deno.test("the key changes with one byte, a mode, a name, a link target or a flag", async () => {
  const a = await keyOf("COPY app /srv/");
  const changed = [
    await keyOf("COPY app /srv/", { ...FILES, "app/lib/util.ts": "utiL" }),
    await keyOf("COPY app /srv/", FILES, (d) => Deno.chmod(`${d}/app/main.ts`, 0o755)),
    await keyOf("COPY app /srv/", FILES, (d) => Deno.chmod(`${d}/app/lib`, 0o700)),
    await keyOf("COPY app /srv/", { ...FILES, "app/link": "->lib" }),
    await keyOf("COPY app /srv/", FILES, (d) => writeTree(d, { "app/new": "" })),
    await keyOf(
      "COPY app /srv/",
      FILES,
      (d) => Deno.rename(`${d}/app/main.ts`, `${d}/app/Main.ts`),
    ),
    await keyOf("COPY app /srv2/"),
    await keyOf("COPY app srv/", FILES, undefined, "/w"),
    await keyOf("COPY --chown=1:1 app /srv/"),
    await keyOf("COPY --chmod=700 app /srv/"),
    await keyOf("COPY --link app /srv/"),
    await keyOf("COPY --exclude=*.md app /srv/"),
    await keyOf("COPY --parents app /srv/"),
    await keyOf("ADD app /srv/"),
  ];
  for (const [i, k] of changed.entries()) assert(k !== a, `change ${i} kept the key`);
  assertEquals(new Set(changed).size, changed.length);
  // an exclude that removes a selected file changes it; the same exclude, the same key
  const ex = await keyOf("COPY --exclude=lib app /srv/");
  assert(ex !== a);
  assertEquals(
    await keyOf("COPY --exclude=lib app /srv/", { ...FILES, "app/lib/util.ts": "x" }),
    ex,
  );
});

Deno.test("the key covers heredoc bodies", async () => {
  const a = await keyOf("COPY <<EOF /x\none\nEOF");
  assertEquals(await keyOf("COPY <<EOF /x\none\nEOF"), a);
  assert(await keyOf("COPY <<EOF /x\ntwo\nEOF") !== a);
  assert(await keyOf("COPY <<EOF /y\none\nEOF") !== a);
});

Deno.test("the key of COPY --from hashes what is selected in that root, owners included", async () => {
  const top = await Deno.makeTempDir({ prefix: "skiff-bcopy-key-" });
  try {
    const root = `${top}/r`;
    await writeTree(root, { "opt/a": "A", "opt/b": "B", "etc/x": "X" });
    const key = () =>
      copyCacheKey({
        instruction: instruction("COPY opt /opt"),
        origin: { kind: "root", root },
        workdir: "/",
      });
    const a = await key();
    await Deno.utime(`${root}/opt/a`, 5, 5);
    await Deno.writeTextFile(`${root}/etc/x`, "Y");
    assertEquals(await key(), a);
    await Deno.chown(`${root}/opt/b`, 12, 12);
    const owned = await key();
    assert(owned !== a);
    await Deno.writeTextFile(`${root}/opt/b`, "C");
    assert(await key() !== owned);
  } finally {
    await Deno.remove(top, { recursive: true });
  }
});
