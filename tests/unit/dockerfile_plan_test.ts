/**
 * From the syntax tree and the build arguments to resolved stages: global ARGs in FROM lines,
 * stage scoping, --build-arg, the automatic platform args, proxy args, which instructions
 * substitute, --target, and cycles. Checked against `podman build` 4.3.1 on busybox where
 * podman follows Docker; where BuildKit differs from podman (noted), BuildKit's code and
 * Docker's documentation are followed.
 */
import { assert, assertEquals, assertThrows } from "../helpers/assert.ts";
import { parseDockerfile } from "../../src/build/dockerfile/parse.ts";
import { type BuildPlan, planBuild, type PlanOptions } from "../../src/build/dockerfile/plan.ts";
import {
  envMap,
  type ResolvedStage,
  resolveStage,
  resolveStages,
  unusedBuildArgs,
} from "../../src/build/dockerfile/stage.ts";
import { DockerfileSyntaxError } from "../../src/build/dockerfile/lexer.ts";
import type { Instruction } from "../../src/build/dockerfile/ast.ts";
import { InvalidArgumentError } from "../../src/errors.ts";
import { parsePlatform } from "../../src/build/dockerfile/platform.ts";

const amd64 = { os: "linux", architecture: "amd64" };

function plan(src: string, opts: Partial<PlanOptions> = {}): BuildPlan {
  return planBuild(parseDockerfile(src), { buildPlatform: amd64, ...opts });
}

/** Resolves every needed stage; images have `PATH=/bin` and `HOME=/root` in their Env. */
function resolve(src: string, opts: Partial<PlanOptions> = {}): {
  plan: BuildPlan;
  stages: Map<number, ResolvedStage>;
} {
  const p = plan(src, opts);
  return { plan: p, stages: resolveStages(p, () => ({ env: ["PATH=/bin", "HOME=/root"] })) };
}

/** The resolved instructions of the target stage, without position fields. */
function steps(src: string, opts: Partial<PlanOptions> = {}): Record<string, unknown>[] {
  const { plan: p, stages } = resolve(src, opts);
  return stages.get(p.target)!.steps.map((s) => {
    const { at: _a, endLine: _e, original: _o, ...rest } = s.instruction as Instruction;
    return rest;
  });
}

function planError(src: string, opts: Partial<PlanOptions> = {}): string {
  return assertThrows(() => resolve(src, opts), InvalidArgumentError).message;
}

Deno.test("plan: ARG before FROM is usable in FROM lines only; re-declare to use it (podman)", () => {
  const src = "ARG V=1 IMG=busybox\nFROM $IMG:v$V\nWORKDIR /w$V\nARG V\nWORKDIR /w$V\n";
  const { plan: p } = resolve(src);
  assertEquals(p.stages[0].base, { kind: "image", ref: "busybox:v1" });
  assertEquals(steps(src).map((s) => s.value ?? s.args), [
    "/w",
    [{ key: "V", value: "1" }],
    "/w1",
  ]);
  // --build-arg overrides the global default, in FROM and where re-declared (podman: [2]).
  const o = { buildArgs: { V: "2" } };
  assertEquals(resolve(src, o).plan.stages[0].base, { kind: "image", ref: "busybox:v2" });
  assertEquals(steps(src, o)[2].value, "/w2");
  // A global ARG may use earlier ones; an unset one is unset.
  const g = plan("ARG A=x\nARG B=${A}y C\nFROM i:$B${C:-z}\n");
  assertEquals(g.stages[0].base, { kind: "image", ref: "i:xyz" });
});

Deno.test("plan: stage ARG defaults, --build-arg, and ARG lines are sequential", () => {
  const src = "FROM i\nARG A=1 B=$A\nLABEL a=$A b=$B\n";
  assertEquals(steps(src)[1].pairs, [{ key: "a", value: "1" }, { key: "b", value: "1" }]);
  assertEquals(steps(src, { buildArgs: { A: "9" } })[1].pairs, [
    { key: "a", value: "9" },
    { key: "b", value: "9" },
  ]);
  // An ARG with neither default nor --build-arg stays unset.
  assertEquals(steps("FROM i\nARG U\nUSER ${U-none}\n")[1].value, "none");
  // The resolved ARG line records the values in effect.
  assertEquals(steps("FROM i\nARG A=1 U\n")[0].args, [{ key: "A", value: "1" }, { key: "U" }]);
});

