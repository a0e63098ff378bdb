/**
 * One stage's instructions with variables substituted where Docker substitutes them: ENV,
 * ARG, LABEL, EXPOSE (split into words), USER, WORKDIR, STOPSIGNAL, VOLUME, COPY and ADD
 * (sources, destination, --chown, --chmod, ADD's --checksum, and heredoc bodies whose
 * delimiter was not quoted; not --exclude) and RUN's --mount values. RUN, CMD, ENTRYPOINT, SHELL,
 * HEALTHCHECK, MAINTAINER and ONBUILD are left as written (the shell, or the later build that
 * runs the trigger, expands them).
 *
 * The variables in scope follow BuildKit: the base's environment (the image config's Env, or
 * everything the parent stage had in scope), then each ENV and ARG in order, the later one
 * winning. An ARG without a default takes `--build-arg`, else the global value of the same
 * name (ARG lines before the first FROM, and the automatic platform args).
 */
import type { Instruction } from "./ast.ts";
import { type Env, expand, ExpandError, type LexOptions } from "./expand.ts";
import { DockerfileSyntaxError, type Position } from "./lexer.ts";
import { type MountSpec, parseMount } from "./mount.ts";
import type { BuildPlan } from "./plan.ts";

/** One instruction ready to run. */
export interface ResolvedStep {
  /** The instruction with its values substituted. */
  instruction: Instruction;
  /** RUN only: the mounts, parsed with the stage's variables. */
  mounts: MountSpec[];
  /**
   * The ARG values in effect, in declaration order: RUN gets them in its environment and the
   * cache key includes them; they never reach the image config.
   */
  args: [string, string][];
  /** Every variable in scope before this step (base env, ENV and ARG values). */
  scope: Map<string, string>;
}

/** A stage's steps and what the next stage based on it inherits. */
export interface ResolvedStage {
  steps: ResolvedStep[];
  /** The ENV variables set by the stage (on top of the base's), for the image config. */
  env: Map<string, string>;
  /** Every variable in scope after the last step (what `FROM <this stage>` starts with). */
  scope: Map<string, string>;
  /** Build arguments some ARG line of this stage consumed. */
  usedBuildArgs: Set<string>;
}

/**
 * Substitutes the variables of stage `index` of `plan`. `baseScope` is what its base brings:
 * the image config's Env (as a map) for an image, the parent's `scope` for a stage, empty
 * for scratch.
 */
