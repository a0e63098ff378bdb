/**
 * COPY --chown (names from the target root's /etc/passwd and /etc/group,
 * read inside that root, or numbers) and --chmod (octal and symbolic), and
 * the owners COPY --from keeps.
 */
import { assertEquals, assertRejects, assertStringIncludes } from "../helpers/assert.ts";
import { InvalidArgumentError } from "../../src/errors.ts";
import { applyCopy } from "../../src/build/copy/mod.ts";
import { parseChmod } from "../../src/build/copy/mode.ts";
import { lgetxattr, lsetxattr } from "../../src/sys/fs.ts";
import { fixture, instruction, listing } from "../helpers/copy_fixture.ts";

const PASSWD = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n";
const GROUP = "root:x:0:\nstaff:x:50:\napp:x:1001:\n";

async function copyWith(line: string, files: Record<string, string>): Promise<string[]> {
  const f = await fixture(files, async ({ ctxDir }) => {
    await Deno.chmod(`${ctxDir}/${Object.keys(files)[0]}`, 0o640);
  });
  try {
    await Deno.mkdir(`${f.root}/etc`);
    await Deno.writeTextFile(`${f.root}/etc/passwd`, PASSWD);
    await Deno.writeTextFile(`${f.root}/etc/group`, GROUP);
    await applyCopy(
      { instruction: instruction(line), origin: { kind: "context", context: f.ctx }, workdir: "/" },
      f.root,
    );
    return (await listing(f.root)).filter((l) => !l.startsWith("/etc"));
  } finally {
    await f.cleanup();
  }
}

Deno.test("COPY --chown by name takes the user's group; user:group by names or numbers", async () => {
  assertEquals(await copyWith("COPY --chown=app a /x/", { a: "A" }), [
    "/x/ 0755 1000:1001",
    "/x/a 0640 1000:1001 =A",
  ]);
  assertEquals(await copyWith("COPY --chown=app:staff a /a", { a: "A" }), [
    "/a 0640 1000:50 =A",
  ]);
  assertEquals(await copyWith("COPY --chown=1234 a /a", { a: "A" }), ["/a 0640 1234:1234 =A"]);
  assertEquals(await copyWith("COPY --chown=1234:staff a /a", { a: "A" }), [
    "/a 0640 1234:50 =A",
  ]);
  assertEquals(await copyWith("COPY --chown=app:7 d /d", { "d/f": "F" }), [
    "/d/ 0755 1000:7",
    "/d/f 0640 1000:7 =F",
  ]);
});

Deno.test("COPY --chown with an unknown name is a clear error", async () => {
  const user = await assertRejects(
    () => copyWith("COPY --chown=nobody a /a", { a: "A" }),
    InvalidArgumentError,
  );
  assertStringIncludes(user.message, "no such user: nobody");
  const group = await assertRejects(
    () => copyWith("COPY --chown=app:wheel a /a", { a: "A" }),
    InvalidArgumentError,
  );
  assertStringIncludes(group.message, "no such group: wheel");
});

Deno.test("COPY --chown reads /etc/passwd inside the root, never through a symlink out", async () => {
  const f = await fixture({ a: "A" });
  try {
    // the outside "passwd" names a user the root does not have
    await Deno.writeTextFile(`${f.outside}/passwd`, "evil:x:4242:4242::/:/bin/sh\n");
    await Deno.symlink(f.outside, `${f.root}/etc`);
    await assertRejects(
      () =>
        applyCopy(
          {
            instruction: instruction("COPY --chown=evil a /a"),
            origin: { kind: "context", context: f.ctx },
            workdir: "/",
          },
          f.root,
        ),
      InvalidArgumentError,
    );
  } finally {
    await f.cleanup();
  }
});

Deno.test("COPY --chmod sets octal or symbolic modes on files and directories", async () => {
  assertEquals(await copyWith("COPY --chmod=0755 a /a", { a: "A" }), ["/a 0755 0:0 =A"]);
  assertEquals(await copyWith("COPY --chmod=4711 d /d/", { "d/f": "F" }), [
    "/d/ 0755 0:0",
    "/d/f 4711 0:0 =F",
  ]);
  assertEquals(await copyWith("COPY --chmod=u+x,g-r,o=r a /a", { a: "A" }), [
    "/a 0704 0:0 =A",
  ]);
  await assertRejects(() => copyWith("COPY --chmod=99 a /a", { a: "A" }), InvalidArgumentError);
});

