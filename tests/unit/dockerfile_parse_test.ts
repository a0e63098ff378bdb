/**
 * Every instruction into the typed syntax tree, with BuildKit's argument checks and error
 * wording. Where "podman" is mentioned the case was also run with `podman build` (4.3.1).
 */
import { assert, assertEquals, assertThrows } from "../helpers/assert.ts";
import { parseDockerfile } from "../../src/build/dockerfile/parse.ts";
import { DockerfileSyntaxError } from "../../src/build/dockerfile/lexer.ts";
import type {
  AddInstruction,
  CopyInstruction,
  Instruction,
  RunInstruction,
} from "../../src/build/dockerfile/ast.ts";

const fixture = new URL("../fixtures/dockerfiles/every_instruction.Dockerfile", import.meta.url);

function error(src: string): string {
  return assertThrows(() => parseDockerfile(src), DockerfileSyntaxError).message;
}

function only(src: string): Instruction {
  const df = parseDockerfile(`FROM a\n${src}\n`);
  assertEquals(df.stages[0].instructions.length, 1);
  return df.stages[0].instructions[0];
}

/** The instruction without its position fields, for short comparisons. */
function bare(ins: Instruction): Record<string, unknown> {
  const { at: _a, endLine: _e, original: _o, ...rest } = ins;
  return rest;
}

Deno.test("parse: the fixture with every instruction", async () => {
  const df = parseDockerfile(await Deno.readTextFile(fixture), "every_instruction.Dockerfile");
  assertEquals(df.directives, { escape: "\\", syntax: "docker/dockerfile:1", check: "error=true" });
  assertEquals(df.metaArgs.length, 1);
  assertEquals(df.metaArgs[0].args, [{ key: "BASE", value: "busybox" }, { key: "TAG" }]);
  assertEquals(df.stages.length, 2);
  const [build, final] = df.stages;
  assertEquals(
    [build.from.image, build.from.name, build.from.platform],
    ["${BASE}:${TAG:-latest}", "build", "$BUILDPLATFORM"],
  );
  assertEquals(build.from.at, { file: "every_instruction.Dockerfile", line: 5, column: 1 });
  assertEquals(
    build.instructions.map((i) => i.kind),
    [
      "MAINTAINER",
      "ENV",
      "ENV",
      "ARG",
      "LABEL",
      "WORKDIR",
      "COPY",
      "ADD",
      "RUN",
      "RUN",
      "RUN",
      "COPY",
      "USER",
      "EXPOSE",
      "VOLUME",
      "VOLUME",
      "SHELL",
      "STOPSIGNAL",
      "HEALTHCHECK",
      "ONBUILD",
      "CMD",
      "ENTRYPOINT",
    ],
  );
  const [maint, env, legacy, arg, label, workdir, copy, add, run, exec, heredoc, copyDoc] =
    build.instructions;
  assertEquals(bare(maint), { kind: "MAINTAINER", value: "Jane Doe <jane@example.com>" });
  assertEquals(bare(env), {
    kind: "ENV",
    pairs: [{ key: "PATH", value: "/opt/bin:$PATH" }, { key: "HOME", value: '"/home/build"' }],
  });
  assertEquals(bare(legacy), {
    kind: "ENV",
    pairs: [{ key: "LEGACY", value: "value with spaces" }],
  });
  assertEquals(bare(arg), {
    kind: "ARG",
    args: [{ key: "VERSION", value: "1.0" }, { key: "REVISION" }],
  });
  assertEquals(bare(label), {
    kind: "LABEL",
    pairs: [
      { key: "org.opencontainers.image.version", value: '"$VERSION"' },
      { key: '"quoted key"', value: "v" },
    ],
  });
  assertEquals(bare(workdir), { kind: "WORKDIR", value: "/src" });
  assertEquals(bare(copy), {
    kind: "COPY",
    sources: ["."],
    inline: [],
    dest: "./",
    chown: "1000:1000",
    chmod: "0644",
    link: true,
    excludes: ["*.md", ".git"],
    from: "",
    parents: false,
  });
  assertEquals(bare(add), {
    kind: "ADD",
    sources: ["https://example.com/a.tar.gz"],
    inline: [],
    dest: "/tmp/",
    chown: "",
    chmod: "",
    link: false,
    excludes: [],
    checksum: "sha256:0123",
    keepGitDir: true,
  });
  assertEquals((exec as RunInstruction).network, "default");
  assertEquals(bare(run), {
    kind: "RUN",
    command: { form: "shell", command: "make build" },
    heredocs: [],
    mounts: ["type=cache,target=/root/.cache,sharing=locked", "type=secret,id=token"],
    network: "none",
    security: "sandbox",
  });
  assertEquals([run.at.line, run.endLine], [14, 17]);
  assertEquals((exec as RunInstruction).command, {
    form: "exec",
    args: ["/bin/sh", "-c", "echo exec form"],
  });
  assertEquals((heredoc as RunInstruction).command, { form: "shell", command: "<<EOF" });
  assertEquals((heredoc as RunInstruction).heredocs[0].content, 'echo "heredoc $VERSION"\n');
  assertEquals((copyDoc as CopyInstruction).inline, [
    { path: "EOT", content: "welcome\n", expand: true },
  ]);
  assertEquals((copyDoc as CopyInstruction).sources, []);
  assertEquals((copyDoc as CopyInstruction).dest, "/etc/motd");
  const rest = build.instructions.slice(12).map(bare);
  assertEquals(rest, [
    { kind: "USER", value: "1000:1000" },
    { kind: "EXPOSE", ports: ["8080", "9090/udp"] },
    { kind: "VOLUME", paths: ["/data", "/logs"] },
    { kind: "VOLUME", paths: ["/cache", "/tmp/x"] },
    { kind: "SHELL", shell: ["/bin/sh", "-eu", "-c"] },
    { kind: "STOPSIGNAL", value: "SIGTERM" },
    {
      kind: "HEALTHCHECK",
      health: {
        test: ["CMD-SHELL", "wget -q -O- http://localhost:8080/ || exit 1"],
        interval: 30e9,
        timeout: 5e9,
        startPeriod: 60e9,
        startInterval: 2e9,
        retries: 3,
      },
    },
    { kind: "ONBUILD", trigger: "RUN", expression: "RUN echo triggered" },
    { kind: "CMD", command: { form: "exec", args: ["serve", "--port", "8080"] } },
    { kind: "ENTRYPOINT", command: { form: "shell", command: "exec server" } },
  ]);
  assertEquals([final.from.image, final.from.name], ["scratch", ""]);
  assertEquals((final.instructions[0] as CopyInstruction).from, "build");
  assertEquals((final.instructions[0] as CopyInstruction).parents, true);
  assertEquals(bare(final.instructions[1]).health, {
    test: ["NONE"],
    interval: 0,
    timeout: 0,
    startPeriod: 0,
    startInterval: 0,
    retries: 0,
  });
});

