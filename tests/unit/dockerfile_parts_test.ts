/**
 * The small pieces of the Dockerfile parser: flag words, JSON form, word splitting, flag
 * specs, Go durations, platforms, RUN heredoc scripts and ONBUILD triggers.
 */
import { assertEquals, assertThrows } from "../helpers/assert.ts";
import {
  extractFlags,
  isSpace,
  NotStringArrayError,
  parseJSONArray,
  parseNameValues,
  parseWords,
  splitCommand,
} from "../../src/build/dockerfile/words.ts";
import { parseFlags, suggest } from "../../src/build/dockerfile/flags.ts";
import { formatGoDuration, parseGoDuration } from "../../src/build/dockerfile/duration.ts";
import {
  formatPlatform,
  parsePlatform,
  platformArgs,
} from "../../src/build/dockerfile/platform.ts";
import { runScript } from "../../src/build/dockerfile/run_script.ts";
import { exposedPorts } from "../../src/build/dockerfile/expose.ts";
import { parseDockerfile, parseTriggers } from "../../src/build/dockerfile/parse.ts";
import { DockerfileSyntaxError } from "../../src/build/dockerfile/lexer.ts";
import type { RunInstruction } from "../../src/build/dockerfile/ast.ts";

Deno.test("splitCommand and extractFlags: leading --words only, quotes and -- handled", () => {
  assertEquals(splitCommand("  RUN   --mount=a  --network=none echo --x  "), {
    command: "RUN",
    flags: ["--mount=a", "--network=none"],
    rest: "echo --x",
  });
  assertEquals(splitCommand("CMD"), { command: "CMD", flags: [], rest: "" });
  assertEquals(extractFlags(`--a="x y" --b='z' --c=\\ q rest`), {
    flags: ["--a=x y", "--b=z", "--c= q"],
    rest: "rest",
  });
  assertEquals(extractFlags("--a -- --b c"), { flags: ["--a"], rest: " --b c" });
  assertEquals(extractFlags("-x --y"), { flags: [], rest: "-x --y" });
  assertEquals(extractFlags("--only"), { flags: ["--only"], rest: "" });
});

Deno.test("parseJSONArray: strings only, invalid JSON is null (shell form)", () => {
  assertEquals(parseJSONArray(' ["a", "b\\"c", "\\u00e9"]'), ["a", 'b"c', "é"]);
  assertEquals(parseJSONArray('["a"]  and more'), null);
  assertEquals(parseJSONArray('["a"]  '), ["a"]);
  assertEquals(parseJSONArray('["a" "b"]'), null);
  assertEquals(parseJSONArray('["a",]'), null);
  assertEquals(parseJSONArray("[unterminated"), null);
  assertEquals(parseJSONArray("echo [a]"), null);
  assertEquals(parseJSONArray('["]"]'), ["]"]);
  assertThrows(() => parseJSONArray('["a", ["b"]]'), NotStringArrayError);
  assertThrows(() => parseJSONArray("[null]"), NotStringArrayError);
});

Deno.test("parseWords keeps quotes and escapes; parseNameValues picks the form", () => {
  assertEquals(parseWords(`a="b c" d='e \\' f\\ g "h`, "\\"), [
    'a="b c"',
    "d='e \\'",
    "f\\ g",
    '"h',
  ]);
  assertEquals(parseNameValues("k  v  w", "ENV", "\\"), [{ key: "k", value: "v  w" }]);
  assertEquals(parseNameValues("a=1 b=", "LABEL", "\\"), [
    { key: "a", value: "1" },
    { key: "b", value: "" },
  ]);
});

Deno.test("parseFlags: kinds, repeats and suggestions", () => {
  const v = parseFlags(["--m=a", "--m=b", "--b", "--s=x=y"], {
    m: "strings",
    b: "bool",
    s: "string",
  });
  assertEquals([v.lists.get("m"), v.bools.get("b"), v.strings.get("s")], [["a", "b"], true, "x=y"]);
  assertEquals(parseFlags(["--b=FALSE"], { b: "bool" }).bools.get("b"), false);
  assertEquals(
    assertThrows(() => parseFlags(["--b", "--b"], { b: "bool" }), Error).message,
    "duplicate flag specified: --b",
  );
  assertEquals(suggest("plaform", ["platform", "from"], true), " (did you mean platform?)");
  assertEquals(suggest("zzzzzz", ["platform"]), "");
  assertEquals(suggest("Form", ["FROM", "RUN"]), " (did you mean from?)");
  assertEquals(suggest("FORM", ["from"]), " (did you mean FROM?)");
  assertEquals(suggest("run", ["RUN", "RAN"]), "", "an exact match suggests nothing");
});

Deno.test("parseGoDuration: Go's syntax", () => {
  assertEquals(parseGoDuration("1h2m3.5s"), 3723.5e9);
  assertEquals(parseGoDuration("500ms"), 5e8);
  assertEquals(parseGoDuration("1.5h"), 5400e9);
  assertEquals(parseGoDuration("10us") + parseGoDuration("10µs"), 2e4);
  assertEquals(parseGoDuration("0"), 0);
  assertEquals(parseGoDuration("-1s"), -1e9);
  for (
    const [bad, reason] of [
      ["", 'time: invalid duration ""'],
      ["s", 'time: invalid duration "s"'],
      ["1", 'time: missing unit in duration "1"'],
      ["1d", 'time: unknown unit "d" in duration "1d"'],
      [".s", 'time: invalid duration ".s"'],
    ]
  ) {
    assertEquals(assertThrows(() => parseGoDuration(bad), Error).message, reason);
  }
  assertEquals(formatGoDuration(90e9), "1m30s");
  assertEquals(formatGoDuration(5e8), "500ms");
});