Deno.test("plan: ENV in one line sees the values from before the line (podman: [2][1])", () => {
  const s = steps("FROM i\nENV a=1\nENV a=2 b=$a\nLABEL x=$a-$b\n");
  assertEquals(s[1].pairs, [{ key: "a", value: "2" }, { key: "b", value: "1" }]);
  assertEquals(s[2].pairs, [{ key: "x", value: "2-1" }]);
});

Deno.test("plan: the base image's Env is in scope; ENV values are unquoted (podman)", () => {
  const s = steps(
    'FROM i\nENV PATH=/opt:$PATH Q="x y" R=\'$HOME\'\nENV L2 a  "b"\n',
  );
  assertEquals(s[0].pairs, [
    { key: "PATH", value: "/opt:/bin" },
    { key: "Q", value: "x y" },
    { key: "R", value: "$HOME" },
  ]);
  // The legacy form's value is the rest of the line, then unquoted (podman: ENV a b c).
  assertEquals(s[1].pairs, [{ key: "L2", value: "a  b" }]);
  const { plan: p, stages } = resolve("FROM i\nENV A=1\nARG B=2\n");
  const st = stages.get(p.target)!;
  assertEquals(
    [...st.env],
    [["PATH", "/bin"], ["HOME", "/root"], ["A", "1"]],
    "the image config's Env: the base's, then ENV; never ARG",
  );
  assertEquals(st.scope.get("HOME"), "/root");
  assertEquals(st.steps[1].scope.get("A"), "1");
});

Deno.test("plan: which instructions substitute, and which never do", () => {
  const src = [
    "FROM i",
    "ENV D=/data P=80 PS='81 82' U=app S=SIGINT F=src",
    "WORKDIR $D",
    "USER $U:$U",
    "STOPSIGNAL $S",
    "EXPOSE $P $PS/udp",
    'VOLUME ["$D", "/x"]',
    "LABEL $U=$D",
    "COPY --chown=$U --chmod=$P --exclude=$F/*.md $F $D/",
    "ADD --checksum=$S $F $D",
    "RUN echo $D",
    'CMD ["echo", "$D"]',
    "ENTRYPOINT echo $D",
    'SHELL ["/bin/$U"]',
    "HEALTHCHECK CMD echo $D",
    "ONBUILD RUN echo $D",
    "MAINTAINER $U",
  ].join("\n");
  const s = steps(src);
  assertEquals(s[1].value, "/data");
  assertEquals(s[2].value, "app:app");
  assertEquals(s[3].value, "SIGINT");
  // EXPOSE splits what a variable brings (82/udp: the suffix sticks to the last word).
  assertEquals(s[4].ports, ["80/tcp", "81/tcp", "82/udp"]);
  assertEquals(s[5].paths, ["/data", "/x"]);
  assertEquals(s[6].pairs, [{ key: "app", value: "/data" }]);
  // --exclude is not expanded (BuildKit's CopyCommand.Expand leaves it).
  assertEquals([s[7].chown, s[7].chmod, s[7].excludes, s[7].sources, s[7].dest], [
    "app",
    "80",
    ["$F/*.md"],
    ["src"],
    "/data/",
  ]);
  assertEquals([s[8].checksum, s[8].sources, s[8].dest], ["SIGINT", ["src"], "/data"]);
  assertEquals(s[9].command, { form: "shell", command: "echo $D" });
  assertEquals(s[10].command, { form: "exec", args: ["echo", "$D"] });
  assertEquals(s[11].command, { form: "shell", command: "echo $D" });
  assertEquals(s[12].shell, ["/bin/$U"]);
  assertEquals((s[13].health as { test: string[] }).test, ["CMD-SHELL", "echo $D"]);
  assertEquals(s[14].expression, "RUN echo $D");
  assertEquals(s[15].value, "$U");
});

