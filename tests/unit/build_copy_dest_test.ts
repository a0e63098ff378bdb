/**
 * COPY's destination rules, as Docker applies them: relative destinations
 * under WORKDIR, `/` for directories, a directory's content, wildcards,
 * created parents, overwriting, several sources, heredocs, --parents,
 * --exclude, symlinks and modification times.
 */
import { assert, assertEquals, assertRejects } from "../helpers/assert.ts";
import { InvalidArgumentError, NotFoundError } from "../../src/errors.ts";
import { applyCopy } from "../../src/build/copy/mod.ts";
import { fixture, instruction, listing } from "../helpers/copy_fixture.ts";

async function copy(
  files: Record<string, string>,
  lines: string[],
  opts: { workdir?: string; before?: (root: string, ctxDir: string) => Promise<void> } = {},
): Promise<string[]> {
  const f = await fixture(files, (d) => opts.before?.(d.root, d.ctxDir) ?? Promise.resolve());
  try {
    for (const line of lines) {
      await applyCopy(
        {
          instruction: instruction(line),
          origin: { kind: "context", context: f.ctx },
          workdir: opts.workdir ?? "/",
        },
        f.root,
      );
    }
    return await listing(f.root);
  } finally {
    await f.cleanup();
  }
}

Deno.test("COPY a file to a name, into a directory ending in /, and relative to WORKDIR", async () => {
  assertEquals(await copy({ "a.txt": "A" }, ["COPY a.txt /b.txt"]), ["/b.txt 0644 0:0 =A"]);
  assertEquals(await copy({ "a.txt": "A" }, ["COPY a.txt /d/"]), [
    "/d/ 0755 0:0",
    "/d/a.txt 0644 0:0 =A",
  ]);
  assertEquals(await copy({ "a.txt": "A" }, ["COPY a.txt rel/x"], { workdir: "/srv" }), [
    "/srv/ 0755 0:0",
    "/srv/rel/ 0755 0:0",
    "/srv/rel/x 0644 0:0 =A",
  ]);
  assertEquals(await copy({ "a.txt": "A" }, ["COPY a.txt ."], { workdir: "/w" }), [
    "/w/ 0755 0:0",
    "/w/a.txt 0644 0:0 =A",
  ]);
});

Deno.test("COPY a file onto an existing directory's name goes into it", async () => {
  const out = await copy({ "a.txt": "A" }, ["COPY a.txt /etc"], {
    before: (root) => Deno.mkdir(`${root}/etc`, { mode: 0o700 }),
  });
  assertEquals(out, ["/etc/ 0700 0:0", "/etc/a.txt 0644 0:0 =A"]);
});

Deno.test("COPY a directory copies its content, keeping modes, and merges into what exists", async () => {
  const out = await copy(
    { "src/x": "X", "src/sub/y": "Y", "src/link": "->x" },
    ["COPY src /app"],
    {
      before: async (root, ctxDir) => {
        await Deno.chmod(`${ctxDir}/src/x`, 0o750);
        await Deno.chmod(`${ctxDir}/src/sub`, 0o711);
        await Deno.mkdir(`${root}/app`);
        await Deno.writeTextFile(`${root}/app/kept`, "K");
        await Deno.chmod(`${root}/app`, 0o775);
      },
    },
  );
  assertEquals(out, [
    "/app/ 0775 0:0",
    "/app/kept 0644 0:0 =K",
    "/app/link symlink 0:0 -> x",
    "/app/sub/ 0711 0:0",
    "/app/sub/y 0644 0:0 =Y",
    "/app/x 0750 0:0 =X",
  ]);
});

Deno.test("COPY overwrites an existing file and replaces a symlink instead of writing through it", async () => {
  const f = await fixture({ "a.txt": "NEW" });
  try {
    await Deno.writeTextFile(`${f.root}/old`, "OLD");
    await Deno.symlink("/old", `${f.root}/link`);
    for (const dest of ["/old", "/link"]) {
      await applyCopy(
        {
          instruction: instruction(`COPY a.txt ${dest}`),
          origin: { kind: "context", context: f.ctx },
          workdir: "/",
        },
        f.root,
      );
    }
    assertEquals(await listing(f.root), ["/link 0644 0:0 =NEW", "/old 0644 0:0 =NEW"]);
  } finally {
    await f.cleanup();
  }
});

Deno.test("COPY with wildcards copies every match, and several matches go into a directory", async () => {
  assertEquals(await copy({ "a.go": "a", "b.go": "b", "c.txt": "c" }, ["COPY *.go /src/"]), [
    "/src/ 0755 0:0",
    "/src/a.go 0644 0:0 =a",
    "/src/b.go 0644 0:0 =b",
  ]);
  assertEquals(await copy({ "a.go": "a", "c.txt": "c" }, ["COPY *.go /one.go"]), [
    "/one.go 0644 0:0 =a",
  ]);
  // a wildcard matching nothing copies nothing
  assertEquals(await copy({ "c.txt": "c" }, ["COPY *.go /src/"]), []);
});

Deno.test("COPY with several sources needs a destination ending in /", async () => {
  const err = await assertRejects(
    () => copy({ "a": "a", "b": "b" }, ["COPY a b /dest"]),
    InvalidArgumentError,
  );
  assertEquals(
    err.message,
    "When using COPY with more than one source file, the destination must be a directory and end with a /",
  );
  assertEquals(await copy({ "a": "a", "b": "b" }, ["COPY a b /dest/"]), [
    "/dest/ 0755 0:0",
    "/dest/a 0644 0:0 =a",
    "/dest/b 0644 0:0 =b",
  ]);
});