Deno.test("parse: unknown instruction, with file, line, column and a suggestion", () => {
  assertEquals(
    error("FROM a\nFORM x\n"),
    "Dockerfile:2:1: unknown instruction: FORM (did you mean FROM?)",
  );
  assertEquals(
    error("FROM a\n   frobnicate x\n"),
    "Dockerfile:2:4: unknown instruction: frobnicate",
  );
  // The suggestion follows the case the instruction was written in; EXPOSE sorts its ports.
  assertEquals(
    error("from a\nrunn x\n"),
    "Dockerfile:2:1: unknown instruction: runn (did you mean run?)",
  );
  assertEquals(bare(only("EXPOSE 9000 80/udp 443")).ports, ["443", "80/udp", "9000"]);
  // Instructions are case-insensitive.
  assertEquals(parseDockerfile("from a\nrun x\n").stages[0].instructions[0].kind, "RUN");
  assertEquals(error("RUN x\n"), "Dockerfile:1:1: no build stage in current context");
});

Deno.test("parse: exec form, and invalid JSON falls back to shell form (podman)", () => {
  assertEquals((only('CMD ["a", "b c"]') as RunInstruction).command, {
    form: "exec",
    args: ["a", "b c"],
  });
  assertEquals((only('RUN ["echo", "a"') as RunInstruction).command, {
    form: "shell",
    command: '["echo", "a"',
  });
  assertEquals((only("RUN [ 'single' ]") as RunInstruction).command.form, "shell");
  assertEquals((only("CMD []") as RunInstruction).command, { form: "exec", args: [] });
  // Text after the array makes it invalid JSON: shell form.
  assertEquals((only('CMD ["a"] trailing') as RunInstruction).command, {
    form: "shell",
    command: '["a"] trailing',
  });
  assertEquals(
    error('FROM a\nRUN ["echo", 1]\n'),
    "Dockerfile:2:1: when using JSON array syntax, arrays must be comprised of strings only",
  );
  assertEquals((only("CMD") as RunInstruction).command, { form: "shell", command: "" });
});

