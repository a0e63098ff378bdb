/**
 * ADD: local tar archives (plain, gzip, bzip2, xz) are extracted, hostile
 * ones refused or contained; other files are copied; URLs are downloaded
 * (file name from the path, mode 0600, mtime from Last-Modified) with
 * --checksum verified; git sources are a clear "not supported" error.
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../helpers/assert.ts";
import { DigestMismatchError, InvalidArgumentError, UnavailableError } from "../../src/errors.ts";
import { applyCopy, copyCacheKey } from "../../src/build/copy/mod.ts";
import { encodeTarHeader, type TarHeader, tarPadding } from "../../src/image/tar_write.ts";
import { fixture, instruction, listing } from "../helpers/copy_fixture.ts";

/** A tar of `entries` (content for files), with the two zero end blocks. */
function tar(entries: (TarHeader & { body?: string })[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const body = new TextEncoder().encode(e.body ?? "");
    parts.push(encodeTarHeader({ ...e, size: e.type === "file" ? body.length : 0, mtime: 1000 }));
    if (e.type === "file") parts.push(body, tarPadding(body.length));
  }
  parts.push(new Uint8Array(1024));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

const GOOD = tar([
  { name: "pkg", type: "dir", mode: 0o755, uid: 7, gid: 8 },
  { name: "pkg/bin", type: "file", mode: 0o750, uid: 7, gid: 8, body: "BIN" },
  { name: "pkg/link", type: "symlink", mode: 0o777, linkname: "/etc/passwd" },
]);

async function compress(data: Uint8Array, tool: string): Promise<Uint8Array> {
  const child = new Deno.Command(tool, { args: ["-c"], stdin: "piped", stdout: "piped" }).spawn();
  const w = child.stdin.getWriter();
  await w.write(data);
  await w.close();
  return (await child.output()).stdout;
}

async function add(
  line: string,
  files: Record<string, Uint8Array>,
  extra: { fetch?: typeof fetch } = {},
): Promise<string[]> {
  const f = await fixture({}, async ({ ctxDir }) => {
    for (const [name, data] of Object.entries(files)) {
      await Deno.writeFile(`${ctxDir}/${name}`, data);
    }
  });
  try {
    await applyCopy(
      {
        instruction: instruction(line),
        origin: { kind: "context", context: f.ctx },
        workdir: "/",
        fetch: extra.fetch,
      },
      f.root,
    );
    return await listing(f.root);
  } finally {
    await f.cleanup();
  }
}

const EXTRACTED = [
  "/opt/ 0755 0:0",
  "/opt/pkg/ 0755 7:8",
  "/opt/pkg/bin 0750 7:8 =BIN",
  "/opt/pkg/link symlink 0:0 -> /etc/passwd",
];

Deno.test("ADD extracts a local tar, plain or compressed, keeping its owners", async () => {
  assertEquals(await add("ADD a.tar /opt/", { "a.tar": GOOD }), EXTRACTED);
  assertEquals(await add("ADD a.tgz /opt", { "a.tgz": await compress(GOOD, "gzip") }), EXTRACTED);
  assertEquals(await add("ADD a.bz2 /opt", { "a.bz2": await compress(GOOD, "bzip2") }), EXTRACTED);
  assertEquals(await add("ADD a.xz /opt", { "a.xz": await compress(GOOD, "xz") }), EXTRACTED);
  assertEquals(await add("ADD a.zst /opt", { "a.zst": await compress(GOOD, "zstd") }), EXTRACTED);
});

Deno.test("ADD copies what is not an archive, and COPY or --unpack=false never extract", async () => {
  const gz = await compress(new TextEncoder().encode("not a tar"), "gzip");
  const plain = await add("ADD notes.gz /d/", { "notes.gz": gz });
  assertEquals(plain.length, 2);
  assert(plain[1].startsWith("/d/notes.gz 0644 0:0"), plain[1]);
  const copied = await add("COPY a.tar /a.tar", { "a.tar": GOOD });
  assertEquals(copied.length, 1);
  assert(copied[0].startsWith("/a.tar 0644 0:0"), copied[0]);
  const kept = await add("ADD --unpack=false a.tar /k.tar", { "a.tar": GOOD });
  assert(kept[0].startsWith("/k.tar 0644 0:0"), kept[0]);
  // --chown applies to what an archive holds
  assertEquals(await add("ADD --chown=3:4 a.tar /opt/", { "a.tar": GOOD }), [
    "/opt/ 0755 3:4",
    "/opt/pkg/ 0755 3:4",
    "/opt/pkg/bin 0750 3:4 =BIN",
    "/opt/pkg/link symlink 3:4 -> /etc/passwd",
  ]);
});

Deno.test("ADD refuses a tar with ../ entries or hard links out, and writes nothing outside", async () => {
  for (
    const evil of [
      [{ name: "../../../../escape", type: "file" as const, mode: 0o644, body: "x" }],
      [{ name: "ok/../../escape", type: "file" as const, mode: 0o644, body: "x" }],
      [{ name: "hl", type: "link" as const, mode: 0o644, linkname: "../../../etc/passwd" }],
      [
        { name: "up", type: "symlink" as const, mode: 0o777, linkname: "../../../.." },
        { name: "up/escape", type: "file" as const, mode: 0o644, body: "x" },
      ],
    ]
  ) {
    const f = await fixture({}, async ({ ctxDir }) => {
      await Deno.writeFile(`${ctxDir}/evil.tar`, tar(evil));
    });
    try {
      await assertRejects(
        () =>
          applyCopy(
            {
              instruction: instruction("ADD evil.tar /x/"),
              origin: { kind: "context", context: f.ctx },
              workdir: "/",
            },
            f.root,
          ),
        InvalidArgumentError,
      );
      assertEquals(await listing(f.outside), ["/secret 0644 0:0 =SECRET"]);
      for (const p of ["/escape", "/tmp/escape", `${f.top}/escape`, `${f.top}/x/escape`]) {
        assertEquals(await Deno.lstat(p).then(() => true, () => false), false, p);
      }
      assertEquals(await listing(f.root), []);
    } finally {
      await f.cleanup();
    }
  }
});

Deno.test("ADD of an archive with an absolute symlink keeps it as a symlink inside the root", async () => {
  const f = await fixture({}, async ({ ctxDir }) => {
    await Deno.writeFile(
      `${ctxDir}/a.tar`,
      tar([{ name: "out", type: "symlink", mode: 0o777, linkname: "/" }]),
    );
  });
  try {
    await Deno.writeTextFile(`${f.root}/marker`, "");
    // a later step writing through the link stays inside the root
    await applyCopy(
      {
        instruction: instruction("ADD a.tar /"),
        origin: { kind: "context", context: f.ctx },
        workdir: "/",
      },
      f.root,
    );
    await applyCopy(
      {
        instruction: instruction("COPY <<EOF /out/tmp/pwned\nx\nEOF"),
        origin: { kind: "context", context: f.ctx },
        workdir: "/",
      },
      f.root,
    );
    assertEquals(await Deno.readTextFile(`${f.root}/tmp/pwned`), "x\n");
    assertEquals(await listing(f.outside), ["/secret 0644 0:0 =SECRET"]);
    await Deno.stat("/tmp/pwned").then(
      () => {
        throw new Error("/tmp/pwned written on the host");
      },
      () => {},
    );
  } finally {
    await f.cleanup();
  }
});

/** A local server answering /files/tool.sh with `body` and a fixed Last-Modified. */
function serve(
  body: string | Uint8Array,
): { url: string; close: () => Promise<void>; hits: () => number } {
  let hits = 0;
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, (req) => {
    hits++;
    const path = new URL(req.url).pathname;
    if (path !== "/files/tool.sh") return new Response("no", { status: 404 });
    return new Response(body as BodyInit, {
      headers: { "last-modified": "Wed, 21 Oct 2015 07:28:00 GMT" },
    });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    close: () => server.shutdown(),
    hits: () => hits,
  };
}

async function sha256(text: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return `sha256:${[...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

Deno.test("ADD <url> downloads with mode 0600 and the Last-Modified time, checking --checksum", async () => {
  const s = serve("#!/bin/sh\necho hi\n");
  try {
    const good = await sha256("#!/bin/sh\necho hi\n");
    const f = await fixture({});
    try {
      const step = (line: string) => ({
        instruction: instruction(line),
        origin: { kind: "context" as const, context: f.ctx },
        workdir: "/",
      });
      await applyCopy(
        step(`ADD --checksum=${good} ${s.url}/files/tool.sh /usr/local/bin/`),
        f.root,
      );
      const st = await Deno.lstat(`${f.root}/usr/local/bin/tool.sh`);
      assertEquals((st.mode ?? 0) & 0o7777, 0o600);
      assertEquals(st.mtime?.getTime(), Date.parse("Wed, 21 Oct 2015 07:28:00 GMT"));
      assertEquals(
        await Deno.readTextFile(`${f.root}/usr/local/bin/tool.sh`),
        "#!/bin/sh\necho hi\n",
      );
      // to a name, with --chmod
      await applyCopy(step(`ADD --chmod=755 ${s.url}/files/tool.sh /t`), f.root);
      assertEquals(((await Deno.lstat(`${f.root}/t`)).mode ?? 0) & 0o7777, 0o755);

      const bad = await sha256("something else");
      const err = await assertRejects(
        () => applyCopy(step(`ADD --checksum=${bad} ${s.url}/files/tool.sh /bad`), f.root),
        DigestMismatchError,
      );
      assertStringIncludes(err.message, `expected ${bad}`);
      await Deno.lstat(`${f.root}/bad`).then(() => {
        throw new Error("written despite the mismatch");
      }, () => {});
      const missing = await assertRejects(
        () => applyCopy(step(`ADD ${s.url}/missing /m`), f.root),
        UnavailableError,
      );
      assertStringIncludes(missing.message, "404");
      // the key uses the checksum without downloading
      const before = s.hits();
      const k1 = await copyCacheKey(step(`ADD --checksum=${good} ${s.url}/files/tool.sh /x`));
      assertEquals(s.hits(), before);
      const k2 = await copyCacheKey(step(`ADD ${s.url}/files/tool.sh /x`));
      assertEquals(s.hits(), before + 1);
      assert(k1 !== k2);
      assertEquals(await copyCacheKey(step(`ADD ${s.url}/files/tool.sh /x`)), k2);
    } finally {
      await f.cleanup();
    }
  } finally {
    await s.close();
  }
});

Deno.test("ADD of a git repository, --checksum on a local file and COPY <url> are clear errors", async () => {
  for (
    const [line, text] of [
      ["ADD https://github.com/moby/buildkit.git /src", "git repository is not supported"],
      ["ADD git@github.com:moby/buildkit.git /src", "git repository is not supported"],
      ["ADD --checksum=sha256:" + "0".repeat(64) + " a /a", "checksum can't be specified"],
      ["COPY https://example.com/x /x", "source can't be a URL for COPY"],
      ["ADD --checksum=md5:abc https://example.com/x /x", "invalid checksum digest format"],
    ]
  ) {
    const err = await assertRejects(
      () => add(line, { a: new Uint8Array([1]) }),
      InvalidArgumentError,
    );
    assertStringIncludes(err.message, text);
  }
});

Deno.test("ADD --unpack=true extracts a downloaded archive; without it the archive is kept", async () => {
  const s = serve(await compress(GOOD, "gzip"));
  try {
    const f = await fixture({});
    try {
      const step = (line: string) => ({
        instruction: instruction(line),
        origin: { kind: "context" as const, context: f.ctx },
        workdir: "/",
      });
      await applyCopy(step(`ADD --unpack=true ${s.url}/files/tool.sh /opt/`), f.root);
      await applyCopy(step(`ADD ${s.url}/files/tool.sh /kept/`), f.root);
      const all = await listing(f.root);
      assertEquals(all.filter((l) => l.startsWith("/opt")), EXTRACTED);
      assert(all.some((l) => l.startsWith("/kept/tool.sh 0600 0:0")), all.join("\n"));
    } finally {
      await f.cleanup();
    }
  } finally {
    await s.close();
  }
});

Deno.test("ADD keeps the hard links of an archive", async () => {
  const linked = tar([
    { name: "a", type: "file", mode: 0o755, body: "SAME" },
    { name: "b", type: "link", mode: 0o755, linkname: "a" },
  ]);
  const f = await fixture({}, async ({ ctxDir }) => {
    await Deno.writeFile(`${ctxDir}/l.tar`, linked);
  });
  try {
    await applyCopy(
      {
        instruction: instruction("ADD l.tar /x/"),
        origin: { kind: "context", context: f.ctx },
        workdir: "/",
      },
      f.root,
    );
    const a = await Deno.lstat(`${f.root}/x/a`), b = await Deno.lstat(`${f.root}/x/b`);
    assertEquals(a.ino, b.ino);
    assertEquals(await Deno.readTextFile(`${f.root}/x/b`), "SAME");
  } finally {
    await f.cleanup();
  }
});
