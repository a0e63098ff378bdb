/**
 * From the syntax tree and the build's arguments to the stages a build runs: the global
 * ARGs (with `--build-arg` and the automatic platform args) expanded into each FROM line,
 * each stage's base (scratch, an earlier stage, or an image), the stages a COPY --from or a
 * RUN --mount from= needs, the target (`--target`, else the last stage), and the order to
 * build the stages the target needs. Cycles and unknown targets are one-line errors.
 */
import type { DockerfileSyntax, FromInstruction, Instruction, StageSyntax } from "./ast.ts";
import { type Env, expand, ExpandError } from "./expand.ts";
import { suggest } from "./flags.ts";
import { DockerfileSyntaxError, type Position } from "./lexer.ts";
import { mountFrom, parseMount } from "./mount.ts";
import { parsePlatform, type Platform, platformArgs, proxyArgs } from "./platform.ts";
import { InvalidArgumentError } from "../../errors.ts";

/** What a build passes in. */
export interface PlanOptions {
  /** `--build-arg` values by name. */
  buildArgs?: Record<string, string>;
  /** `--target`: the stage to build, else the last one. */
  target?: string;
  /** The platform the build runs on (BUILDPLATFORM). */
  buildPlatform: Platform;
  /** The platform built for (TARGETPLATFORM), the build platform when not given. */
  targetPlatform?: Platform;
  /**
   * `--build-context` names: an image reference (`docker-image://`) or null for a directory.
   * A FROM, COPY --from or mount from= naming one that is no stage reads it instead.
   */
  namedContexts?: ReadonlyMap<string, string | null>;
}

/** Where a stage starts from. */
export type StageBase =
  | { kind: "scratch" }
  | { kind: "context"; name: string }
  | { kind: "stage"; index: number }
  | { kind: "image"; ref: string };

/**
 * Something a stage reads from: another stage, an image named by `--from`/`from=`, or a
 * directory given by `--build-context`.
 */
export type StageSource =
  | { kind: "stage"; index: number }
  | { kind: "image"; ref: string }
  | { kind: "context"; name: string };

/** One stage with its FROM line expanded. */
export interface PlannedStage {
  index: number;
  /** The `AS` name (lower-cased), "" when none. */
  name: string;
  /** How BuildKit names it in progress output: the name, else `stage-N`. */
  displayName: string;
  base: StageBase;
  /** The expanded `--platform`, "" when none. */
  platform: string;
  /** `platform` parsed, null when none was given. */
  parsedPlatform: Platform | null;
  from: FromInstruction;
  instructions: Instruction[];
  /** What its COPY --from and RUN --mount from= read, in order of appearance. */
  sources: StageSource[];
}

/** The stages of a Dockerfile and what a build of its target needs. */
export interface BuildPlan {
  stages: PlannedStage[];
  /** Index of the target stage. */
  target: number;
  /** Indices of the stages the target needs, each after the stages it needs. */
  order: number[];
  /** The global scope after the ARGs before the first FROM (automatic args included). */
  globalArgs: Map<string, string>;
  /** The build arguments, as given. */
  buildArgs: Map<string, string>;
  /** Proxy variables from `--build-arg` (HTTP_PROXY...), for RUN only. */
  proxyEnv: Map<string, string>;
  /** The escape token, for the per-stage expansion. */
  escape: "\\" | "`";
  /** Names the ARG lines before the first FROM declare (they consume build arguments). */
  metaArgNames: string[];
  /** Non-fatal findings, as BuildKit's checks report them (a stage name used twice). */
  warnings: string[];
  /** Stage index by (lower-cased) name; a name used twice maps to its last stage. */
  stageNames: Map<string, number>;
  /** The `--build-context` names (see PlanOptions). */
  namedContexts: ReadonlyMap<string, string | null>;
}

/**
 * Plans a build: expands the FROM lines, links stages and checks the graph.
 *
 * @example
 * ```ts
 * import { parseDockerfile } from "./parse.ts";
 * import { planBuild } from "./plan.ts";
 * const df = parseDockerfile("ARG V=1\nFROM busybox:$V AS a\nFROM a\n");
 * const plan = planBuild(df, { buildPlatform: { os: "linux", architecture: "amd64" } });
 * plan.stages[0].base; // { kind: "image", ref: "busybox:1" }
 * ```
 */
