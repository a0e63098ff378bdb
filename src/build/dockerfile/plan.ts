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
import { parseMount } from "./mount.ts";
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
}

/** Where a stage starts from. */
export type StageBase =
  | { kind: "scratch" }
  | { kind: "stage"; index: number }
  | { kind: "image"; ref: string };

/** Something a stage reads from: another stage, or an image named by `--from`/`from=`. */
export type StageSource = { kind: "stage"; index: number } | { kind: "image"; ref: string };

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
  const globalArgs = new Map(
    platformArgs(opts.buildPlatform, opts.targetPlatform ?? opts.buildPlatform),
  );
  for (const line of df.metaArgs) {
    for (const arg of line.args) {
      const key = word(arg.key, globalArgs, escape, line.at);
      let value = buildArgs.get(key);
      if (value === undefined && arg.value !== undefined) {
        value = word(arg.value, globalArgs, escape, line.at);
      }
      if (value !== undefined) globalArgs.set(key, value);
      else globalArgs.delete(key);
    }
  }

  const metaArgNames = df.metaArgs.flatMap((line) => line.args.map((a) => a.key));
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
    const base: StageBase = earlier !== undefined
      ? { kind: "stage", index: earlier }
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
    const platform = word(s.from.platform, globalArgs, escape, s.from.at);
    let parsedPlatform: Platform | null = null;
    if (platform !== "") {
      try {
        parsedPlatform = parsePlatform(platform);
      } catch (e) {
        throw new DockerfileSyntaxError(s.from.at, (e as Error).message);
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
  for (const stage of stages) {
    for (const ins of stage.instructions) {
      for (const from of sourcesOf(ins)) {
        const source = findSource(from, stages, byName, ins.at);
        stage.sources.push(source);
        if (source.kind === "stage") edges[stage.index].push({ to: source.index, at: ins.at });
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
          suggest(opts.target, [...byName.keys()])
        }`,
      );
    }
    target = t;
  }

  const order: number[] = [];
  const visit = (i: number) => {
    if (order.includes(i)) return;
    const s = stages[i];
    if (s.base.kind === "stage") visit(s.base.index);
    for (const src of s.sources) if (src.kind === "stage") visit(src.index);
    order.push(i);
  };
  visit(target);

  const proxyEnv = new Map<string, string>();
  for (const name of proxyArgs) {
    const v = buildArgs.get(name);
    if (v !== undefined) proxyEnv.set(name, v);
  }
  return { stages, target, order, globalArgs, buildArgs, proxyEnv, escape, metaArgNames, warnings };
}

function word(source: string, env: Env, escape: "\\" | "`", at: Position): string {
  try {
    return expand(source, env, { escapeToken: escape }).word;
  } catch (e) {
    if (e instanceof ExpandError) throw new DockerfileSyntaxError(at, e.message);
    throw e;
  }
}

/** The stage or image names an instruction reads from, as written. */
function sourcesOf(ins: Instruction): string[] {
  if (ins.kind === "COPY" && ins.from !== "") return [ins.from];
  if (ins.kind !== "RUN") return [];
  const out: string[] = [];
  for (const raw of ins.mounts) {
    let from = "";
    try {
      const m = parseMount(raw);
      if ((m.type === "bind" || m.type === "cache") && m.from) from = m.from;
    } catch {
      continue; // reported when the stage is expanded, with its variables
    }
    if (from) out.push(from);
  }
  return out;
}

function findSource(
  from: string,
  stages: PlannedStage[],
  byName: Map<string, number>,
  at: Position,
): StageSource {
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
  if (/^[+-]?\d+$/.test(from)) {
    const index = Number(from);
    if (index < 0 || index >= stages.length) {
      throw new DockerfileSyntaxError(at, `invalid stage index ${index}`);
    }
    return { kind: "stage", index };
  }
  const index = byName.get(from.toLowerCase());
  return index === undefined ? { kind: "image", ref: from } : { kind: "stage", index };
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
