/**
 * Directory build contexts: the walk with `.dockerignore` applied, the Dockerfile and its
 * ignore file, `COPY` source resolution, and the attacks a hostile context may try (symlinks
 * and `..` leading out of it, files swapped after the walk).
 */
import { assert, assertEquals, assertRejects, assertThrows } from "../helpers/assert.ts";
import { InvalidArgumentError, NotFoundError } from "../../src/errors.ts";
import { openContext } from "../../src/build/context/context.ts";
import { digestSources } from "../../src/build/context/digest.ts";
import { IgnoreMatcher } from "../../src/build/context/ignore.ts";
import { resolveSources, selectedEntries } from "../../src/build/context/sources.ts";

/** A temp directory with `ctx/` (the context) and `outside/secret` beside it. */
async function fixture(files: Record<string, string>): Promise<{ top: string; ctx: string }> {
  const top = await Deno.makeTempDir({ prefix: "skiff-bctx-" });
  await Deno.mkdir(`${top}/outside`);
  await Deno.writeTextFile(`${top}/outside/secret`, "SECRET");
  const ctx = `${top}/ctx`;
  await Deno.mkdir(ctx);
  for (const [path, body] of Object.entries(files)) {
    const full = `${ctx}/${path}`;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    if (body.startsWith("->")) await Deno.symlink(body.slice(2), full);
    else if (path.endsWith("/")) await Deno.mkdir(full, { recursive: true });
    else await Deno.writeTextFile(full, body);
  }
  return { top, ctx };
}

async function readAll(file: Deno.FsFile): Promise<string> {
  return await new Response(file.readable).text();
}

Deno.test("a directory context lists its entries with .dockerignore applied", async () => {
  const { top, ctx } = await fixture({
    "Dockerfile": "FROM scratch\n",
    ".dockerignore": "# build output\n*.log\nnode_modules\ndocs\n!docs/README.md\nDockerfile\n",
    "app/main.ts": "main",
    "app/debug.log": "noise",
    "top.log": "noise",
    "node_modules/x/index.js": "dep",
    "docs/README.md": "readme",
    "docs/other.md": "other",
    "link": "->app/main.ts",
  });
  await Deno.chmod(`${ctx}/app/main.ts`, 0o750);
  const c = await openContext({ dir: ctx });
  try {
    assertEquals(c.kind, "dir");
    assertEquals(c.ignoreFile, ".dockerignore");
    // the Dockerfile is read for the build although .dockerignore lists it (docker and podman
    // build from it), but COPY does not see it
    assertEquals(new TextDecoder().decode(c.dockerfile), "FROM scratch\n");
    assertEquals(c.entries().map((e) => e.path), [
      "",
      ".dockerignore",
      "app",
      "app/debug.log", // `*.log` matches at the root only, as in docker
      "app/main.ts",
      "docs",
      "docs/README.md",
      "link",
    ]);
    const main = c.entries().find((e) => e.path === "app/main.ts")!;
    assertEquals([main.type, main.mode, main.size], ["file", 0o750, 4]);
    assertEquals([main.uid, main.gid], [Deno.uid(), Deno.gid()]);
    const link = c.entries().find((e) => e.path === "link")!;
    assertEquals([link.type, link.linkTarget], ["symlink", "app/main.ts"]);
    const err = assertThrows(() => resolveSources(c.tree, "Dockerfile"), NotFoundError);
    assertEquals(
      err.message,
      "COPY failed: file not found in build context or excluded by .dockerignore: stat Dockerfile: file does not exist",
    );
    assertThrows(() => resolveSources(c.tree, "top.log", "ADD"), NotFoundError);
  } finally {
    await c.close();
    await Deno.remove(top, { recursive: true });
  }
});

Deno.test("<Dockerfile>.dockerignore beside a named Dockerfile wins over .dockerignore", async () => {
  const { top, ctx } = await fixture({
    "build/app.Dockerfile": "FROM scratch\nCOPY . /\n",
    "build/app.Dockerfile.dockerignore": "secret.txt\n",
    ".dockerignore": "kept.txt\n",
    "secret.txt": "s",
    "kept.txt": "k",
  });
  const c = await openContext({ dir: ctx }, { dockerfile: `${ctx}/build/app.Dockerfile` });
  try {
    assertEquals(c.ignoreFile, `${ctx}/build/app.Dockerfile.dockerignore`);
    const paths = c.entries().map((e) => e.path);
    assert(paths.includes("kept.txt") && !paths.includes("secret.txt"), paths.join(","));
  } finally {
    await c.close();
  }
  // without one beside it, .dockerignore applies
  await Deno.remove(`${ctx}/build/app.Dockerfile.dockerignore`);
  const d = await openContext({ dir: ctx }, { dockerfile: `${ctx}/build/app.Dockerfile` });
  try {
    assertEquals(d.ignoreFile, ".dockerignore");
    const paths = d.entries().map((e) => e.path);
    assert(!paths.includes("kept.txt") && paths.includes("secret.txt"), paths.join(","));
  } finally {
    await d.close();
    await Deno.remove(top, { recursive: true });
  }
});