Deno.test("plan: COPY heredoc bodies expand unless the delimiter was quoted", () => {
  // Quotes are text in a body; `\` escapes (whatever the escape directive says).
  const src = "FROM i\nENV N=world\nCOPY <<a <<'b' /d/\nhi \"$N\" '$N' \\$N\na\nbye $N\nb\n";
  assertEquals(steps(src)[1].inline, [
    { path: "a", content: "hi \"world\" 'world' $N\n", expand: true },
    { path: "b", content: "bye $N\n", expand: false },
  ]);
  // RUN heredocs are left to the shell.
  const run = steps("FROM i\nENV N=1\nRUN <<EOF\necho $N\nEOF\n")[1];
  assertEquals((run.heredocs as { content: string }[])[0].content, "echo $N\n");
});

Deno.test("plan: RUN --mount values are expanded with the stage's variables", () => {
  const { plan: p, stages } = resolve(
    "FROM i\nARG T=cache C=/root/.cache\nRUN --mount=type=$T,target=$C,id=x-$T make\n",
  );
  assertEquals(stages.get(p.target)!.steps[1].mounts, [{
    type: "cache",
    target: "/root/.cache",
    id: "x-cache",
    sharing: "shared",
    from: "",
    source: "",
    readOnly: false,
    mode: 0o755,
    uid: 0,
    gid: 0,
  }]);
  assertEquals(
    planError("FROM i\nARG T=nfs\nRUN --mount=type=$T,target=/x make\n"),
    'Dockerfile:3:1: unsupported mount type "nfs"',
  );
});

Deno.test("plan: ARG and ENV of the same name, the later one wins (BuildKit; podman differs)", () => {
  // BuildKit adds each ARG to the stage's environment after the ENVs before it; podman 4.3.1
  // keeps ENV first ([env]). The image config keeps the ENV value either way.
  const { plan: p, stages } = resolve("FROM i\nENV X=env\nARG X=arg\nWORKDIR /$X\n");
  const st = stages.get(p.target)!;
  assertEquals((st.steps[2].instruction as { value: string }).value, "/arg");
  assertEquals(st.env.get("X"), "env");
  assertEquals(st.steps[2].args, [["X", "arg"]]);
});

Deno.test("plan: a stage based on another inherits its ENV and ARG values (BuildKit)", () => {
  // Docker documents that child stages inherit ARGs (moby/buildkit#5381); podman 4.3.1 printed
  // [][e] here, older buildah does not inherit them (containers/buildah#5762).
  const src = "FROM i AS p\nARG X=fromparent\nENV E=e\nFROM p\nLABEL v=$X-$E-$HOME\n";
  const { plan: p, stages } = resolve(src);
  assertEquals(p.stages[1].base, { kind: "stage", index: 0 });
  assertEquals(p.order, [0, 1]);
  const label = stages.get(1)!.steps[0].instruction as { pairs: unknown };
  assertEquals(label.pairs, [{ key: "v", value: "fromparent-e-/root" }]);
});

Deno.test("plan: automatic platform args in FROM, and in a stage once declared (podman)", () => {
  const src =
    "FROM --platform=$BUILDPLATFORM img:$TARGETARCH AS a\nLABEL a=[$TARGETARCH]\nARG TARGETARCH TARGETPLATFORM BUILDOS\nLABEL b=$TARGETARCH,$TARGETPLATFORM,$BUILDOS\n";
  const { plan: p, stages } = resolve(src, { targetPlatform: parsePlatform("linux/arm/v7") });
  assertEquals(p.stages[0].platform, "linux/amd64");
  assertEquals(p.stages[0].base, { kind: "image", ref: "img:arm" });
  const s = stages.get(0)!.steps.map((x) => (x.instruction as { pairs?: unknown }).pairs);
  assertEquals(s[0], [{ key: "a", value: "[]" }]);
  assertEquals(s[2], [{ key: "b", value: "arm,linux/arm/v7,linux" }]);
  assertEquals(p.globalArgs.get("TARGETVARIANT"), "v7");
  assertEquals(p.globalArgs.get("BUILDVARIANT"), "");
});

