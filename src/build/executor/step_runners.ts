/**
 * What runs a step that missed the cache (RUN's container, the overlay COPY and WORKDIR
 * write in): loaded by the executor at the first such step, so that a build whose steps are
 * all cache hits never loads the runtime.
 */
export { runStep } from "./run_step.ts";
export { withStepRoot } from "./step_root.ts";