export function resolveStage(
  plan: BuildPlan,
  index: number,
  baseScope: ReadonlyMap<string, string>,
): ResolvedStage {
  const stage = plan.stages[index];
  const scope = new Map(baseScope);
  const env = new Map<string, string>();
  const args: [string, string][] = [];
  const usedBuildArgs = new Set<string>();
  const lex: LexOptions = { escapeToken: plan.escape };
  const steps: ResolvedStep[] = [];

  for (const ins of stage.instructions) {
    const before = new Map(scope);
    const w = (s: string) => word(s, scope, lex, ins.at);
    let out: Instruction = ins;
    let mounts: MountSpec[] = [];
    switch (ins.kind) {
      case "ENV": {
        const pairs = ins.pairs.map((p) => ({ key: w(p.key), value: w(p.value) }));
        for (const p of pairs) {
          scope.set(p.key, p.value);
          env.set(p.key, p.value);
        }
        out = { ...ins, pairs };
        break;
      }
      case "ARG": {
        const decls = ins.args.map((a) => {
          const key = a.key;
          let value: string | undefined;
          if (plan.buildArgs.has(key)) {
            value = plan.buildArgs.get(key);
            usedBuildArgs.add(key);
          } else if (a.value !== undefined) value = w(a.value);
          else value = plan.globalArgs.get(key);
          if (value !== undefined) {
            scope.set(key, value);
            const at = args.findIndex(([k]) => k === key);
            if (at >= 0) args.splice(at, 1);
            args.push([key, value]);
          }
          return value === undefined ? { key } : { key, value };
        });
        out = { ...ins, args: decls };
        break;
      }
      case "LABEL":
        out = { ...ins, pairs: ins.pairs.map((p) => ({ key: w(p.key), value: w(p.value) })) };
        break;
      case "EXPOSE":
        out = { ...ins, ports: ins.ports.flatMap((p) => words(p, scope, lex, ins.at)) };
        break;
      case "USER":
      case "WORKDIR":
      case "STOPSIGNAL":
        out = { ...ins, value: w(ins.value) };
        break;
      case "VOLUME": {
        const paths = ins.paths.map(w);
        if (paths.some((p) => p === "")) {
          throw new DockerfileSyntaxError(ins.at, "VOLUME specified can not be an empty string");
        }
        out = { ...ins, paths };
        break;
      }
      case "COPY":
      case "ADD": {
        // Heredoc bodies: `\` escapes whatever the escape directive says, quotes are text.
        const body: LexOptions = { escapeToken: "\\", skipProcessQuotes: true };
        const common = {
          sources: ins.sources.map(w),
          dest: w(ins.dest),
          chown: w(ins.chown),
          chmod: w(ins.chmod),
          inline: ins.inline.map((s) => ({
            ...s,
            content: s.expand ? word(s.content, scope, body, ins.at) : s.content,
          })),
        };
        out = ins.kind === "ADD"
          ? { ...ins, ...common, checksum: w(ins.checksum) }
          : { ...ins, ...common };
        break;
      }
      case "RUN":
        mounts = ins.mounts.map((m) => {
          try {
            return parseMount(m, w);
          } catch (e) {
            if (e instanceof DockerfileSyntaxError) throw e;
            throw new DockerfileSyntaxError(ins.at, (e as Error).message);
          }
        });
        break;
    }
    steps.push({ instruction: out, mounts, args: [...args], scope: before });
  }
  return { steps, env, scope, usedBuildArgs };
}

/**
 * Resolves every stage the plan's target needs, in build order. `imageEnv` gives the Env of
 * an image's config (`KEY=VALUE` strings), for stages based on an image.
 */
export function resolveStages(
  plan: BuildPlan,
  imageEnv: (ref: string, platform: string) => string[],
): Map<number, ResolvedStage> {
  const done = new Map<number, ResolvedStage>();
  for (const i of plan.order) {
    const base = plan.stages[i].base;
    const scope = base.kind === "stage"
      ? done.get(base.index)!.scope
      : base.kind === "image"
      ? envMap(imageEnv(base.ref, plan.stages[i].platform))
      : new Map<string, string>();
    done.set(i, resolveStage(plan, i, scope));
  }
  return done;
}

/**
 * The build arguments no ARG line of the built stages (or the global scope) declared, which
 * Docker warns were not consumed. Proxy variables are never reported.
 */
export function unusedBuildArgs(plan: BuildPlan, resolved: Map<number, ResolvedStage>): string[] {
  const used = new Set<string>(plan.metaArgNames);
  for (const r of resolved.values()) for (const k of r.usedBuildArgs) used.add(k);
  return [...plan.buildArgs.keys()]
    .filter((k) => !used.has(k) && !plan.proxyEnv.has(k))
    .sort();
}

/** `KEY=VALUE` strings (an image config's Env) as a map; a bare `KEY` is an empty value. */
export function envMap(env: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const kv of env) {
    const eq = kv.indexOf("=");
    if (eq < 0) m.set(kv, "");
    else m.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  return m;
}

function word(source: string, env: Env, lex: LexOptions, at: Position): string {
  try {
    return expand(source, env, lex).word;
  } catch (e) {
    if (e instanceof ExpandError) throw new DockerfileSyntaxError(at, e.message);
    throw e;
  }
}

function words(source: string, env: Env, lex: LexOptions, at: Position): string[] {
  try {
    return expand(source, env, lex).words;
  } catch (e) {
    if (e instanceof ExpandError) throw new DockerfileSyntaxError(at, e.message);
    throw e;
  }
}