Deno.test("COPY sources: plain paths, wildcards, directories, missing sources", async () => {
  const { top, ctx } = await fixture({
    "Dockerfile": "FROM scratch\n",
    "a.txt": "a",
    "b.txt": "b",
    "c.md": "c",
    "src/x/f1": "1",
    "src/y/f2": "2",
    "src/y/g": "g",
    "src/z": "file",
    "dir/sub/deep": "d",
    "dir/link": "->../a.txt",
    "empty/": "",
  });
  const c = await openContext({ dir: ctx });
  try {
    const paths = (src: string) => resolveSources(c.tree, src).map((m) => m.path);
    assertEquals(paths("*.txt"), ["a.txt", "b.txt"]);
    assertEquals(paths("[ab].t?t"), ["a.txt", "b.txt"]);
    assertEquals(paths("./src/*/f?"), ["src/x/f1", "src/y/f2"]);
    assertEquals(paths("src/*"), ["src/x", "src/y", "src/z"]);
    assertEquals(paths("empty/*"), []); // a wildcard matching nothing copies nothing, as BuildKit
    assertEquals(paths("."), [""]);
    // a directory copies its contents; a symlink inside it is copied as a symlink
    const [dir] = resolveSources(c.tree, "dir");
    assertEquals(
      [...selectedEntries(c.tree, dir)].map((e) => `${e.rel}:${e.node.entry.type}`),
      [":dir", "link:symlink", "sub:dir", "sub/deep:file"],
    );
    // a symlink given as the source is followed inside the context and keeps its own name
    const [viaLink] = resolveSources(c.tree, "dir/link");
    assertEquals([viaLink.name, viaLink.node.entry.path], ["link", "a.txt"]);
    const missing = assertThrows(() => resolveSources(c.tree, "nope/*.txt"), NotFoundError);
    assertEquals(
      missing.message,
      "COPY failed: file not found in build context or excluded by .dockerignore: stat nope: file does not exist",
    );
    assertThrows(() => resolveSources(c.tree, "nope.txt"), NotFoundError);
    assertThrows(() => resolveSources(c.tree, "src/z/x"), NotFoundError); // beneath a file
    assertThrows(() => resolveSources(c.tree, "[a-"), InvalidArgumentError);
  } finally {
    await c.close();
    await Deno.remove(top, { recursive: true });
  }
});

Deno.test("attacker: .. and absolute COPY sources stay inside the context", async () => {
  const { top, ctx } = await fixture({ "Dockerfile": "FROM scratch\n", "inner": "in" });
  const c = await openContext({ dir: ctx });
  try {
    // ../outside/secret exists on the host beside the context; in the context it does not
    const err = assertThrows(() => resolveSources(c.tree, "../outside/secret"), NotFoundError);
    assertEquals(
      err.message,
      "COPY failed: file not found in build context or excluded by .dockerignore: stat outside/secret: file does not exist",
    );
    assertThrows(() => resolveSources(c.tree, `${top}/outside/secret`), NotFoundError);
    assertThrows(() => resolveSources(c.tree, "../outside/*"), NotFoundError);
    // as docker and podman do: `..` above the root and a leading `/` name the context root
    assertEquals(resolveSources(c.tree, "../../inner").map((m) => m.path), ["inner"]);
    assertEquals(resolveSources(c.tree, "/inner").map((m) => m.path), ["inner"]);
  } finally {
    await c.close();
    await Deno.remove(top, { recursive: true });
  }
});