Deno.test("parse: ENV and LABEL forms and their errors (podman: ENV a b c sets a='b c')", () => {
  assertEquals(bare(only("ENV a b c")), { kind: "ENV", pairs: [{ key: "a", value: "b c" }] });
  assertEquals(bare(only('ENV a="x y" b=\\ z c=')), {
    kind: "ENV",
    pairs: [{ key: "a", value: '"x y"' }, { key: "b", value: "\\ z" }, { key: "c", value: "" }],
  });
  assertEquals(bare(only("LABEL a b")), { kind: "LABEL", pairs: [{ key: "a", value: "b" }] });
  assertEquals(error("FROM a\nENV a\n"), "Dockerfile:2:1: ENV must have two arguments");
  assertEquals(
    error("FROM a\nENV a=1 b\n"),
    `Dockerfile:2:1: Syntax error - can't find = in "b". Must be of the form: name=value`,
  );
  assertEquals(error("FROM a\nENV =1\n"), "Dockerfile:2:1: ENV names can not be blank");
  assertEquals(error("FROM a\nLABEL\n"), "Dockerfile:2:1: LABEL requires at least one argument");
});

Deno.test("parse: ARG forms", () => {
  assertEquals(bare(only("ARG a b=1 c='x y' d=")), {
    kind: "ARG",
    args: [{ key: "a" }, { key: "b", value: "1" }, { key: "c", value: "'x y'" }, {
      key: "d",
      value: "",
    }],
  });
  assertEquals(error("FROM a\nARG =1\n"), "Dockerfile:2:1: ARG names can not be blank");
  assertEquals(error("FROM a\nARG\n"), "Dockerfile:2:1: ARG requires at least one argument");
});

Deno.test("parse: FROM forms and errors", () => {
  const df = parseDockerfile("FROM a AS One\nFROM --platform=linux/arm64 b as two\n");
  assertEquals(df.stages.map((s) => [s.from.image, s.from.name, s.from.platform]), [
    ["a", "one", ""],
    ["b", "two", "linux/arm64"],
  ]);
  assertEquals(error("FROM a b\n"), "Dockerfile:1:1: FROM requires either one or three arguments");
  assertEquals(error("FROM\n"), "Dockerfile:1:1: FROM requires either one or three arguments");
  assertEquals(
    error("FROM a AS 1x\n"),
    `Dockerfile:1:1: invalid name for build stage: "1x", name can't start with a number or contain symbols`,
  );
  assertEquals(error("FROM --chown=1 a\n"), "Dockerfile:1:6: unknown flag: --chown");
});

Deno.test("parse: flags are checked per instruction, with the flag's column", () => {
  assertEquals(
    error("FROM a\nCOPY --form=x a b\n"),
    "Dockerfile:2:6: unknown flag: --form (did you mean from?)",
  );
  assertEquals(error("FROM a\nRUN --foo x\n"), "Dockerfile:2:5: unknown flag: --foo");
  // BuildKit reads leading --words as flags for every instruction (podman does not for CMD).
  assertEquals(error("FROM a\nCMD --version\n"), "Dockerfile:2:5: unknown flag: --version");
  assertEquals(error("FROM a\nENV --x=1\n"), "Dockerfile:2:5: unknown flag: --x");
  assertEquals(
    error("FROM a\nCOPY --from=a --from=b x y\n"),
    "Dockerfile:2:15: duplicate flag specified: --from",
  );
  assertEquals(
    error("FROM a\nCOPY --from x y\n"),
    "Dockerfile:2:6: missing a value on flag: --from",
  );
  assertEquals(
    error("FROM a\nCOPY --link= x y\n"),
    "Dockerfile:2:6: missing a value on flag: --link",
  );
  assertEquals(
    error("FROM a\nCOPY --link=yes x y\n"),
    "Dockerfile:2:6: expecting boolean value for flag --link, not: yes",
  );
  assertEquals((only("COPY --link=false x y") as CopyInstruction).link, false);
  // `--exclude` repeats; `--` ends the flags and later words are arguments.
  assertEquals((only("COPY --exclude=a --exclude=b x y") as CopyInstruction).excludes, ["a", "b"]);
  assertEquals((only("COPY -- --x y") as CopyInstruction).sources, ["--x"]);
  // Quoted flag values; the escape directive applies inside flags too.
  assertEquals((only('COPY --chown="a b" x y') as CopyInstruction).chown, "a b");
  const esc = parseDockerfile("# escape=`\nFROM a\nCOPY --chown=a`:b x y\n");
  assertEquals((esc.stages[0].instructions[0] as CopyInstruction).chown, "a:b");
  // ADD has no --from, COPY has no --checksum.
  assertEquals(error("FROM a\nADD --from=x a b\n"), "Dockerfile:2:5: unknown flag: --from");
  assertEquals(
    error("FROM a\nCOPY --checksum=x a b\n"),
    "Dockerfile:2:6: unknown flag: --checksum",
  );
  // A flag on a continuation line gets the instruction's column.
  assertEquals(error("FROM a\nCOPY \\\n --bad=1 a b\n"), "Dockerfile:2:1: unknown flag: --bad");
  // STOPSIGNAL never reads its flags (as BuildKit).
  assertEquals(bare(only("STOPSIGNAL --x SIGKILL")), { kind: "STOPSIGNAL", value: "SIGKILL" });
});

