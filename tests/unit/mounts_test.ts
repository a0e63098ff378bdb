import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import {
  checkDuplicateTargets,
  cleanPath,
  type MountParseContext,
  parseMountFlag,
  parseTmpfsFlag,
  parseVolumeFlag,
} from "../../src/runtime/mounts.ts";
import { InvalidArgumentError } from "../../src/errors.ts";

const ctx: MountParseContext = { cwd: "/home/u/proj", exists: (p) => p !== "/x" };

function assertError(f: () => unknown, message: string) {
  throws(f, (e: Error) => {
    assertEquals(e.message, message);
    assertEquals(e instanceof InvalidArgumentError, true);
    return true;
  });
}

Deno.test("cleanPath", () => {
  assertEquals(cleanPath("/a/./b/../c/"), "/a/c");
  assertEquals(cleanPath("/../a"), "/a");
  assertEquals(cleanPath("a/../../b"), "../b");
  assertEquals(cleanPath("//"), "/");
});

Deno.test("-v bind mounts", () => {
  assertEquals(parseVolumeFlag("/srv/data:/data:ro", ctx), {
    type: "bind",
    source: "/srv/data",
    target: "/data",
    readonly: true,
    propagation: "rprivate",
    recursive: true,
    createSource: true,
  });
  const rel = parseVolumeFlag("./src:/app/:rw,Z", ctx);
  assertEquals(rel.type === "bind" && rel.source, "/home/u/proj/src");
  assertEquals(rel.target, "/app");
  assertEquals(rel.readonly, false);
  // -v never checks that the source exists: Docker creates it.
  assertEquals(parseVolumeFlag("/x:/y", ctx).type, "bind");
  const shared = parseVolumeFlag("/a:/b:rshared", ctx);
  assertEquals(shared.type === "bind" && shared.propagation, "rshared");
});

Deno.test("-v named and anonymous volumes", () => {
  assertEquals(parseVolumeFlag("cache:/var/cache:nocopy", ctx), {
    type: "volume",
    name: "cache",
    target: "/var/cache",
    readonly: false,
    noCopy: true,
  });
  assertEquals(parseVolumeFlag("/data", ctx), {
    type: "volume",
    target: "/data",
    readonly: false,
    noCopy: false,
  });
});

Deno.test("-v errors", () => {
  assertError(() => parseVolumeFlag("a:b:c:d", ctx), "invalid volume specification: 'a:b:c:d'");
  assertError(() => parseVolumeFlag(":/x", ctx), "invalid volume specification: ':/x'");
  assertError(() => parseVolumeFlag("/data:ro", ctx), "invalid volume specification: '/data:ro'");
  assertError(() => parseVolumeFlag("/a:/b:xx", ctx), "invalid mode: xx");
  assertError(() => parseVolumeFlag("/a:/b:ro,rw", ctx), "invalid mode: ro,rw");
  assertError(
    () => parseVolumeFlag("/a:/", ctx),
    `invalid volume specification: '/a:/': invalid mount config for type "bind": invalid specification: destination can't be '/'`,
  );
  assertError(
    () => parseVolumeFlag("vol:rel", ctx),
    `invalid volume specification: 'vol:rel': invalid mount config for type "volume": invalid mount path: 'rel' mount path must be absolute`,
  );
  throws(() => parseVolumeFlag("bad$name:/x", ctx), InvalidArgumentError);
});

Deno.test("--mount bind", () => {
  assertEquals(parseMountFlag("type=bind,source=/src,target=/dst,readonly", ctx), {
    type: "bind",
    source: "/src",
    target: "/dst",
    readonly: true,
    propagation: "rprivate",
    recursive: true,
  });
  const m = parseMountFlag("type=bind,src=./a,dst=/b,bind-propagation=rslave,ro=false", ctx);
  assertEquals(m.type === "bind" && [m.source, m.propagation, m.readonly], [
    "/home/u/proj/a",
    "rslave",
    false,
  ]);
  assertError(
    () => parseMountFlag("type=bind,source=/x,target=/y", ctx),
    `invalid mount config for type "bind": bind source path does not exist: /x`,
  );
  assertError(
    () => parseMountFlag("type=bind,target=/y", ctx),
    `invalid mount config for type "bind": field Source must not be empty`,
  );
  assertError(
    () => parseMountFlag("type=bind,source=/a", ctx),
    `invalid mount config for type "bind": field Target must not be empty`,
  );
});

Deno.test("--mount volume and tmpfs", () => {
  assertEquals(parseMountFlag("source=v1,target=/data,volume-nocopy", ctx), {
    type: "volume",
    name: "v1",
    target: "/data",
    readonly: false,
    noCopy: true,
  });
  assertEquals(parseMountFlag("type=volume,dst=/anon", ctx), {
    type: "volume",
    target: "/anon",
    readonly: false,
    noCopy: false,
  });
  assertEquals(parseMountFlag("type=tmpfs,target=/run,tmpfs-size=64m,tmpfs-mode=1770", ctx), {
    type: "tmpfs",
    target: "/run",
    readonly: false,
    options: ["size=67108864", "mode=1770"],
  });
  assertError(
    () => parseMountFlag("type=tmpfs,source=a,target=/run", ctx),
    `invalid mount config for type "tmpfs": field Source must not be specified`,
  );
  assertError(
    () => parseMountFlag("type=bind,foo=1,target=/a", ctx),
    "unexpected key 'foo' in 'foo=1'",
  );
  assertError(
    () => parseMountFlag("type=bind,bogus", ctx),
    "invalid field 'bogus' must be a key=value pair",
  );
  throws(() => parseMountFlag("type=nfs,target=/a", ctx), InvalidArgumentError);
});

Deno.test("--tmpfs", () => {
  assertEquals(parseTmpfsFlag("/run:size=64m,mode=1777"), {
    type: "tmpfs",
    target: "/run",
    readonly: false,
    options: ["size=64m", "mode=1777"],
  });
  assertEquals(parseTmpfsFlag("/tmp"), {
    type: "tmpfs",
    target: "/tmp",
    readonly: false,
    options: [],
  });
  assertEquals(parseTmpfsFlag("/ro:ro").readonly, true);
  throws(() => parseTmpfsFlag("relative"), InvalidArgumentError);
});

Deno.test("duplicate mount points", () => {
  assertError(
    () => checkDuplicateTargets([parseTmpfsFlag("/a"), parseVolumeFlag("/a/", ctx)]),
    "Duplicate mount point: /a",
  );
  checkDuplicateTargets([parseTmpfsFlag("/a"), parseTmpfsFlag("/b")]);
});
