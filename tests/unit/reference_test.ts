import assert from "node:assert/strict";
import {
  candidateReferences,
  familiarName,
  familiarRepository,
  isShortName,
  parseReference,
  parseSearchRegistries,
  shortNameRegistries,
} from "../../src/image/reference.ts";
import { InvalidArgumentError } from "../../src/errors.ts";

const assertEquals = (a: unknown, b: unknown, msg?: string) => assert.deepEqual(a, b, msg);
function assertThrows(
  fn: () => unknown,
  cls: new (...a: never[]) => Error,
  includes = "",
  msg?: string,
) {
  assert.throws(fn, (e) => e instanceof cls && e.message.includes(includes), msg);
}

const D = "sha256:" + "ab".repeat(32);

const GOOD: [string, string, string, string, string | undefined, string | undefined][] = [
  // input, toString, registry, repository, tag, digest
  [
    "busybox",
    "docker.io/library/busybox:latest",
    "docker.io",
    "library/busybox",
    "latest",
    undefined,
  ],
  [
    "busybox:1.36",
    "docker.io/library/busybox:1.36",
    "docker.io",
    "library/busybox",
    "1.36",
    undefined,
  ],
  ["user/img", "docker.io/user/img:latest", "docker.io", "user/img", "latest", undefined],
  [
    "docker.io/busybox",
    "docker.io/library/busybox:latest",
    "docker.io",
    "library/busybox",
    "latest",
    undefined,
  ],
  [
    "index.docker.io/library/busybox",
    "docker.io/library/busybox:latest",
    "docker.io",
    "library/busybox",
    "latest",
    undefined,
  ],
  ["localhost/x", "localhost/x:latest", "localhost", "x", "latest", undefined],
  ["localhost:5000/a/b:v1", "localhost:5000/a/b:v1", "localhost:5000", "a/b", "v1", undefined],
  [
    "127.0.0.1:5000/repo",
    "127.0.0.1:5000/repo:latest",
    "127.0.0.1:5000",
    "repo",
    "latest",
    undefined,
  ],
  [
    "quay.io/org/app_x-y.z",
    "quay.io/org/app_x-y.z:latest",
    "quay.io",
    "org/app_x-y.z",
    "latest",
    undefined,
  ],
  ["a__b/c--d", "docker.io/a__b/c--d:latest", "docker.io", "a__b/c--d", "latest", undefined],
  [`repo@${D}`, `docker.io/library/repo@${D}`, "docker.io", "library/repo", undefined, D],
  [`repo:tag@${D}`, `docker.io/library/repo:tag@${D}`, "docker.io", "library/repo", "tag", D],
  ["[::1]:5000/x:y", "[::1]:5000/x:y", "[::1]:5000", "x", "y", undefined],
  ["Host.Example/x", "Host.Example/x:latest", "Host.Example", "x", "latest", undefined],
  ["host:5000/x:_tag.A-1", "host:5000/x:_tag.A-1", "host:5000", "x", "_tag.A-1", undefined],
  [
    "x:" + "a".repeat(128),
    "docker.io/library/x:" + "a".repeat(128),
    "docker.io",
    "library/x",
    "a".repeat(128),
    undefined,
  ],
];

Deno.test("parseReference normalizes good references", () => {
  for (const [input, str, registry, repository, tag, digest] of GOOD) {
    const ref = parseReference(input);
    assertEquals(ref.toString(), str, input);
    assertEquals(String(ref), str, input);
    assertEquals(ref.registry, registry, input);
    assertEquals(ref.repository, repository, input);
    assertEquals(ref.tag, tag, input);
    assertEquals(ref.digest, digest, input);
  }
});

