/**
 * The build executor: runs a planned Dockerfile build (stages, steps, the layer cache) and
 * returns the target's config and layers (`executeBuild`); BuildKit-style plain progress.
 */
export {
  type BuildOutcome,
  BuildStepError,
  executeBuild,
  type ExecuteOptions,
  type ExecutorDeps,
  type StageResult,
} from "./execute.ts";
export {
  buildCacheDir,
  type CachedStep,
  canonicalJson,
  lookupStep,
  saveStep,
  stepKey,
} from "./cache.ts";
export {
  applyMetadata,
  type History,
  type ImageDoc,
  runCreatedBy,
  type RuntimeConfig,
  stageStartDoc,
  stepTime,
} from "./config.ts";
export { type BuildProgress, PlainProgress, quietProgress } from "./progress.ts";
export { reapStaleSteps } from "./step_root.ts";
export type { StepRunOptions } from "./run_step.ts";