Deno.test("plan: proxy args reach RUN without an ARG; unused --build-arg reported (podman)", () => {
  const src = "ARG G\nFROM i\nARG USED\nRUN echo $HTTP_PROXY\n";
  const buildArgs = { HTTP_PROXY: "http://p:3128", no_proxy: "x", FOO: "f", USED: "u", G: "g" };
  const { plan: p, stages } = resolve(src, { buildArgs });
  assertEquals([...p.proxyEnv], [["HTTP_PROXY", "http://p:3128"], ["no_proxy", "x"]]);
  assertEquals(unusedBuildArgs(p, stages), ["FOO"]);
  // A proxy variable is not substituted in the Dockerfile unless declared.
  assertEquals(steps("FROM i\nLABEL p=[$HTTP_PROXY]\n", { buildArgs })[0].pairs, [
    { key: "p", value: "[]" },
  ]);
  assertEquals(steps("FROM i\nARG HTTP_PROXY\nLABEL p=$HTTP_PROXY\n", { buildArgs })[1].pairs, [
    { key: "p", value: "http://p:3128" },
  ]);
});

Deno.test("plan: stages, bases, --target and the stages it needs, in order", () => {
  const src = [
    "FROM busybox AS base",
    "FROM alpine AS tools",
    "FROM base AS build",
    "RUN --mount=type=bind,from=tools,target=/t make",
    "FROM scratch AS test",
    "COPY --from=build /a /a",
    "FROM scratch",
    "COPY --from=build /a /",
    "COPY --from=0 /b /",
    "COPY --from=nginx:latest /c /",
    "RUN --mount=from=0,target=/m true",
  ].join("\n");
  const p = plan(src);
  assertEquals(p.stages.map((s) => s.displayName), ["base", "tools", "build", "test", "stage-4"]);
  assertEquals(p.stages.map((s) => s.base), [
    { kind: "image", ref: "busybox" },
    { kind: "image", ref: "alpine" },
    { kind: "stage", index: 0 },
    { kind: "scratch" },
    { kind: "scratch" },
  ]);
  assertEquals(p.stages[2].sources, [{ kind: "stage", index: 1 }]);
  // COPY --from takes an index; a mount's from= only a name (0 is then an image).
  assertEquals(p.stages[4].sources, [
    { kind: "stage", index: 2 },
    { kind: "stage", index: 0 },
    { kind: "image", ref: "nginx:latest" },
    { kind: "image", ref: "0" },
  ]);
  assertEquals([p.target, p.order], [4, [0, 1, 2, 4]]);
  const t = plan(src, { target: "TEST" });
  assertEquals([t.target, t.order], [3, [0, 1, 2, 3]]);
  assertEquals(plan(src, { target: "tools" }).order, [1]);
  assertEquals(t.globalArgs.get("TARGETSTAGE"), "TEST");
  assertEquals(p.globalArgs.get("TARGETSTAGE"), "default", "the last stage has no name");
  assertEquals(plan("FROM a AS app\n").globalArgs.get("TARGETSTAGE"), "app");
  // A single stage has no display name, as BuildKit prints it.
  assertEquals(plan("FROM a\n").stages[0].displayName, "");
  // FROM only sees earlier stages: a later name is an image.
  assertEquals(plan("FROM later\nFROM x AS later\n").stages[0].base, {
    kind: "image",
    ref: "later",
  });
});

Deno.test("plan: a stage may only read stages defined before it (when it is built)", () => {
  const copy = "FROM x AS a\nCOPY --from=b /f /\nFROM y AS b\n";
  assertEquals(
    planError(copy, { target: "a" }),
    'Dockerfile:2:1: cannot copy from stage "b", it needs to be defined before current stage "a"',
  );
  // Not needed by the target: no error, as BuildKit only builds what the target needs.
  assertEquals(plan(copy, { target: "b" }).order, [1]);
  assertEquals(
    planError("FROM x\nRUN --mount=from=later,target=/m true\nFROM y AS later\n", {
      target: "stage-0",
    }).replace(/^target stage.*/, "no such target"),
    "no such target",
    "stage-N is a display name, not a target",
  );
  assertEquals(
    planError("FROM x AS first\nRUN --mount=from=later,target=/m true\nFROM y AS later\n", {
      target: "first",
    }),
    'Dockerfile:2:1: cannot mount from stage "later" to "/m", stage needs to be defined before current command',
  );
});

