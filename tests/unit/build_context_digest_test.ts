/**
 * The content digest of the sources a COPY selects (the layer cache key's share of the
 * context): stable across walks and modification times, changed by one byte of one selected
 * file, by a mode, a name, or the owner the build sets, and not by files it does not select.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { openContext } from "../../src/build/context/context.ts";
import { type CopyAttributes, digestSources } from "../../src/build/context/digest.ts";
import { resolveSources } from "../../src/build/context/sources.ts";
import { buildTar } from "../fixtures/tar/build.ts";

async function makeContext(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "skiff-bctx-digest-" });
  const files: Record<string, string> = {
    "Dockerfile": "FROM scratch\nCOPY src /app/\n",
    ".dockerignore": "src/*.log\n",
    "src/main.ts": "console.log(1);\n",
    "src/lib/util.ts": "export const x = 1;\n",
    "src/debug.log": "noise",
    "README.md": "readme",
  };
  for (const [path, body] of Object.entries(files)) {
    await Deno.mkdir(`${dir}/${path}`.replace(/\/[^/]*$/, ""), { recursive: true });
    await Deno.writeTextFile(`${dir}/${path}`, body);
  }
  await Deno.symlink("main.ts", `${dir}/src/entry.ts`);
  return dir;
}

async function digestOf(dir: string, src = "src", attrs: CopyAttributes = {}): Promise<string> {
  const c = await openContext({ dir });
  try {
    return await digestSources(c, resolveSources(c.tree, src), attrs);
  } finally {
    await c.close();
  }
}

Deno.test("the digest of COPY sources changes with what is copied, and only with that", async () => {
  const dir = await makeContext();
  try {
    const base = await digestOf(dir);
    assert(/^sha256:[0-9a-f]{64}$/.test(base), base);
    assertEquals(await digestOf(dir), base, "deterministic");

    // modification times and unselected or ignored files do not count
    await Deno.utime(`${dir}/src/main.ts`, 1, 1);
    await Deno.writeTextFile(`${dir}/README.md`, "changed");
    await Deno.writeTextFile(`${dir}/src/debug.log`, "more noise");
    await Deno.writeTextFile(`${dir}/src/new.log`, "ignored");
    assertEquals(await digestOf(dir), base, "unchanged by mtime, unselected and ignored files");

    // one byte of one selected file
    await Deno.writeTextFile(`${dir}/src/lib/util.ts`, "export const x = 2;\n");
    const oneByte = await digestOf(dir);
    assert(oneByte !== base, "one byte changes it");
    await Deno.writeTextFile(`${dir}/src/lib/util.ts`, "export const x = 1;\n");
    assertEquals(await digestOf(dir), base, "and back");

    // a mode, a name, a symlink target, a new file
    await Deno.chmod(`${dir}/src/main.ts`, 0o600);
    const mode = await digestOf(dir);
    assert(mode !== base, "mode counts");
    await Deno.chmod(`${dir}/src/main.ts`, 0o644);
    assertEquals(await digestOf(dir), base);
    await Deno.rename(`${dir}/src/lib/util.ts`, `${dir}/src/lib/utils.ts`);
    assert((await digestOf(dir)) !== base, "a name counts");
    await Deno.rename(`${dir}/src/lib/utils.ts`, `${dir}/src/lib/util.ts`);
    await Deno.remove(`${dir}/src/entry.ts`);
    await Deno.symlink("lib/util.ts", `${dir}/src/entry.ts`);
    assert((await digestOf(dir)) !== base, "a symlink target counts");
    await Deno.remove(`${dir}/src/entry.ts`);
    await Deno.symlink("main.ts", `${dir}/src/entry.ts`);
    await Deno.writeTextFile(`${dir}/src/added.ts`, "");
    assert((await digestOf(dir)) !== base, "an added empty file counts");
    await Deno.remove(`${dir}/src/added.ts`);
    assertEquals(await digestOf(dir), base);

    // the owner and mode the build sets (--chown, --chmod)
    const chown = await digestOf(dir, "src", { uid: 1000, gid: 1000 });
    assert(chown !== base, "--chown counts");
    assertEquals(await digestOf(dir, "src", { uid: 0, gid: 0 }), base, "0:0 is the default");
    assert((await digestOf(dir, "src", { mode: 0o755 })) !== base, "--chmod counts");

    // a narrower selection is not affected by the rest of the directory
    const one = await digestOf(dir, "src/main.ts");
    await Deno.writeTextFile(`${dir}/src/lib/util.ts`, "export const x = 3;\n");
    assertEquals(await digestOf(dir, "src/main.ts"), one);
    assert((await digestOf(dir, "src/*.ts")) !== (await digestOf(dir, "src/main.ts")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the owners files have in the context do not count; the build sets them", async () => {
  if (Deno.uid() !== 0) return; // changing a file's owner needs root
  const dir = await makeContext();
  try {
    const base = await digestOf(dir);
    await Deno.chown(`${dir}/src/main.ts`, 1234, 5678);
    const c = await openContext({ dir });
    try {
      const main = c.entries().find((e) => e.path === "src/main.ts")!;
      assertEquals([main.uid, main.gid], [1234, 5678]);
    } finally {
      await c.close();
    }
    assertEquals(await digestOf(dir), base);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the same content as a directory and as a tar has the same digest", async () => {
  const dir = await Deno.makeTempDir({ prefix: "skiff-bctx-digest-" });
  try {
    await Deno.mkdir(`${dir}/ctx/src`, { recursive: true });
    await Deno.writeTextFile(`${dir}/ctx/Dockerfile`, "FROM scratch\n");
    await Deno.writeTextFile(`${dir}/ctx/src/a`, "alpha");
    await Deno.chmod(`${dir}/ctx/src/a`, 0o640);
    await Deno.chmod(`${dir}/ctx/src`, 0o755);
    const tar = await buildTar([
      { name: "Dockerfile", data: "FROM scratch\n" },
      { name: "src/", type: "directory", mode: 0o755, uid: 42 },
      { name: "src/a", data: "alpha", mode: 0o640, mtime: new Date(0), uid: 42 },
    ]);
    await Deno.mkdir(`${dir}/scratch`);
    const t = await openContext({ stream: new Blob([tar as Uint8Array<ArrayBuffer>]).stream() }, {
      scratchDir: `${dir}/scratch`,
    });
    try {
      assertEquals(
        await digestSources(t, resolveSources(t.tree, "src")),
        await digestOf(`${dir}/ctx`, "src"),
      );
    } finally {
      await t.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
