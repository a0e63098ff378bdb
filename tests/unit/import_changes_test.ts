/** `--change` instructions for `import` (and later `commit`): Dockerfile syntax and errors. */
import { assert, assertEquals, assertStringIncludes, assertThrows } from "../helpers/assert.ts";
import { applyChanges, importConfig } from "../../src/image/import_rootfs.ts";
import { parseImportArgs } from "../../src/commands/import.ts";
import { InvalidArgumentError } from "../../src/errors.ts";

Deno.test("CMD and ENTRYPOINT take JSON arrays or shell form", () => {
  assertEquals(applyChanges({}, ['CMD ["sh", "-c", "echo hi"]']).Cmd, ["sh", "-c", "echo hi"]);
  assertEquals(applyChanges({}, ["CMD echo hi there"]).Cmd, ["/bin/sh", "-c", "echo hi there"]);
  assertEquals(applyChanges({}, ["cmd [not json"]).Cmd, ["/bin/sh", "-c", "[not json"]);
  assertEquals(applyChanges({}, ['ENTRYPOINT ["/bin/app"]']).Entrypoint, ["/bin/app"]);
  // An ENTRYPOINT drops an inherited CMD unless this change set sets one.
  assertEquals(applyChanges({ Cmd: ["sh"] }, ['ENTRYPOINT ["x"]']).Cmd, null);
  const both = applyChanges({ Cmd: ["old"] }, ['CMD ["new"]', 'ENTRYPOINT ["x"]']);
  assertEquals(both.Cmd, ["new"]);
  assertEquals(both.Entrypoint, ["x"]);
});

Deno.test("ENV and LABEL: pairs, quotes, legacy form, replacement", () => {
  const c = applyChanges({ Env: ["A=0", "PATH=/bin"] }, [
    "ENV A=1",
    'ENV B="two words" C=3',
    "ENV D legacy value",
    "env E=a\\ b",
  ]);
  assertEquals(c.Env, ["A=1", "PATH=/bin", "B=two words", "C=3", "D=legacy value", "E=a b"]);
  const l = applyChanges({}, ["LABEL a=1 \"b c\"='x y'", "LABEL version 1.0"]);
  assertEquals(l.Labels, { a: "1", "b c": "x y", version: "1.0" });
  assertThrows(() => applyChanges({}, ['ENV A="open']), InvalidArgumentError);
  assertThrows(() => applyChanges({}, ["ENV =x"]), InvalidArgumentError);
  assertThrows(() => applyChanges({}, ["ENV A=1 B"]), InvalidArgumentError);
});

Deno.test("EXPOSE, VOLUME, USER, WORKDIR, STOPSIGNAL, ONBUILD", () => {
  const c = applyChanges({}, [
    "EXPOSE 80 53/udp 8000-8001",
    'VOLUME ["/data", "/logs"]',
    "VOLUME /cache",
    "USER 1000:1000",
    "WORKDIR /app",
    "WORKDIR sub/../dir",
    "STOPSIGNAL SIGINT",
    "ONBUILD RUN make",
  ]);
  assertEquals(c.ExposedPorts, { "80/tcp": {}, "53/udp": {}, "8000/tcp": {}, "8001/tcp": {} });
  assertEquals(c.Volumes, { "/data": {}, "/logs": {}, "/cache": {} });
  assertEquals(c.User, "1000:1000");
  assertEquals(c.WorkingDir, "/app/dir");
  assertEquals(c.StopSignal, "SIGINT");
  assertEquals(c.OnBuild, ["RUN make"]);
  assertEquals(applyChanges({}, ["STOPSIGNAL 9"]).StopSignal, "9");
});

Deno.test("bad instructions are one-line InvalidArgumentErrors", () => {
  for (
    const bad of [
      "RUN echo",
      "FROM busybox",
      "CMD",
      "EXPOSE http",
      "EXPOSE 70000",
      "STOPSIGNAL SIGNOPE",
      "ONBUILD ONBUILD RUN x",
      "ONBUILD FROM x",
      'VOLUME [""]',
    ]
  ) {
    const err = assertThrows(() => applyChanges({}, [bad]), InvalidArgumentError);
    assert(!err.message.includes("\n"), bad);
  }
  const err = assertThrows(() => applyChanges({}, ["RUN x"]), InvalidArgumentError);
  assertStringIncludes(err.message, "run is not a valid change command");
});

Deno.test("importConfig: platform, created, history, comment", () => {
  const now = new Date("2024-05-01T00:00:00Z");
  const doc = importConfig({
    changes: ['CMD ["sh"]'],
    message: "hello",
    platform: { os: "linux", architecture: "arm64", variant: "v8" },
    now,
  });
  assertEquals(doc.architecture, "arm64");
  assertEquals(doc.variant, "v8");
  assertEquals(doc.created, now.toISOString());
  assertEquals(doc.comment, "hello");
  assertEquals(doc.config, { Cmd: ["sh"] });
  assertEquals(doc.history, [{
    created: now.toISOString(),
    created_by: "import",
    comment: "hello",
  }]);
  const plain = importConfig({ sourceName: "-", now });
  assertEquals(plain.history, [{
    created: now.toISOString(),
    created_by: "import",
    comment: "Imported from -",
  }]);
});

Deno.test("import arguments: repository normalised, digests refused", () => {
  assertEquals(parseImportArgs({}, ["-", "mine"]).tag, "docker.io/library/mine:latest");
  assertEquals(parseImportArgs({}, ["f.tar"]).tag, undefined);
  assertThrows(
    () => parseImportArgs({}, ["-", `x@sha256:${"a".repeat(64)}`]),
    InvalidArgumentError,
  );
});