Deno.test("plan: one-line errors for targets, indices, --from variables and blank bases", () => {
  assertEquals(
    planError("FROM a AS build\nFROM b AS final\n", { target: "biuld" }),
    'target stage "biuld" could not be found (did you mean build?)',
  );
  assertEquals(planError("FROM a\nCOPY --from=3 /x /\n"), "Dockerfile:2:1: invalid stage index 3");
  assertEquals(
    planError("FROM a\nARG S=x\nCOPY --from=$S /x /\n"),
    "Dockerfile:3:1: variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround",
  );
  assertEquals(
    planError("ARG IMG\nFROM $IMG\n"),
    "Dockerfile:2:1: base name ($IMG) should not be blank",
  );
  assertEquals(
    planError("FROM i\nWORKDIR ${X:?must be set}\n"),
    'Dockerfile:2:1: failed to process "${X:?must be set}": X: must be set',
  );
  assertEquals(
    planError("FROM i:${BAD\n"),
    `Dockerfile:1:1: failed to process "i:\${BAD": syntax error: missing '}'`,
  );
});

Deno.test("plan: a cycle between stages is an error at the line that closes it", () => {
  const copyCycle = "FROM x AS a\nCOPY --from=b /f /\nFROM y AS b\nCOPY --from=a /g /\n";
  const e = assertThrows(() => plan(copyCycle), DockerfileSyntaxError);
  assertEquals(e.message, "Dockerfile:4:1: circular dependency detected on stage: a");
  assertEquals(
    planError("FROM x AS self\nCOPY --from=self /f /\n"),
    "Dockerfile:2:1: circular dependency detected on stage: self",
  );
  const mountCycle = "FROM x\nRUN --mount=from=b,target=/m true\nFROM y AS b\nCOPY --from=0 /a /\n";
  assertEquals(
    planError(mountCycle),
    "Dockerfile:4:1: circular dependency detected on stage: stage-0",
  );
  // A stage copying from an earlier one is no cycle.
  assert(plan("FROM x AS a\nFROM y\nCOPY --from=a / /\n").order.length === 2);
});

Deno.test("plan: resolveStage on its own, and envMap", () => {
  const p = plan("FROM i\nWORKDIR $HOME/app\n");
  const st = resolveStage(p, 0, { imageEnv: envMap(["HOME=/home/u", "BARE"]) });
  assertEquals((st.steps[0].instruction as { value: string }).value, "/home/u/app");
  assertEquals([...envMap(["A=1=2", "B"])], [["A", "1=2"], ["B", ""]]);
});

Deno.test("plan: the Dockerfile's escape token is used for substitution", () => {
  const s = steps("# escape=`\nFROM i\nENV A=1\nWORKDIR C:\\x\\`$A$A\n");
  assertEquals(s[1].value, "C:\\x\\$A1");
});

Deno.test("plan: --platform is parsed after expansion; duplicate stage names are warned about", () => {
  const p = plan("ARG P=linux/arm64\nFROM --platform=$P a AS x\nFROM b AS x\nFROM x\n");
  assertEquals(p.stages[0].parsedPlatform, { os: "linux", architecture: "arm64" });
  assertEquals(p.stages[1].parsedPlatform, null);
  assertEquals(p.stages[2].base, { kind: "stage", index: 1 }, "the later stage of a name wins");
  assertEquals(p.warnings, [
    'Dockerfile:3: duplicate stage name "x", stage names should be unique',
  ]);
  assertEquals(
    planError("FROM --platform=linux/ a\n"),
    'Dockerfile:1:1: failed to parse platform linux/: "linux/": invalid platform specifier',
  );
  assertEquals(
    planError("ARG P\nFROM --platform=$P a\n"),
    "Dockerfile:2:1: empty platform value from expression $P",
  );
});