const BAD: [string, string][] = [
  ["", "invalid reference format"],
  ["UPPER", "invalid reference format: repository name must be lowercase"],
  ["user/Img", "invalid reference format: repository name must be lowercase"],
  ["busybox:", "invalid reference format"],
  ["busybox:-tag", "invalid reference format"],
  ["x:" + "a".repeat(129), "invalid reference format"],
  ["busybox@sha256:abc", "invalid reference format: invalid digest format"],
  ["busybox@md5:" + "a".repeat(32), "invalid reference format: invalid digest format"],
  ["busybox@sha256:" + "G".repeat(64), "invalid reference format: invalid digest format"],
  ["a/-b", "invalid reference format"],
  ["a/b_", "invalid reference format"],
  ["a//b", "invalid reference format"],
  ["a/b/", "invalid reference format"],
  ["a___b", "invalid reference format"],
  [":tag", "invalid reference format: repository name must have at least one component"],
  ["-host.io/x", "invalid reference format"],
  [" busybox", "invalid reference format"],
  [
    "a".repeat(64),
    "invalid repository name (" + "a".repeat(64) + "), cannot specify 64-byte hexadecimal strings",
  ],
  [
    "host.io/" + "a".repeat(250),
    "invalid reference format: repository name must not be more than 255 characters",
  ],
];

Deno.test("parseReference rejects bad references with Docker's messages", () => {
  for (const [input, message] of BAD) {
    assertThrows(() => parseReference(input), InvalidArgumentError, message, input);
    try {
      parseReference(input);
    } catch (e) {
      assertEquals((e as Error).message, message, input);
    }
  }
});

Deno.test("familiarName drops docker.io and library/", () => {
  assertEquals(familiarName(parseReference("busybox")), "busybox:latest");
  assertEquals(familiarName(parseReference("docker.io/library/busybox:1")), "busybox:1");
  assertEquals(familiarName(parseReference("user/img:2")), "user/img:2");
  assertEquals(familiarName(parseReference("library/a/b")), "library/a/b:latest");
  assertEquals(familiarName(parseReference("quay.io/a/b")), "quay.io/a/b:latest");
  assertEquals(familiarName(parseReference(`x@${D}`)), `x@${D}`);
  assertEquals(familiarRepository(parseReference("localhost:5000/x:1")), "localhost:5000/x");
});

Deno.test("reference helpers", () => {
  const ref = parseReference(`repo:tag@${D}`);
  assertEquals(ref.tagOrDigest, D);
  assertEquals(ref.name, "docker.io/library/repo");
  assertEquals(ref.withTag("v2").toString(), "docker.io/library/repo:v2");
  assertEquals(ref.withDigest(D).toString(), `docker.io/library/repo@${D}`);
  assertEquals(isShortName("busybox"), true);
  assertEquals(isShortName("user/img"), true);
  assertEquals(isShortName("localhost/img"), false);
  assertEquals(isShortName("quay.io/img"), false);
});

Deno.test("registries.conf search list", async () => {
  assertEquals(
    parseSearchRegistries(
      '# c\nother = 1\nunqualified-search-registries = [\n  "docker.io", # hub\n  "quay.io",\n]\n',
    ),
    ["docker.io", "quay.io"],
  );
  assertEquals(parseSearchRegistries("x = 1"), undefined);
  assertThrows(
    () => parseSearchRegistries("unqualified-search-registries = 1"),
    InvalidArgumentError,
  );
  const dir = await Deno.makeTempDir();
  const prev = Deno.env.get("SKIFF_REGISTRIES_CONF");
  try {
    Deno.env.set("SKIFF_REGISTRIES_CONF", `${dir}/missing.conf`);
    assertEquals(shortNameRegistries(), ["docker.io"]);
    await Deno.writeTextFile(
      `${dir}/r.conf`,
      'unqualified-search-registries = ["quay.io", "docker.io"]\n',
    );
    Deno.env.set("SKIFF_REGISTRIES_CONF", `${dir}/r.conf`);
    assertEquals(shortNameRegistries(), ["quay.io", "docker.io"]);
    assertEquals(candidateReferences("busybox:1").map(String), [
      "quay.io/busybox:1",
      "docker.io/library/busybox:1",
    ]);
    assertEquals(candidateReferences("localhost/x").map(String), ["localhost/x:latest"]);
  } finally {
    if (prev === undefined) Deno.env.delete("SKIFF_REGISTRIES_CONF");
    else Deno.env.set("SKIFF_REGISTRIES_CONF", prev);
    await Deno.remove(dir, { recursive: true });
  }
});