Deno.test("platforms: parse, normalize, format, and the automatic args", () => {
  assertEquals(parsePlatform("linux/amd64"), { os: "linux", architecture: "amd64" });
  assertEquals(parsePlatform("linux/x86_64"), { os: "linux", architecture: "amd64" });
  assertEquals(parsePlatform("linux/arm64/v8"), { os: "linux", architecture: "arm64" });
  assertEquals(parsePlatform("linux/arm"), { os: "linux", architecture: "arm", variant: "v7" });
  assertEquals(parsePlatform("arm64"), { os: "linux", architecture: "arm64" });
  assertEquals(formatPlatform(parsePlatform("linux/arm/v6")), "linux/arm/v6");
  assertEquals(
    assertThrows(() => parsePlatform("linux//x"), Error).message,
    '"linux//x": invalid platform specifier',
  );
  const args = platformArgs(parsePlatform("linux/amd64"), parsePlatform("linux/arm64"), "app");
  assertEquals([...args], [
    ["BUILDPLATFORM", "linux/amd64"],
    ["BUILDOS", "linux"],
    ["BUILDOSVERSION", ""],
    ["BUILDARCH", "amd64"],
    ["BUILDVARIANT", ""],
    ["TARGETPLATFORM", "linux/arm64"],
    ["TARGETOS", "linux"],
    ["TARGETOSVERSION", ""],
    ["TARGETARCH", "arm64"],
    ["TARGETVARIANT", ""],
    ["TARGETSTAGE", "app"],
  ]);
});

function run(src: string): RunInstruction {
  return parseDockerfile(`FROM a\n${src}`).stages[0].instructions[0] as RunInstruction;
}

Deno.test("runScript: what a RUN with heredocs executes", () => {
  assertEquals(runScript(run('RUN ["a", "b"]\n')), { kind: "exec", args: ["a", "b"] });
  assertEquals(runScript(run("RUN echo hi\n")), { kind: "shell", script: "echo hi" });
  assertEquals(runScript(run("RUN <<-EOF\n\techo hi\n\tEOF\n")), {
    kind: "shell",
    script: "echo hi\n",
  });
  assertEquals(runScript(run("RUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\n")), {
    kind: "file",
    name: "EOF",
    content: "#!/usr/bin/env python3\nprint(1)\n",
  });
  assertEquals(runScript(run("RUN cat <<'A' >/a && cat <<B >/b\n$x\nA\n$y\nB\n")), {
    kind: "shell",
    script: "cat <<'A' >/a && cat <<B >/b\n$x\nA\n$y\nB",
  });
});

Deno.test("parseTriggers: trigger strings at the stage's FROM position", () => {
  const at = { file: "Dockerfile", line: 7, column: 1 };
  const [copy, runIns, nested] = parseTriggers(
    ["COPY . /app", "RUN <<EOF\necho hi\nEOF", "ONBUILD RUN x"],
    at,
  );
  assertEquals([copy.kind, runIns.kind, nested.kind], ["COPY", "RUN", "ONBUILD"]);
  assertEquals([copy.at, runIns.endLine], [at, 7]);
  assertEquals((runIns as RunInstruction).heredocs[0].content, "echo hi\n");
  assertEquals(
    assertThrows(() => parseTriggers(["COPY --bad=1 a b"], at), DockerfileSyntaxError).message,
    "Dockerfile:7:1: unknown flag: --bad",
  );
});

Deno.test("isSpace is Go's unicode.IsSpace", () => {
  assertEquals(["\t", " ", "\u0085", "\u00a0", "\u3000"].map(isSpace), [
    true,
    true,
    true,
    true,
    true,
  ]);
  assertEquals(["\ufeff", "x", "_"].map(isSpace), [false, false, false]);
});

Deno.test("exposedPorts: EXPOSE words into port/proto, as BuildKit checks them", () => {
  assertEquals(exposedPorts("80"), ["80/tcp"]);
  assertEquals(exposedPorts("53/UDP"), ["53/udp"]);
  assertEquals(exposedPorts("8000-8002/sctp"), ["8000/sctp", "8001/sctp", "8002/sctp"]);
  assertEquals(exposedPorts("127.0.0.1:8080:80"), ["80/tcp"]);
  assertEquals(exposedPorts("[::1]:8080:80/udp"), ["80/udp"]);
  const bad = (p: string) => assertThrows(() => exposedPorts(p), Error).message;
  assertEquals(bad("80/xyz"), 'invalid port: "80/xyz": invalid proto: xyz');
  assertEquals(bad("/tcp"), 'invalid port: "/tcp": no port specified');
  assertEquals(bad("http"), "invalid containerPort: http");
  assertEquals(bad("70000"), "invalid containerPort: 70000");
  assertEquals(bad("9-8"), "invalid containerPort: 9-8");
  assertEquals(bad("x:80"), "invalid hostPort: x");
  assertEquals(bad("1.2.3.999:80:80"), "invalid IP address: 1.2.3.999");
  assertEquals(
    bad("8000-8001:80-82"),
    "invalid ranges specified for container and host Ports: 80-82 and 8000-8001",
  );
});