Deno.test("plan: ONBUILD triggers of a base image or base stage run first (BuildKit)", () => {
  const p = plan("FROM node:20 AS app\nARG V=1\nONBUILD RUN echo $V\nFROM app\nRUN next\n");
  const images: Record<string, { env: string[]; onBuild?: string[] }> = {
    "node:20": { env: ["PATH=/bin"], onBuild: ["COPY . /app", "RUN npm ci"] },
  };
  const stages = resolveStages(p, (ref) => images[ref]);
  const kinds = (i: number) =>
    stages.get(i)!.steps.map((s) => [s.onbuild, s.instruction.kind, s.instruction.at.line]);
  assertEquals(kinds(0), [
    [true, "COPY", 1],
    [true, "RUN", 1],
    [false, "ARG", 2],
    [false, "ONBUILD", 3],
  ]);
  // The base stage's own ONBUILD lines trigger in the stage built from it; its ARGs carry over.
  assertEquals(kinds(1), [[true, "RUN", 4], [false, "RUN", 5]]);
  assertEquals(stages.get(1)!.steps[0].args, [["V", "1"]]);
});

Deno.test("plan: triggers may read stages; hostile trigger strings are refused", () => {
  const src = "FROM busybox AS tools\nFROM img AS app\nFROM img\n";
  const p = plan(src);
  assertEquals(p.order, [2]);
  const withCopy = resolveStages(
    p,
    (ref) => ({ env: [], onBuild: ref === "img" ? ["COPY --from=tools /t /t"] : [] }),
  );
  assertEquals([...withCopy.keys()], [0, 2], "the trigger's stage is resolved first");
  const fails = (onBuild: string[]) =>
    assertThrows(
      () => resolveStages(plan(src), () => ({ env: [], onBuild })),
      DockerfileSyntaxError,
    )
      .message;
  assertEquals(fails(["FROM evil"]), "Dockerfile:3:1: FROM isn't allowed as an ONBUILD trigger");
  assertEquals(
    fails(["RUN a\nRUN b"]),
    "Dockerfile:3:1: onbuild trigger should be a single expression",
  );
  assertEquals(fails(["BOGUS x"]), "Dockerfile:3:1: unknown instruction: BOGUS");
  assertEquals(fails([""]), "Dockerfile:3:1: file with no instructions");
  assertEquals(
    assertThrows(
      () =>
        resolveStages(plan("FROM img AS a\nFROM img AS b\n", { target: "a" }), () => ({
          env: [],
          onBuild: ["COPY --from=b / /"],
        })),
      DockerfileSyntaxError,
    ).message,
    'Dockerfile:1:1: cannot copy from stage "b", it needs to be defined before current stage "a"',
  );
});

Deno.test("plan: PATH is always set; a child stage re-reads its parent's config Env", () => {
  const { stages } = resolve("FROM scratch\nWORKDIR $PATH\n");
  assertEquals(
    (stages.get(0)!.steps[0].instruction as { value: string }).value,
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  );
  // BuildKit re-applies the parent's config Env over its inherited scope: ENV beats ARG there.
  const src = "FROM i AS p\nENV X=env\nARG X=arg\nLABEL p=$X\nFROM p\nLABEL c=$X\n";
  const r = resolve(src).stages;
  assertEquals((r.get(0)!.steps[2].instruction as { pairs: unknown }).pairs, [
    { key: "p", value: "arg" },
  ]);
  assertEquals((r.get(1)!.steps[0].instruction as { pairs: unknown }).pairs, [
    { key: "c", value: "env" },
  ]);
});

Deno.test("plan: substitution in LABEL, EXPOSE, WORKDIR, USER as podman build gives it", () => {
  // podman 4.3.1 on busybox: labels {"a":"yes","b":"def","d":"$A","e":"1 x","f":"empty",
  // "h":"$A"}, ports 80/tcp and 443/udp, WorkingDir /w/1, User u1. (Its older lexer refuses
  // the colon-less ${A+x} and ${A?x} forms, which BuildKit accepts.)
  const src = [
    "FROM busybox",
    'ENV A=1 P="80 443/udp" E=',
    "LABEL a=${A:+yes} b=${B:-def} d='$A' e=\"$A x\" f=${E:-empty} h=\\$A",
    "EXPOSE $P",
    "WORKDIR /w/$A",
    "USER u$A",
  ].join("\n");
  const s = steps(src);
  assertEquals(s[1].pairs, [
    { key: "a", value: "yes" },
    { key: "b", value: "def" },
    { key: "d", value: "$A" },
    { key: "e", value: "1 x" },
    { key: "f", value: "empty" },
    { key: "h", value: "$A" },
  ]);
  assertEquals([s[2].ports, s[3].value, s[4].value], [["80/tcp", "443/udp"], "/w/1", "u1"]);
});

