/**
 * Build contexts given as tar archives (a file or standard input, plain or gzip): the entries
 * with the archive's `.dockerignore` applied, and the archives an attacker may send (`..`
 * names, entries beneath a symlink, hard links out), which are refused with nothing written
 * outside the scratch directory.
 */
import { assert, assertEquals, assertRejects, assertThrows } from "../helpers/assert.ts";
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from "../../src/errors.ts";
import { openContext } from "../../src/build/context/context.ts";
import { resolveSources } from "../../src/build/context/sources.ts";
import { buildTar, type FixtureEntry } from "../fixtures/tar/build.ts";

function stream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new Blob([bytes as Uint8Array<ArrayBuffer>]).stream();
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const gz = stream(bytes).pipeThrough(
    new CompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
  );
  return new Uint8Array(await new Response(gz).arrayBuffer());
}

async function text(file: Deno.FsFile): Promise<string> {
  return await new Response(file.readable).text();
}

const context: FixtureEntry[] = [
  { name: "Dockerfile", data: "FROM scratch\nCOPY . /\n" },
  { name: ".dockerignore", data: "*.tmp\nsecrets\n!secrets/public.pem\n" },
  { name: "app/", type: "directory", mode: 0o750, uid: 1000, gid: 1001 },
  { name: "app/run.sh", data: "#!/bin/sh\n", mode: 0o755, uid: 1000, gid: 1001 },
  { name: "junk.tmp", data: "x" },
  { name: "secrets/key", data: "private" },
  { name: "secrets/public.pem", data: "public" },
  { name: "current", type: "symlink", linkname: "/app" },
  { name: "hard", type: "link", linkname: "app/run.sh" },
  { name: "./nodir/file", data: "parent left out of the archive" },
];

Deno.test("a tar context from standard input, gzip-compressed, with its .dockerignore", async () => {
  const top = await Deno.makeTempDir({ prefix: "skiff-bctx-tar-" });
  const scratch = `${top}/scratch`;
  await Deno.mkdir(scratch);
  const c = await openContext({ stream: stream(await gzip(await buildTar(context))) }, {
    scratchDir: scratch,
  });
  try {
    assertEquals(c.kind, "tar");
    assertEquals(new TextDecoder().decode(c.dockerfile), "FROM scratch\nCOPY . /\n");
    assertEquals(c.ignorePatterns, ["*.tmp", "secrets", "!secrets/public.pem"]);
    const entries = c.entries();
    assertEquals(entries.map((e) => e.path), [
      "",
      ".dockerignore",
      "Dockerfile",
      "app",
      "app/run.sh",
      "current",
      "hard",
      "nodir",
      "nodir/file",
      "secrets",
      "secrets/public.pem",
    ]);
    const run = entries.find((e) => e.path === "app/run.sh")!;
    assertEquals([run.type, run.mode, run.uid, run.gid, run.size], ["file", 0o755, 1000, 1001, 10]);
    assertEquals(entries.find((e) => e.path === "app")!.mode, 0o750);
    assertEquals(entries.find((e) => e.path === "current")!.linkTarget, "/app");
    const [viaLink] = resolveSources(c.tree, "current/run.sh");
    assertEquals(await text(await c.open(viaLink.node)), "#!/bin/sh\n");
    const [hard] = resolveSources(c.tree, "hard");
    assertEquals([hard.node.entry.type, await text(await c.open(hard.node))], [
      "file",
      "#!/bin/sh\n",
    ]);
    assertThrows(() => resolveSources(c.tree, "secrets/key"), NotFoundError);
  } finally {
    await c.close();
  }
  assert(!(await Deno.stat(scratch).catch(() => undefined)), "close removes the spooled content");
  await Deno.remove(top, { recursive: true });
});

Deno.test("a tar context from a file, with -f naming a Dockerfile inside it", async () => {
  const top = await Deno.makeTempDir({ prefix: "skiff-bctx-tar-" });
  await Deno.writeFile(
    `${top}/ctx.tar`,
    await buildTar([
      { name: "docker/prod.Dockerfile", data: "FROM scratch\n" },
      { name: "docker/prod.Dockerfile.dockerignore", data: "a\n" },
      { name: ".dockerignore", data: "b\n" },
      { name: "a", data: "a" },
      { name: "b", data: "b" },
    ]),
  );
  await Deno.mkdir(`${top}/s1`);
  const c = await openContext({ dir: `${top}/ctx.tar` }, {
    scratchDir: `${top}/s1`,
    dockerfile: "docker/prod.Dockerfile",
  });
  try {
    assertEquals(c.ignoreFile, "docker/prod.Dockerfile.dockerignore");
    const paths = c.entries().map((e) => e.path);
    assert(paths.includes("b") && !paths.includes("a"), paths.join(","));
  } finally {
    await c.close();
  }
  await Deno.mkdir(`${top}/s2`);
  await assertRejects(
    () => openContext({ tar: `${top}/ctx.tar` }, { scratchDir: `${top}/s2` }),
    NotFoundError,
  );
  await Deno.remove(top, { recursive: true });
});

