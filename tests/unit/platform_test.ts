import assert from "node:assert/strict";
import {
  formatPlatform,
  hostPlatform,
  normalizePlatform,
  parsePlatform,
  type Platform,
  platformMatches,
  selectManifest,
} from "../../src/image/platform.ts";
import { InvalidArgumentError, NotFoundError } from "../../src/errors.ts";

Deno.test("hostPlatform maps Deno.build", () => {
  const p = hostPlatform();
  assert.equal(p.os, "linux");
  if (Deno.build.arch === "x86_64") assert.deepEqual(p, { os: "linux", architecture: "amd64" });
  if (Deno.build.arch === "aarch64") {
    assert.deepEqual(p, { os: "linux", architecture: "arm64", variant: "v8" });
  }
});

Deno.test("parsePlatform and normalization", () => {
  assert.deepEqual(parsePlatform("linux/arm64/v8"), {
    os: "linux",
    architecture: "arm64",
    variant: "v8",
  });
  assert.deepEqual(parsePlatform("linux/arm64"), parsePlatform("linux/aarch64/8"));
  assert.deepEqual(parsePlatform("linux/x86_64"), { os: "linux", architecture: "amd64" });
  assert.deepEqual(parsePlatform("linux/armhf"), {
    os: "linux",
    architecture: "arm",
    variant: "v7",
  });
  assert.equal(parsePlatform("arm64").os, "linux");
  assert.equal(formatPlatform(parsePlatform("Linux/ARM/v6")), "linux/arm/v6");
  assert.deepEqual(normalizePlatform({ os: "linux", architecture: "386" }), {
    os: "linux",
    architecture: "386",
  });
  for (const bad of ["", "linux/", "a/b/c/d", "linux/amd 64"]) {
    assert.throws(() => parsePlatform(bad), InvalidArgumentError, bad);
  }
});

const entry = (p: Platform | undefined, digest: string) => ({ digest, platform: p });

Deno.test("selectManifest picks exact, then compatible", () => {
  const index = {
    manifests: [
      entry({ os: "unknown", architecture: "unknown" }, "att"),
      entry({ os: "linux", architecture: "amd64" }, "amd64"),
      entry({ os: "linux", architecture: "arm", variant: "v6" }, "armv6"),
      entry({ os: "linux", architecture: "arm", variant: "v7" }, "armv7"),
      entry({ os: "linux", architecture: "arm64", variant: "v8" }, "arm64"),
      entry(undefined, "none"),
    ],
  };
  assert.equal(selectManifest(index, parsePlatform("linux/amd64")).digest, "amd64");
  assert.equal(selectManifest(index, parsePlatform("linux/arm64")).digest, "arm64");
  assert.equal(selectManifest(index, parsePlatform("linux/arm/v7")).digest, "armv7");
  assert.equal(selectManifest(index, parsePlatform("linux/arm/v8")).digest, "armv7");
  assert.equal(selectManifest(index, parsePlatform("linux/arm/v6")).digest, "armv6");
  assert.equal(
    selectManifest({ manifests: [entry({ os: "linux", architecture: "arm64" }, "a")] }, {
      os: "linux",
      architecture: "arm64",
      variant: "v8",
    }).digest,
    "a",
  );
  assert.ok(platformMatches(parsePlatform("linux/amd64/v3"), parsePlatform("linux/amd64")));
  assert.ok(!platformMatches(parsePlatform("linux/amd64"), parsePlatform("linux/amd64/v3")));
});

Deno.test("selectManifest lists available platforms when none matches", () => {
  const index = {
    manifests: [
      entry({ os: "linux", architecture: "amd64" }, "amd64"),
      entry({ os: "linux", architecture: "arm", variant: "v7" }, "armv7"),
      entry({ os: "unknown", architecture: "unknown" }, "att"),
    ],
  };
  assert.throws(
    () => selectManifest(index, parsePlatform("linux/s390x")),
    (e) =>
      e instanceof NotFoundError &&
      e.message ===
        "no matching manifest for linux/s390x in the manifest list entries (available: linux/amd64, linux/arm/v7)",
  );
});