export function planBuild(df: DockerfileSyntax, opts: PlanOptions): BuildPlan {
  const buildArgs = new Map(Object.entries(opts.buildArgs ?? {}));
  const escape = df.directives.escape;
  const targetStage = opts.target || df.stages[df.stages.length - 1]?.from.name || "default";
  const globalArgs = platformArgs(
    opts.buildPlatform,
    opts.targetPlatform ?? opts.buildPlatform,
    targetStage,
  );
  // --build-arg overrides the automatic values too.
  for (const key of globalArgs.keys()) {
    const v = buildArgs.get(key);
    if (v !== undefined) globalArgs.set(key, v);
  }
  // ARG lines before the first FROM: --build-arg, else the default expanded with what is
  // already in scope; a name with neither keeps what it had (e.g. `ARG TARGETARCH`).
  for (const line of df.metaArgs) {
    for (const arg of line.args) {
      let value = buildArgs.get(arg.key);
      if (value === undefined && arg.value !== undefined) {
        value = word(arg.value, globalArgs, escape, line.at);
      }
      if (value !== undefined) globalArgs.set(arg.key, value);
    }
  }

  const metaArgNames = df.metaArgs.flatMap((line) => line.args.map((a) => a.key));
  const named = opts.namedContexts ?? new Map<string, string | null>();
  const byName = new Map<string, number>();
  const warnings: string[] = [];
  const stages: PlannedStage[] = df.stages.map((s: StageSyntax, index) => {
    const image = word(s.from.image, globalArgs, escape, s.from.at);
    if (image === "") {
      throw new DockerfileSyntaxError(
        s.from.at,
        `base name (${s.from.image}) should not be blank`,
      );
    }
    const earlier = byName.get(image);
    const context = earlier === undefined ? named.get(image) : undefined;
    const base: StageBase = earlier !== undefined
      ? { kind: "stage", index: earlier }
      : context === null
      ? { kind: "context", name: image }
      : context !== undefined
      ? { kind: "image", ref: context }
      : image.toLowerCase() === "scratch"
      ? { kind: "scratch" }
      : { kind: "image", ref: image };
    if (s.from.name) {
      if (byName.has(s.from.name)) {
        const at = s.from.at;
        warnings.push(
          `${at.file}:${at.line}: duplicate stage name ${
            JSON.stringify(s.from.name)
          }, stage names should be unique`,
        );
      }
      byName.set(s.from.name, index);
    }
    let platform = "";
    let parsedPlatform: Platform | null = null;
    if (s.from.platform !== "") {
      platform = word(s.from.platform, globalArgs, escape, s.from.at);
      if (platform === "") {
        throw new DockerfileSyntaxError(
          s.from.at,
          `empty platform value from expression ${s.from.platform}`,
        );
      }
      try {
        parsedPlatform = parsePlatform(platform);
      } catch (e) {
        throw new DockerfileSyntaxError(
          s.from.at,
          `failed to parse platform ${s.from.platform}: ${(e as Error).message}`,
        );
      }
    }
    return {
      index,
      name: s.from.name,
      displayName: df.stages.length === 1 ? "" : s.from.name || `stage-${index}`,
      base,
      platform,
      parsedPlatform,
      from: s.from,
      instructions: s.instructions,
      sources: [],
    };
  });

  // Edges from COPY --from and RUN --mount from=, each remembering the line that made it.
  const edges = stages.map(() => [] as { to: number; at: Position }[]);
  const later: { stage: PlannedStage; source: number; at: Position; message: string }[] = [];
  for (const stage of stages) {
    for (const ins of stage.instructions) {
      for (const use of sourcesOf(ins)) {
        const source = findSource(use, stages, byName, named, ins.at);
        stage.sources.push(source);
        if (source.kind !== "stage") continue;
        edges[stage.index].push({ to: source.index, at: ins.at });
        if (source.index >= stage.index) {
          const name = stage.name || `stage-${stage.index}`;
          later.push({
            stage,
            source: source.index,
            at: ins.at,
            message: use.mountTarget === undefined
              ? `cannot copy from stage ${
                JSON.stringify(use.from)
              }, it needs to be defined before current stage ${JSON.stringify(name)}`
              : `cannot mount from stage ${JSON.stringify(use.from)} to ${
                JSON.stringify(use.mountTarget)
              }, stage needs to be defined before current command`,
          });
        }
      }
    }
  }
  checkCycles(stages, edges);

  let target = stages.length - 1;
  if (opts.target !== undefined && opts.target !== "") {
    const t = byName.get(opts.target.toLowerCase());
    if (t === undefined) {
      throw new InvalidArgumentError(
        `target stage ${JSON.stringify(opts.target)} could not be found${
          suggest(opts.target, [...byName.keys()], true)
        }`,
      );
    }
    target = t;
  }

  const order: number[] = [];
  // A stage can only read stages before it (BuildKit builds them in file order).
  const needed = new Set<number>();
  const mark = (i: number) => {
    if (needed.has(i)) return;
    needed.add(i);
    const st = stages[i];
    if (st.base.kind === "stage") mark(st.base.index);
    for (const src of st.sources) if (src.kind === "stage") mark(src.index);
  };
  mark(target);
  const forward = later.find((l) => needed.has(l.stage.index));
  if (forward) throw new DockerfileSyntaxError(forward.at, forward.message);

  const visit = (i: number) => {
    if (order.includes(i)) return;
    const s = stages[i];
    if (s.base.kind === "stage") visit(s.base.index);
    for (const src of s.sources) if (src.kind === "stage") visit(src.index);
    order.push(i);
  };
  visit(target);

  // Proxy variables, in any letter case as BuildKit matches them.
  const proxyEnv = new Map<string, string>();
  for (const [name, v] of buildArgs) {
    if (proxyArgs.includes(name.toLowerCase())) proxyEnv.set(name, v);
  }
  return {
    stages,
    target,
    order,
    globalArgs,
    buildArgs,
    proxyEnv,
    escape,
    metaArgNames,
    warnings,
    stageNames: byName,
    namedContexts: named,
  };
}