Deno.test("parseChmod follows chmod(1): X only for directories and executables", () => {
  const x = parseChmod("a+X")!;
  assertEquals(x(0o644, false).toString(8), "644");
  assertEquals(x(0o744, false).toString(8), "755");
  assertEquals(x(0o700, true).toString(8), "711");
  assertEquals(parseChmod("go=u")!(0o750, false).toString(8), "777");
  assertEquals(parseChmod("u=rw,go=")!(0o777, false).toString(8), "600");
  assertEquals(parseChmod(""), undefined);
});

Deno.test("COPY --from keeps the owners and modes of the source root", async () => {
  const f = await fixture({});
  try {
    const from = `${f.top}/from`;
    await Deno.mkdir(`${from}/opt/tool`, { recursive: true });
    await Deno.writeTextFile(`${from}/opt/tool/bin`, "B");
    await Deno.chown(`${from}/opt/tool/bin`, 33, 44);
    await Deno.chmod(`${from}/opt/tool/bin`, 0o4750);
    await Deno.chown(`${from}/opt/tool`, 5, 6);
    await applyCopy(
      {
        instruction: instruction("COPY opt /opt"),
        origin: { kind: "root", root: from },
        workdir: "/",
      },
      f.root,
    );
    assertEquals(await listing(f.root), [
      "/opt/ 0755 0:0",
      "/opt/tool/ 0755 5:6",
      "/opt/tool/bin 4750 33:44 =B",
    ]);
  } finally {
    await f.cleanup();
  }
});

Deno.test("COPY --from keeps hard links and extended attributes (file capabilities)", async () => {
  const f = await fixture({});
  try {
    const from = `${f.top}/from`;
    await Deno.mkdir(`${from}/bin`, { recursive: true });
    await Deno.writeTextFile(`${from}/bin/ping`, "PING");
    await Deno.link(`${from}/bin/ping`, `${from}/bin/ping6`);
    lsetxattr(`${from}/bin/ping`, "user.skiff.test", new TextEncoder().encode("v1"));
    await applyCopy(
      {
        instruction: instruction("COPY --chown=9:9 bin /usr/bin/"),
        origin: { kind: "root", root: from },
        workdir: "/",
      },
      f.root,
    );
    const a = await Deno.lstat(`${f.root}/usr/bin/ping`);
    const b = await Deno.lstat(`${f.root}/usr/bin/ping6`);
    assertEquals(a.ino, b.ino);
    assertEquals(a.nlink, 2);
    assertEquals([a.uid, a.gid], [9, 9]);
    assertEquals(
      new TextDecoder().decode(lgetxattr(`${f.root}/usr/bin/ping`, "user.skiff.test")),
      "v1",
    );
    // a single file through a symlink keeps its attributes too
    await Deno.symlink("ping", `${from}/bin/alias`);
    await applyCopy(
      {
        instruction: instruction("COPY bin/alias /one"),
        origin: { kind: "root", root: from },
        workdir: "/",
      },
      f.root,
    );
    assertEquals(await Deno.readTextFile(`${f.root}/one`), "PING");
    assertEquals(new TextDecoder().decode(lgetxattr(`${f.root}/one`, "user.skiff.test")), "v1");
  } finally {
    await f.cleanup();
  }
});

Deno.test("COPY --from applies --exclude and --parents inside the root", async () => {
  const f = await fixture({});
  try {
    const from = `${f.top}/from`;
    await Deno.mkdir(`${from}/app/cache`, { recursive: true });
    await Deno.mkdir(`${from}/app/lib`, { recursive: true });
    await Deno.writeTextFile(`${from}/app/cache/big`, "C");
    await Deno.writeTextFile(`${from}/app/lib/x.so`, "X");
    await Deno.writeTextFile(`${from}/app/main`, "M");
    await Deno.writeTextFile(`${from}/app/main.log`, "L");
    const origin = { kind: "root" as const, root: from };
    await applyCopy(
      {
        instruction: instruction("COPY --exclude=cache --exclude=*.log app /a/"),
        origin,
        workdir: "/",
      },
      f.root,
    );
    await applyCopy(
      { instruction: instruction("COPY --parents app/lib/*.so /p/"), origin, workdir: "/" },
      f.root,
    );
    assertEquals(await listing(f.root), [
      "/a/ 0755 0:0",
      "/a/lib/ 0755 0:0",
      "/a/lib/x.so 0644 0:0 =X",
      "/a/main 0644 0:0 =M",
      "/p/ 0755 0:0",
      "/p/app/ 0755 0:0",
      "/p/app/lib/ 0755 0:0",
      "/p/app/lib/x.so 0644 0:0 =X",
    ]);
  } finally {
    await f.cleanup();
  }
});