Deno.test("attacker: symlinks leading out of the context resolve inside it", async () => {
  const { top, ctx } = await fixture({
    "Dockerfile": "FROM scratch\n",
    "rel": "->../outside/secret",
    "relDir": "->../../outside",
    "abs": `->${"/"}PLACEHOLDER`,
    "etc/passwd": "context passwd",
    "etcLink": "->/etc/passwd",
    "loop1": "->loop2",
    "loop2": "->loop1",
  });
  await Deno.remove(`${ctx}/abs`);
  await Deno.symlink(`${top}/outside/secret`, `${ctx}/abs`);
  const c = await openContext({ dir: ctx });
  try {
    for (const src of ["rel", "abs", "relDir/secret", "relDir", "rel*"]) {
      const found = (() => {
        try {
          return resolveSources(c.tree, src);
        } catch (err) {
          if (err instanceof NotFoundError) return [];
          throw err;
        }
      })();
      assertEquals(found, [], `${src} must not reach the host`);
    }
    // an absolute target is taken from the context root, as a chroot would take it
    const [m] = resolveSources(c.tree, "etcLink");
    assertEquals(m.node.entry.path, "etc/passwd");
    assertEquals(await readAll(await c.open(m.node)), "context passwd");
    // the directory before a wildcard is resolved the same way
    await Deno.symlink("/etc", `${ctx}/etcDir`).catch(() => {});
    await Deno.symlink("/usr", `${ctx}/usrDir`).catch(() => {});
    const again = await openContext({ dir: ctx });
    try {
      const viaDir = resolveSources(again.tree, "etcDir/*");
      assertEquals(viaDir.map((x) => [x.path, x.name]), [["etc/passwd", "passwd"]]);
      assertThrows(() => resolveSources(again.tree, "usrDir/*"), NotFoundError);
      assertThrows(() => resolveSources(again.tree, "usrDir/bin/sh"), NotFoundError);
    } finally {
      await again.close();
    }
    const loop = assertThrows(() => resolveSources(c.tree, "loop1"), InvalidArgumentError);
    assertEquals(loop.message, "COPY failed: loop1: too many levels of symbolic links");
  } finally {
    await c.close();
    await Deno.remove(top, { recursive: true });
  }
});

Deno.test("attacker: a Dockerfile or .dockerignore symlinked out of the context is not read", async () => {
  const { top, ctx } = await fixture({ "Dockerfile": "->../outside/secret", "x": "x" });
  await assertRejects(() => openContext({ dir: ctx }), NotFoundError);
  await Deno.remove(`${ctx}/Dockerfile`);
  await Deno.writeTextFile(`${ctx}/Dockerfile`, "FROM scratch\n");
  // the host's file would be read as patterns (and echoed in a syntax error); inside the
  // context the link leads nowhere, so no pattern applies
  await Deno.writeTextFile(`${top}/outside/secret`, "x\n");
  await Deno.symlink(`${top}/outside/secret`, `${ctx}/.dockerignore`);
  const c = await openContext({ dir: ctx });
  try {
    assertEquals(c.ignoreFile, undefined);
    assert(c.entries().some((e) => e.path === "x"));
  } finally {
    await c.close();
    await Deno.remove(top, { recursive: true });
  }
});

Deno.test("attacker: a file swapped for a symlink after the walk is not followed", async () => {
  const { top, ctx } = await fixture({ "Dockerfile": "FROM scratch\n", "data": "ok", "d/f": "ok" });
  const c = await openContext({ dir: ctx });
  try {
    const [data] = resolveSources(c.tree, "data");
    const [f] = resolveSources(c.tree, "d/f");
    await Deno.remove(`${ctx}/data`);
    await Deno.symlink(`${top}/outside/secret`, `${ctx}/data`);
    await Deno.remove(`${ctx}/d`, { recursive: true });
    await Deno.symlink(`${top}/outside`, `${ctx}/d`);
    await Deno.rename(`${top}/outside/secret`, `${top}/outside/f`);
    const swapped = await assertRejects(() => c.open(data.node), InvalidArgumentError);
    assertEquals(swapped.message, "data in the build context is not a regular file");
    // d is now a symlink to the host directory holding f: resolved inside the root, it is not there
    const beneath = await assertRejects(() => c.open(f.node), Error);
    assertEquals(beneath.message, "open d/f in the build context: d/f: No such file or directory");
    await assertRejects(() => digestSources(c, [data]), Error);
    // a bind mount source is handed over by descriptor, checked against what the walk saw
    const [dNode] = [c.tree.get("d")!];
    const swappedDir = assertThrows(() => c.openPath(dNode), InvalidArgumentError);
    assertEquals(swappedDir.message, "d in the build context changed while the build read it");
    const h = c.openPath(c.tree.get("Dockerfile")!);
    try {
      assertEquals(await Deno.readTextFile(h.path), "FROM scratch\n");
    } finally {
      h.close();
    }
  } finally {
    await c.close();
    await Deno.remove(top, { recursive: true });
  }
});