Deno.test("COPY of a missing source is an error naming it", async () => {
  const err = await assertRejects(() => copy({ "a": "a" }, ["COPY nope /x"]), NotFoundError);
  assert(err.message.includes("nope"), err.message);
});

Deno.test("COPY heredoc sources become files of mode 0644", async () => {
  const out = await copy({}, ["COPY <<EOF /etc/motd\nhello $USER\nEOF"]);
  assertEquals(out, ["/etc/ 0755 0:0", "/etc/motd 0644 0:0 =hello $USER\n"]);
  const two = await copy({}, ["COPY <<one.txt <<two.txt /d/\n1\none.txt\n2\ntwo.txt"]);
  assertEquals(two, ["/d/ 0755 0:0", "/d/one.txt 0644 0:0 =1\n", "/d/two.txt 0644 0:0 =2\n"]);
});

Deno.test("COPY --parents keeps the source's path, from the /./ pivot when there is one", async () => {
  const files = { "a/b/c.txt": "C", "a/b/d/e.txt": "E", "x/y.txt": "Y" };
  assertEquals(await copy(files, ["COPY --parents a/b/c.txt x/y.txt /out/"]), [
    "/out/ 0755 0:0",
    "/out/a/ 0755 0:0",
    "/out/a/b/ 0755 0:0",
    "/out/a/b/c.txt 0644 0:0 =C",
    "/out/x/ 0755 0:0",
    "/out/x/y.txt 0644 0:0 =Y",
  ]);
  assertEquals(await copy(files, ["COPY --parents ./a/./b/d /out/"]), [
    "/out/ 0755 0:0",
    "/out/b/ 0755 0:0",
    "/out/b/d/ 0755 0:0",
    "/out/b/d/e.txt 0644 0:0 =E",
  ]);
});

Deno.test("COPY --exclude leaves out matching entries and wildcard matches", async () => {
  const files = { "src/a.ts": "a", "src/a_test.ts": "t", "src/gen/x.ts": "x", "src/keep.md": "k" };
  assertEquals(await copy(files, ["COPY --exclude=*_test.ts --exclude=gen src /app/"]), [
    "/app/ 0755 0:0",
    "/app/a.ts 0644 0:0 =a",
    "/app/keep.md 0644 0:0 =k",
  ]);
  assertEquals(await copy(files, ["COPY --exclude=*.md src/* /app/"]), [
    "/app/ 0755 0:0",
    "/app/a.ts 0644 0:0 =a",
    "/app/a_test.ts 0644 0:0 =t",
    "/app/x.ts 0644 0:0 =x", // a directory a wildcard matches brings its content
  ]);
});

Deno.test("COPY keeps the context's mtimes, clamped by SOURCE_DATE_EPOCH", async () => {
  const f = await fixture({ "old": "o", "new": "n", "d/in": "i" }, async ({ ctxDir }) => {
    await Deno.utime(`${ctxDir}/old`, 1000, 1000);
    await Deno.utime(`${ctxDir}/new`, 2_000_000_000, 2_000_000_000);
  });
  try {
    await applyCopy(
      {
        instruction: instruction("COPY old new d /t/"),
        origin: { kind: "context", context: f.ctx },
        workdir: "/",
      },
      f.root,
    );
    assertEquals((await Deno.lstat(`${f.root}/t/old`)).mtime?.getTime(), 1000_000);
    assertEquals((await Deno.lstat(`${f.root}/t/new`)).mtime?.getTime(), 2_000_000_000_000);
    const sde = `${f.top}/sde`;
    await Deno.mkdir(sde);
    await applyCopy(
      {
        instruction: instruction("COPY old new /t/"),
        origin: { kind: "context", context: f.ctx },
        workdir: "/",
        sourceDateEpoch: 1_700_000_000,
      },
      sde,
    );
    assertEquals((await Deno.lstat(`${sde}/t/old`)).mtime?.getTime(), 1000_000);
    assertEquals((await Deno.lstat(`${sde}/t/new`)).mtime?.getTime(), 1_700_000_000_000);
    assertEquals((await Deno.lstat(`${sde}/t`)).mtime?.getTime(), 1_700_000_000_000);
  } finally {
    await f.cleanup();
  }
});

Deno.test("COPY refuses a file over a directory and a directory over a file, as BuildKit", async () => {
  const onDir = await assertRejects(
    () =>
      copy({ "d/x": "file" }, ["COPY d /t/"], {
        before: (root) => Deno.mkdir(`${root}/t/x`, { recursive: true }),
      }),
    InvalidArgumentError,
  );
  assertEquals(onDir.message, "cannot replace to directory /t/x with file");
  const onFile = await assertRejects(
    () =>
      copy({ "d/x/y": "file" }, ["COPY d /t/"], {
        before: async (root) => {
          await Deno.mkdir(`${root}/t`);
          await Deno.writeTextFile(`${root}/t/x`, "in the way");
        },
      }),
    InvalidArgumentError,
  );
  assertEquals(onFile.message, "cannot copy to non-directory: /t/x");
});