Deno.test("parse: RUN --network and --security values are checked, --mount from= too", () => {
  assertEquals((only("RUN --network=host x") as RunInstruction).network, "host");
  assertEquals(
    error("FROM a\nRUN --network=bridge x\n"),
    'Dockerfile:2:1: invalid network mode "bridge"',
  );
  assertEquals((only("RUN --security=insecure x") as RunInstruction).security, "insecure");
  assertEquals(
    error("FROM a\nRUN --security=odd x\n"),
    'Dockerfile:2:1: security "odd" is not valid',
  );
  assertEquals(
    error("FROM a\nRUN --mount=from=$S,target=/x x\n"),
    "Dockerfile:2:1: 'from' doesn't support variable expansion, define alias stage instead",
  );
  // The rest of a mount is read when the stage is resolved, with its variables.
  assertEquals((only("RUN --mount=type=$T,target=/x x") as RunInstruction).mounts, [
    "type=$T,target=/x",
  ]);
});

Deno.test("parse: COPY and ADD argument rules and heredoc sources", () => {
  const msg =
    "requires at least two arguments, but only one was provided. Destination could not be determined";
  assertEquals(error("FROM a\nCOPY x\n"), `Dockerfile:2:1: COPY ${msg}`);
  assertEquals(error("FROM a\nADD x\n"), `Dockerfile:2:1: ADD ${msg}`);
  assertEquals(
    error("FROM a\nCOPY x <<EOF\nbody\nEOF\n"),
    "Dockerfile:2:1: COPY cannot accept a heredoc as a destination",
  );
  const c = only('COPY ["a b", "c"]') as CopyInstruction;
  assertEquals([c.sources, c.dest], [["a b"], "c"]);
  const df = parseDockerfile("FROM a\nCOPY <<one <<'two' src /dst/\n1 $X\none\n2 $X\ntwo\n");
  const docs = df.stages[0].instructions[0] as CopyInstruction;
  assertEquals(docs.inline, [
    { path: "one", content: "1 $X\n", expand: true },
    { path: "two", content: "2 $X\n", expand: false },
  ]);
  assertEquals([docs.sources, docs.dest], [["src"], "/dst/"]);
  const add = only("ADD --link a b") as AddInstruction;
  assertEquals([add.link, add.keepGitDir, add.unpack, add.checksum], [
    true,
    undefined,
    undefined,
    "",
  ]);
  const unpack = only("ADD --unpack=false --keep-git-dir=false a.tar b") as AddInstruction;
  assertEquals([unpack.unpack, unpack.keepGitDir], [false, false]);
});

Deno.test("parse: single-value instructions take the rest of the line", () => {
  assertEquals(bare(only("WORKDIR /my dir")), { kind: "WORKDIR", value: "/my dir" });
  for (const kind of ["USER", "WORKDIR", "STOPSIGNAL", "MAINTAINER"]) {
    assertEquals(
      error(`FROM a\n${kind}\n`),
      `Dockerfile:2:1: ${kind} requires exactly one argument`,
    );
  }
  assertEquals(error("FROM a\nEXPOSE\n"), "Dockerfile:2:1: EXPOSE requires at least one argument");
  assertEquals(error("FROM a\nVOLUME\n"), "Dockerfile:2:1: VOLUME requires at least one argument");
  assertEquals(
    error('FROM a\nVOLUME ["/a", " "]\n'),
    "Dockerfile:2:1: VOLUME specified can not be an empty string",
  );
});

Deno.test("parse: SHELL is JSON only (podman)", () => {
  assertEquals(
    error("FROM a\nSHELL /bin/sh -c\n"),
    "Dockerfile:2:1: SHELL requires the arguments to be in JSON form",
  );
  assertEquals(error("FROM a\nSHELL []\n"), "Dockerfile:2:1: SHELL requires at least one argument");
});

