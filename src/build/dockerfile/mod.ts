/**
 * The Dockerfile language: parse (`parseDockerfile`), plan the stages a target needs
 * (`planBuild`), substitute each stage's variables (`resolveStage`, `resolveStages`).
 *
 * @example
 * ```ts
 * import { parseDockerfile, planBuild, resolveStages } from "./mod.ts";
 * const df = parseDockerfile("FROM busybox\nENV A=1\nWORKDIR /$A\n");
 * const plan = planBuild(df, { buildPlatform: { os: "linux", architecture: "amd64" } });
 * const stages = resolveStages(plan, () => ({ env: ["PATH=/bin"] }));
 * ```
 */
export type * from "./ast.ts";
export { parseDockerfile, parseLine, parseTriggers } from "./parse.ts";
export { type RunScript, runScript } from "./run_script.ts";
export { type Directives, DockerfileSyntaxError, type Heredoc, type Position } from "./lexer.ts";
export { expand, ExpandError, expandWord, expandWords } from "./expand.ts";
export { exposedPorts } from "./expose.ts";
export {
  type BindMount,
  mountFrom,
  type MountSpec,
  parseMount,
  type SecretMount,
} from "./mount.ts";
export { formatPlatform, hostPlatform, parsePlatform, type Platform } from "./platform.ts";
export { type BuildPlan, planBuild, type PlannedStage, type PlanOptions } from "./plan.ts";
export {
  type BaseImage,
  defaultPath,
  envMap,
  type ResolvedStage,
  type ResolvedStep,
  resolveStage,
  resolveStages,
  type StageStart,
  unusedBuildArgs,
} from "./stage.ts";