Deno.test("plan: global ARG keys are taken as written; an ARG without value keeps the scope's", () => {
  const p = plan("ARG TARGETARCH\nARG A=1\nARG A\nFROM img:$TARGETARCH-$A\n", {
    buildArgs: { Http_Proxy: "http://p" },
  });
  assertEquals(p.stages[0].base, { kind: "image", ref: "img:amd64-1" });
  assertEquals([...p.proxyEnv], [["Http_Proxy", "http://p"]]);
  // --build-arg overrides the automatic args as well.
  assertEquals(plan("FROM img:$TARGETOS\n", { buildArgs: { TARGETOS: "x" } }).stages[0].base, {
    kind: "image",
    ref: "img:x",
  });
});

Deno.test("plan: a multi-stage fixture from text to resolved steps", async () => {
  const text = await Deno.readTextFile(
    new URL("../fixtures/dockerfiles/multistage.Dockerfile", import.meta.url),
  );
  const df = parseDockerfile(text, "multistage.Dockerfile");
  const p = planBuild(df, {
    buildPlatform: amd64,
    targetPlatform: parsePlatform("linux/arm64"),
    buildArgs: { VERSION: "1.2.3" },
  });
  assertEquals(p.stages.map((s) => [s.displayName, s.base]), [
    ["build", { kind: "image", ref: "golang:1.22" }],
    ["test", { kind: "stage", index: 0 }],
    ["final", { kind: "image", ref: "busybox" }],
  ]);
  assertEquals(p.stages[0].platform, "linux/amd64");
  assertEquals(p.order, [0, 2], "the test stage is not needed by the final one");
  const stages = resolveStages(p, (ref) => ({
    env: ref.startsWith("golang") ? ["PATH=/usr/local/go/bin:/usr/bin", "GOPATH=/go"] : [],
  }));
  const build = stages.get(0)!;
  assertEquals(build.steps[0].args, [["TARGETOS", "linux"], ["TARGETARCH", "arm64"]]);
  const run = build.steps[3];
  assertEquals(run.args, [["TARGETOS", "linux"], ["TARGETARCH", "arm64"], ["VERSION", "1.2.3"]]);
  assertEquals(run.mounts.map((m) => [m.type, m.target]), [
    ["cache", "/root/.cache/go-build"],
    ["bind", "go.mod"],
  ]);
  assertEquals(
    (run.instruction as { command: unknown }).command,
    {
      form: "shell",
      command:
        'GOOS=$TARGETOS GOARCH=$TARGETARCH go build -ldflags "-X main.version=$VERSION" -o /out/app .',
    },
  );
  const final = stages.get(2)!;
  assertEquals(
    final.steps.map((s) => s.instruction.kind),
    ["ARG", "LABEL", "COPY", "COPY", "USER", "ENTRYPOINT"],
  );
  assertEquals((final.steps[1].instruction as { pairs: unknown }).pairs, [
    { key: "org.opencontainers.image.version", value: "1.2.3" },
  ]);
  assertEquals((final.steps[3].instruction as { inline: unknown }).inline, [
    { path: "EOF", content: "version=1.2.3\n", expand: true },
  ]);
  assertEquals([...final.env], [[
    "PATH",
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  ]]);
  assertEquals(unusedBuildArgs(p, stages), []);
});

Deno.test("plan: a bad EXPOSE port is an error at its line once expanded", () => {
  assertEquals(
    planError("FROM i\nENV P=80/tpc\nEXPOSE $P\n"),
    'Dockerfile:3:1: invalid port: "80/tpc": invalid proto: tpc',
  );
});