Deno.test("parse: HEALTHCHECK forms and errors", () => {
  const h = only('HEALTHCHECK --retries=2 CMD ["curl", "-f", "x"]');
  assertEquals((bare(h).health as { test: string[] }).test, ["CMD", "curl", "-f", "x"]);
  assertEquals((bare(h).health as { retries: number }).retries, 2);
  const cases: [string, string][] = [
    ["HEALTHCHECK NONE x", "HEALTHCHECK NONE takes no arguments"],
    ["HEALTHCHECK CMD", "Missing command after HEALTHCHECK CMD"],
    ["HEALTHCHECK RUN x", 'Unknown type "RUN" in HEALTHCHECK (try CMD)'],
    ["HEALTHCHECK", "HEALTHCHECK requires at least one argument"],
    ["HEALTHCHECK --interval=1us CMD x", 'Interval "interval" cannot be less than 1ms'],
    ["HEALTHCHECK --timeout=5 CMD x", 'time: missing unit in duration "5"'],
    ["HEALTHCHECK --start-period=abc CMD x", 'time: invalid duration "abc"'],
    ["HEALTHCHECK --retries=-1 CMD x", "--retries cannot be negative (-1)"],
    ["HEALTHCHECK --retries=x CMD x", 'strconv.ParseInt: parsing "x": invalid syntax'],
    ["HEALTHCHECK --foo=1 CMD x", "unknown flag: --foo"],
  ];
  for (const [line, reason] of cases) {
    const message = error(`FROM a\n${line}\n`);
    assert(message.endsWith(`: ${reason}`), `${line}: ${message}`);
    assert(message.startsWith("Dockerfile:2:"), message);
  }
  // 0s means "not set"; HEALTHCHECK NONE ignores flags (as BuildKit); flags after CMD belong
  // to the command.
  assertEquals(
    (bare(only("HEALTHCHECK --interval=0s --retries=0 CMD x")).health as { interval: number })
      .interval,
    0,
  );
  assertEquals((bare(only("HEALTHCHECK --bogus NONE")).health as { test: string[] }).test, [
    "NONE",
  ]);
  const late = bare(only("HEALTHCHECK CMD --interval=1s"));
  assertEquals((late.health as { test: string[] }).test, ["CMD-SHELL", "--interval=1s"]);
});

Deno.test("parse: ONBUILD keeps its trigger, refuses ONBUILD/FROM/MAINTAINER (podman)", () => {
  assertEquals(bare(only("onbuild  copy . /app")), {
    kind: "ONBUILD",
    trigger: "COPY",
    expression: "copy . /app",
  });
  const df = parseDockerfile("FROM a\nONBUILD RUN <<EOF\necho hi\nEOF\n");
  assertEquals(bare(df.stages[0].instructions[0]).expression, "RUN <<EOF\necho hi\nEOF");
  assertEquals(
    error("FROM a\nONBUILD ONBUILD RUN x\n"),
    "Dockerfile:2:1: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
  );
  assertEquals(
    error("FROM a\nONBUILD FROM b\n"),
    "Dockerfile:2:1: FROM isn't allowed as an ONBUILD trigger",
  );
  assertEquals(
    error("FROM a\nONBUILD maintainer me\n"),
    "Dockerfile:2:1: MAINTAINER isn't allowed as an ONBUILD trigger",
  );
  assertEquals(
    error("FROM a\nONBUILD\n"),
    "Dockerfile:2:1: ONBUILD requires at least one argument",
  );
});

Deno.test("parse: escape=` applies to ENV word splitting and continuations", () => {
  const df = parseDockerfile("# escape=`\nFROM a\nENV P=C:\\dir Q=a` b `\n  R=1\n");
  assertEquals(bare(df.stages[0].instructions[0]).pairs, [
    { key: "P", value: "C:\\dir" },
    { key: "Q", value: "a` b" },
    { key: "R", value: "1" },
  ]);
});

Deno.test("parse: ONBUILD's trigger gets BuildKit's line-level checks, not more", () => {
  assertEquals(
    error('FROM a\nONBUILD RUN ["a", 1]\n'),
    "Dockerfile:2:1: when using JSON array syntax, arrays must be comprised of strings only",
  );
  assertEquals(error("FROM a\nONBUILD ENV a\n"), "Dockerfile:2:1: ENV must have two arguments");
  // Unknown instructions and flags are only found when the trigger runs.
  assertEquals(bare(only("ONBUILD BOGUS --x y")).trigger, "BOGUS");
  assertEquals(bare(only("ONBUILD COPY --nope a b")).expression, "COPY --nope a b");
});