/** Hostile archives, each with what it aims at. */
function hostile(outside: string): { name: string; entries: FixtureEntry[]; message: string }[] {
  return [
    {
      name: "dot-dot",
      entries: [{ name: "../x", data: "pwned" }],
      message: 'build context archive: entry "../x" is outside the context',
    },
    {
      name: "nested dot-dot",
      entries: [{ name: "a/", type: "directory" }, { name: "a/../../x", data: "pwned" }],
      message: 'build context archive: entry "a/../../x" is outside the context',
    },
    {
      name: "symlink then file",
      entries: [
        { name: "evil", type: "symlink", linkname: outside },
        { name: "evil/x", data: "pwned" },
      ],
      message: 'build context archive: entry "evil/x" is beneath the symlink "evil"',
    },
    {
      name: "relative symlink then file",
      entries: [
        { name: "up", type: "symlink", linkname: "../../.." },
        { name: "up/x", data: "pwned" },
      ],
      message: 'build context archive: entry "up/x" is beneath the symlink "up"',
    },
    {
      name: "hard link out",
      entries: [{ name: "passwd", type: "link", linkname: "../../etc/passwd" }],
      message:
        'build context archive: entry "passwd" is a hard link to "../../etc/passwd", outside the context',
    },
    {
      name: "absolute hard link",
      entries: [{ name: "l", type: "link", linkname: `${outside}/x` }],
      message:
        `build context archive: entry "l" is a hard link to "${outside}/x", not a file of the archive`,
    },
    {
      name: "hard link to a symlink",
      entries: [
        { name: "s", type: "symlink", linkname: "/etc/passwd" },
        { name: "l", type: "link", linkname: "s" },
      ],
      message: 'build context archive: entry "l" is a hard link to "s", not a file of the archive',
    },
    {
      name: "file beneath a file",
      entries: [{ name: "f", data: "f" }, { name: "f/x", data: "pwned" }],
      message: 'build context archive: entry "f/x" is beneath "f", which is not a directory',
    },
  ];
}

Deno.test("attacker: hostile context archives are refused and write nothing outside", async () => {
  const top = await Deno.makeTempDir({ prefix: "skiff-bctx-tar-" });
  const outside = `${top}/outside`;
  await Deno.mkdir(outside);
  for (const h of hostile(outside)) {
    const scratch = `${top}/scratch`;
    await Deno.mkdir(scratch);
    const tar = await buildTar([{ name: "Dockerfile", data: "FROM scratch\n" }, ...h.entries]);
    const err = await assertRejects(
      () => openContext({ stream: stream(tar) }, { scratchDir: scratch }),
      InvalidArgumentError,
    );
    assertEquals(err.message, h.message, h.name);
    assertEquals([...Deno.readDirSync(outside)], [], `${h.name}: nothing outside`);
    assert(!(await Deno.stat(scratch).catch(() => undefined)), `${h.name}: scratch removed`);
    assert(!(await Deno.stat(`${top}/x`).catch(() => undefined)), `${h.name}: no ../x`);
  }
  await Deno.remove(top, { recursive: true });
});

Deno.test("attacker: names in an archive never become host paths", async () => {
  const top = await Deno.makeTempDir({ prefix: "skiff-bctx-tar-" });
  const scratch = `${top}/scratch`;
  await Deno.mkdir(scratch);
  const tar = await buildTar([
    { name: "Dockerfile", data: "FROM scratch\n" },
    { name: "/abs/file", data: "a leading / is dropped, as docker drops it" },
    { name: "link", type: "symlink", linkname: "/etc/passwd" },
    { name: "dev", type: "character-device", devmajor: 1, devminor: 3 },
  ]);
  const c = await openContext({ stream: stream(tar) }, { scratchDir: scratch });
  try {
    // the spooled content is numbered files only
    assertEquals([...Deno.readDirSync(scratch)].map((e) => e.name).sort(), ["0", "1"]);
    assertEquals(c.entries().map((e) => `${e.path}:${e.type}`), [
      ":dir",
      "Dockerfile:file",
      "abs:dir",
      "abs/file:file",
      "dev:char",
      "link:symlink",
    ]);
    // the symlink resolves inside the archive, where /etc/passwd does not exist
    assertThrows(() => resolveSources(c.tree, "link"), NotFoundError);
    await assertRejects(() => c.open(c.tree.get("dev")!), InvalidArgumentError);
    assertThrows(() => c.openPath(c.tree.get("abs")!), FailedPreconditionError);
  } finally {
    await c.close();
    await Deno.remove(top, { recursive: true });
  }
});

Deno.test("a truncated or corrupt context archive is a one-line error", async () => {
  const top = await Deno.makeTempDir({ prefix: "skiff-bctx-tar-" });
  const tar = await buildTar([{ name: "Dockerfile", data: "FROM scratch\n".repeat(100) }]);
  await Deno.mkdir(`${top}/s`);
  const err = await assertRejects(
    () => openContext({ stream: stream(tar.subarray(0, 700)) }, { scratchDir: `${top}/s` }),
    InvalidArgumentError,
  );
  assert(
    !err.message.includes("\n") && err.message.startsWith("build context archive"),
    err.message,
  );
  await Deno.remove(top, { recursive: true });
});

Deno.test("an empty archive is a context without a Dockerfile; a corrupt gzip is not a context", async () => {
  const top = await Deno.makeTempDir({ prefix: "skiff-bctx-tar-" });
  await Deno.mkdir(`${top}/s`);
  const empty = await assertRejects(
    () => openContext({ stream: stream(new Uint8Array(1024)) }, { scratchDir: `${top}/s` }),
    NotFoundError,
  );
  assertEquals(empty.message, "Cannot locate specified Dockerfile: Dockerfile");
  const gz = await gzip(new TextEncoder().encode("hello ".repeat(1000)));
  gz.fill(0x41, 20, 60);
  await Deno.writeFile(`${top}/ctx.tgz`, gz);
  const bad = await assertRejects(
    () => openContext({ dir: `${top}/ctx.tgz` }, { scratchDir: `${top}/s` }),
    InvalidArgumentError,
  );
  assertEquals(
    bad.message,
    `unable to prepare context: "${top}/ctx.tgz" is neither a directory nor a tar archive`,
  );
  await Deno.remove(top, { recursive: true });
});