function word(source: string, env: Env, escape: "\\" | "`", at: Position): string {
  try {
    return expand(source, env, { escapeToken: escape }).word;
  } catch (e) {
    if (e instanceof ExpandError) throw new DockerfileSyntaxError(at, e.message);
    throw e;
  }
}

/**
 * What an instruction reads from (COPY --from, RUN --mount from=), resolved against the
 * plan's stages: used for ONBUILD triggers, which only appear once base images are known.
 */
export function instructionSources(plan: BuildPlan, ins: Instruction): StageSource[] {
  return sourcesOf(ins).map((use) =>
    findSource(use, plan.stages, plan.stageNames, plan.namedContexts, ins.at)
  );
}

/** A `--from` (COPY) or `from=` (RUN --mount) as written. */
interface SourceUse {
  from: string;
  /** The mount's target, for RUN --mount. */
  mountTarget?: string;
}

/** The stage or image names an instruction reads from, as written. */
function sourcesOf(ins: Instruction): SourceUse[] {
  if (ins.kind === "COPY" && ins.from !== "") return [{ from: ins.from }];
  if (ins.kind !== "RUN") return [];
  const out: SourceUse[] = [];
  for (const raw of ins.mounts) {
    const from = mountFrom(raw);
    if (from === "") continue;
    let mountTarget = "";
    try {
      mountTarget = parseMount(raw).target;
    } catch {
      // the mount's own errors are reported when the stage is resolved
    }
    out.push({ from, mountTarget });
  }
  return out;
}

function findSource(
  use: SourceUse,
  stages: PlannedStage[],
  byName: Map<string, number>,
  named: ReadonlyMap<string, string | null>,
  at: Position,
): StageSource {
  const from = use.from;
  if (use.mountTarget === undefined) {
    let same: boolean;
    try {
      same = expand(from, new Map()).word === from;
    } catch {
      same = false;
    }
    if (!same) {
      throw new DockerfileSyntaxError(
        at,
        "variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround",
      );
    }
    // COPY --from takes a stage index too; a mount's from= only a name.
    if (/^[+-]?\d+$/.test(from)) {
      const index = Number(from);
      if (index < 0 || index >= stages.length) {
        throw new DockerfileSyntaxError(at, `invalid stage index ${index}`);
      }
      return { kind: "stage", index };
    }
  }
  const index = byName.get(from.toLowerCase());
  if (index !== undefined) return { kind: "stage", index };
  const context = named.get(from);
  if (context === null) return { kind: "context", name: from };
  return { kind: "image", ref: context ?? from };
}

function checkCycles(stages: PlannedStage[], edges: { to: number; at: Position }[][]): void {
  const visited = new Set<number>();
  const path = new Set<number>();
  const visit = (i: number): Position | null => {
    if (visited.has(i)) return null;
    visited.add(i);
    path.add(i);
    for (const e of edges[i]) {
      if (path.has(e.to)) return e.at;
      const found = visit(e.to);
      if (found) return found;
    }
    path.delete(i);
    return null;
  };
  for (const s of stages) {
    const at = visit(s.index);
    if (at) {
      throw new DockerfileSyntaxError(
        at,
        `circular dependency detected on stage: ${s.name || `stage-${s.index}`}`,
      );
    }
  }
}