Deno.test("a context that is neither a directory nor a tar is a one-line error", async () => {
  const { top } = await fixture({});
  await Deno.writeTextFile(`${top}/notes.txt`, "just text, not an archive\n".repeat(40));
  const err = await assertRejects(
    () => openContext({ dir: `${top}/notes.txt` }),
    InvalidArgumentError,
  );
  assertEquals(
    err.message,
    `unable to prepare context: "${top}/notes.txt" is neither a directory nor a tar archive`,
  );
  const fifo = new Deno.Command("mkfifo", { args: [`${top}/fifo`] });
  assert((await fifo.output()).success);
  await assertRejects(() => openContext({ dir: `${top}/fifo` }), InvalidArgumentError);
  await assertRejects(() => openContext({ dir: `${top}/missing` }), NotFoundError);
  const stdin = new Blob(["FROM scratch\n"]).stream();
  await assertRejects(
    () => openContext({ stream: stdin }, { scratchDir: `${top}/scratch` }),
    InvalidArgumentError,
  );
  await Deno.remove(top, { recursive: true });
});

Deno.test("a Dockerfile outside the context is the user's own, with its .dockerignore beside it", async () => {
  const { top, ctx } = await fixture({ "a": "a", "b": "b", ".dockerignore": "a\n" });
  await Deno.writeTextFile(`${top}/outside/build.Dockerfile`, "FROM scratch\nCOPY . /\n");
  await Deno.writeTextFile(`${top}/outside/build.Dockerfile.dockerignore`, "b\n");
  const c = await openContext({ dir: ctx }, { dockerfile: `${top}/outside/build.Dockerfile` });
  try {
    assertEquals(new TextDecoder().decode(c.dockerfile), "FROM scratch\nCOPY . /\n");
    assertEquals(c.ignorePatterns, ["b"]);
    assertEquals(c.entries().map((e) => e.path), ["", ".dockerignore", "a"]);
  } finally {
    await c.close();
  }
  const missing = await assertRejects(
    () => openContext({ dir: ctx }, { dockerfile: `${top}/outside/none` }),
    NotFoundError,
  );
  assertEquals(missing.message, `Cannot locate specified Dockerfile: ${top}/outside/none`);
  // `-f -`: the Dockerfile comes from elsewhere and .dockerignore applies
  const d = await openContext({ dir: ctx }, { dockerfile: null });
  try {
    assertEquals([d.dockerfile, d.ignorePatterns], [undefined, ["a"]]);
  } finally {
    await d.close();
    await Deno.remove(top, { recursive: true });
  }
});

Deno.test("COPY --exclude leaves out paths relative to the source, with exceptions", async () => {
  const { top, ctx } = await fixture({
    "Dockerfile": "FROM scratch\n",
    "src/a.ts": "a",
    "src/a.md": "a",
    "src/docs/x.md": "x",
    "src/docs/keep.txt": "k",
    "src/tests/t.ts": "t",
  });
  const c = await openContext({ dir: ctx });
  try {
    const [src] = resolveSources(c.tree, "src");
    const list = (patterns: string[]) =>
      [...selectedEntries(c.tree, src, new IgnoreMatcher(patterns, "--exclude"))].map((e) => e.rel);
    assertEquals(list([]), [
      "",
      "a.md",
      "a.ts",
      "docs",
      "docs/keep.txt",
      "docs/x.md",
      "tests",
      "tests/t.ts",
    ]);
    assertEquals(list(["*.md", "tests"]), ["", "a.ts", "docs", "docs/keep.txt", "docs/x.md"]);
    assertEquals(list(["**/*.md"]), ["", "a.ts", "docs", "docs/keep.txt", "tests", "tests/t.ts"]);
    assertEquals(list(["docs", "tests", "!docs/keep.txt"]), [
      "",
      "a.md",
      "a.ts",
      "docs",
      "docs/keep.txt",
    ]);
    const all = await digestSources(c, [src]);
    const some = await digestSources(c, [src], { exclude: new IgnoreMatcher(["tests"]) });
    assert(all !== some, "--exclude changes the digest");
    await Deno.writeTextFile(`${ctx}/src/tests/t.ts`, "changed");
    assertEquals(await digestSources(c, [src], { exclude: new IgnoreMatcher(["tests"]) }), some);
    const bad = assertThrows(() => new IgnoreMatcher(["[x"], "--exclude"), InvalidArgumentError);
    assertEquals(bad.message, '--exclude: syntax error in pattern: "[x"');
  } finally {
    await c.close();
    await Deno.remove(top, { recursive: true });
  }
});
