/**
 * One stage's instructions with variables substituted where Docker substitutes them: ENV,
 * ARG, LABEL, EXPOSE (split into words, then `port/proto` entries), USER, WORKDIR,
 * STOPSIGNAL, VOLUME, COPY and ADD (sources, destination, --chown, --chmod, ADD's
 * --checksum, and heredoc bodies whose delimiter was not quoted; not --exclude) and RUN's
 * --mount values. RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK, MAINTAINER and ONBUILD are left
 * as written (the shell, or the later build that runs the trigger, expands them).
 *
 * The variables in scope follow BuildKit: what a parent stage had in scope, then the base's
 * image config Env (with Docker's default PATH when it has none), then each ENV and ARG in
 * order, the later one winning. An ARG takes `--build-arg`, else its default, else the
 * global value of the same name (ARG lines before the first FROM, the automatic args).
 */
import type { Instruction } from "./ast.ts";
import { type Env, expand, ExpandError, type LexOptions } from "./expand.ts";
import { exposedPorts } from "./expose.ts";
import { DockerfileSyntaxError, type Position } from "./lexer.ts";
import { type MountSpec, parseMount } from "./mount.ts";
import { type BuildPlan, instructionSources } from "./plan.ts";
import { parseTriggers } from "./parse.ts";

/** One instruction ready to run. */
export interface ResolvedStep {
  /** True for an ONBUILD trigger of the base, run before the stage's own instructions. */
  onbuild: boolean;
  /** The instruction with its values substituted. */
  instruction: Instruction;
  /** RUN only: the mounts, parsed with the stage's variables. */
  mounts: MountSpec[];
  /**
   * The ARG values in effect at this step (an ARG line's own included), in declaration
   * order: RUN gets them in its environment and the cache key includes them; they never
   * reach the image config.
   */
  args: [string, string][];
  /** Every variable in scope before this step (base env, ENV and ARG values). */
  scope: Map<string, string>;
}

/** A stage's steps and what the next stage based on it inherits. */
export interface ResolvedStage {
  steps: ResolvedStep[];
  /**
   * The image config's Env after the stage, in order: the base's Env (PATH added when it
   * had none), then each ENV.
   */
  env: Map<string, string>;
  /** Every variable in scope after the last step (what `FROM <this stage>` starts with). */
  scope: Map<string, string>;
  /** Build arguments some ARG line of this stage consumed. */
  usedBuildArgs: Set<string>;
  /** The ARG values in effect after the last step (a stage based on this one keeps them). */
  args: [string, string][];
}

/** What a stage starts with, from its base. */
export interface StageStart {
  /** The base's image config Env: an image's, a parent stage's `env`; empty for scratch. */
  imageEnv: ReadonlyMap<string, string>;
  /** A parent stage's `scope` (its ARG values stay in scope, as BuildKit keeps them). */
  scope?: ReadonlyMap<string, string>;
  /** ARG values in effect: the parent stage's `args`. */
  args?: [string, string][];
  /** The base's ONBUILD triggers (see `parseTriggers`), run first. */
  triggers?: Instruction[];
}

/** Docker's PATH for an image whose config has none. */
export const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * Substitutes the variables of stage `index` of `plan`, starting from what its base brings
 * (`start`): the base's ONBUILD triggers run first, then the stage's instructions.
 */
export function resolveStage(plan: BuildPlan, index: number, start: StageStart): ResolvedStage {
  const stage = plan.stages[index];
  const env = new Map(start.imageEnv);
  if (!env.has("PATH")) env.set("PATH", defaultPath);
  const scope = new Map([...(start.scope ?? []), ...env]);
  const args: [string, string][] = [...(start.args ?? [])];
  const triggers = start.triggers ?? [];
  const usedBuildArgs = new Set<string>();
  const lex: LexOptions = { escapeToken: plan.escape };
  const steps: ResolvedStep[] = [];

  for (const [n, ins] of [...triggers, ...stage.instructions].entries()) {
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
      case "EXPOSE": {
        // Words after substitution, then each as the config's `port/proto` entries.
        const ports = ins.ports.flatMap((p) => words(p, scope, lex, ins.at)).flatMap((p) => {
          try {
            return exposedPorts(p);
          } catch (e) {
            throw new DockerfileSyntaxError(ins.at, (e as Error).message);
          }
        });
        out = { ...ins, ports };
        break;
      }
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
    steps.push({
      onbuild: n < triggers.length,
      instruction: out,
      mounts,
      args: [...args],
      scope: before,
    });
  }
  return { steps, env, scope, usedBuildArgs, args };
}

/** What `resolveStages` needs to know about a base image. */
export interface BaseImage {
  /** The config's Env (`KEY=VALUE`). */
  env: string[];
  /** The config's OnBuild triggers. */
  onBuild?: string[] | null;
}

/**
 * Resolves every stage the plan's target needs, each after the stages it reads, with the
 * bases' ONBUILD triggers (an image's `OnBuild`, or a base stage's ONBUILD lines) run first,
 * as BuildKit does. A trigger may read another stage (COPY --from), which is then resolved
 * too. `image` describes a base image; the map's order is the order to build in.
 */
export function resolveStages(
  plan: BuildPlan,
  image: (ref: string, platform: string) => BaseImage,
): Map<number, ResolvedStage> {
  const done = new Map<number, ResolvedStage>();
  const visiting = new Set<number>();
  const visit = (i: number) => {
    if (done.has(i)) return;
    const stage = plan.stages[i];
    if (visiting.has(i)) {
      throw new DockerfileSyntaxError(
        stage.from.at,
        `circular dependency detected on stage: ${stage.name || `stage-${i}`}`,
      );
    }
    visiting.add(i);
    const base = stage.base;
    let start: StageStart = { imageEnv: new Map() };
    let triggers: string[] = [];
    if (base.kind === "stage") {
      visit(base.index);
      const parent = done.get(base.index)!;
      start = { imageEnv: parent.env, scope: parent.scope, args: parent.args };
      for (const ins of plan.stages[base.index].instructions) {
        if (ins.kind === "ONBUILD") triggers.push(ins.expression);
      }
    } else if (base.kind === "image") {
      const config = image(base.ref, stage.platform);
      start = { imageEnv: envMap(config.env) };
      triggers = config.onBuild ?? [];
    }
    start.triggers = parseTriggers(triggers, stage.from.at);
    for (const ins of start.triggers) {
      for (const src of instructionSources(plan, ins)) {
        if (src.kind !== "stage") continue;
        if (src.index >= i) {
          const name = JSON.stringify(plan.stages[src.index].name || String(src.index));
          throw new DockerfileSyntaxError(
            stage.from.at,
            `cannot copy from stage ${name}, it needs to be defined before current stage ${
              JSON.stringify(stage.name || `stage-${i}`)
            }`,
          );
        }
        visit(src.index);
      }
    }
    for (const src of stage.sources) if (src.kind === "stage") visit(src.index);
    done.set(i, resolveStage(plan, i, start));
    visiting.delete(i);
  };
  for (const i of plan.order) visit(i);
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
