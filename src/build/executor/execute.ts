/**
 * The build executor: walks the stages the target needs (planBuild's order), each from its
 * base (an image found or pulled by the caller, `scratch`, or an earlier stage's result),
 * and runs its steps: metadata instructions change the config and add an `empty_layer`
 * history entry; WORKDIR creates its directory (a layer only when it was missing); RUN runs
 * as a hidden container and its changes become a layer; COPY/ADD go through
 * src/build/copy. Every step that can make a layer is looked up in the layer cache first
 * (key: the parent's key and the step as resolved) and reused when found.
 *
 * The result is a config document and its layers; the caller stores and tags it.
 */
import { InvalidArgumentError, SkiffError } from "../../errors.ts";
import { readBlob } from "../../store/blobs.ts";
import type { ImageLayer, ImageRecord } from "../../store/images.ts";
import type { Store } from "../../store/store.ts";
import { O_DIRECTORY, O_PATH, openInRoot } from "../../sys/resolve.ts";
import { SysError } from "../../sys/errno.ts";
import {
  type BuildPlan,
  type ResolvedStep,
  resolveStages,
  type RunInstruction,
  runScript,
  unusedBuildArgs,
} from "../dockerfile/mod.ts";
import type { BuildContext } from "../context/mod.ts";
import { lookupStep, saveStep, stepKey } from "./cache.ts";
import {
  applyMetadata,
  type ImageDoc,
  isMetadata,
  runCreatedBy,
  shellOf,
  type StageFacts,
  stageStartDoc,
  stepTime,
} from "./config.ts";
import type { BuildProgress } from "./progress.ts";
import { runStep, type StepRunOptions } from "./run_step.ts";
import { applyCopy, copyCacheKey, type CopyStepInput } from "../copy/mod.ts";
import { contextOrigin, copyCreatedBy, type HeldOrigin, layersRoot } from "./copy_step.ts";
import { instructionSources } from "../dockerfile/plan.ts";
import { withStepRoot } from "./step_root.ts";
import { resolveChown } from "../copy/owner.ts";
import { bindKey, type BindSource, type BuildSecrets } from "./run_mounts.ts";

/** What the executor needs from above it: base images found or pulled. */
export interface ExecutorDeps {
  /** The image `ref` names (pulled when missing, as the build's --pull says). */
  baseImage(ref: string, platform: string): Promise<ImageRecord>;
}

/** How a build runs. */
export interface ExecuteOptions {
  plan: BuildPlan;
  /** `--no-cache`: run every step (results are still cached for the next build). */
  noCache?: boolean;
  /** The build's `--network`: default (network access: the host's), none or host. */
  network?: "default" | "none" | "host";
  /** SOURCE_DATE_EPOCH in seconds: clamps the times written. */
  sourceDateEpoch?: number;
  /** The platform built for (the host's). */
  platform: { os: string; architecture: string; variant?: string };
  progress: BuildProgress;
  /** The build context (COPY and ADD read it); none when the Dockerfile came alone. */
  context?: BuildContext;
  /** `--secret` values by id, for RUN --mount=type=secret (never in a key or a layer). */
  secrets?: BuildSecrets;
  /** The directories `--build-context` names (COPY --from and RUN --mount from= read them). */
  namedContexts?: ReadonlyMap<string, BuildContext>;
  /** The build's run flags, for every RUN step's container (not in the cache key). */
  runOptions?: StepRunOptions;
  /** `--no-cache-filter`: the stages (by name) whose steps all run again. */
  noCacheStages?: string[];
}

/** What a build made: the target stage, and the build arguments no ARG consumed. */
export interface BuildOutcome {
  target: StageResult;
  unusedBuildArgs: string[];
}

/** A built stage: its config document, layers and cache key. */
export interface StageResult {
  doc: ImageDoc;
  layers: ImageLayer[];
  key: string;
}

/** A RUN step that exited non-zero. */
export class BuildStepError extends SkiffError {
  /** The step process's exit code. */
  readonly stepExitCode: number;
  constructor(message: string, stepExitCode: number) {
    super(message);
    this.stepExitCode = stepExitCode;
    this.exitCode = 1;
  }
}

interface BaseInfo {
  record: ImageRecord;
  doc: ImageDoc;
}

/**
 * Runs the build's stages; returns the target stage's result.
 *
 * @example
 * ```ts ignore
 * const result = await executeBuild(store, deps, { plan, platform, progress });
 * ```
 */
export async function executeBuild(
  store: Store,
  deps: ExecutorDeps,
  opts: ExecuteOptions,
): Promise<BuildOutcome> {
  const plan = opts.plan;
  // Base images first: the variables of a stage depend on its base's Env.
  const bases = new Map<string, BaseInfo>();
  const baseKey = (ref: string, platform: string) => `${platform}\u0000${ref}`;
  for (const i of plan.order) {
    const base = plan.stages[i].base;
    if (base.kind !== "image") continue;
    const k = baseKey(base.ref, plan.stages[i].platform);
    if (bases.has(k)) continue;
    const record = await deps.baseImage(base.ref, plan.stages[i].platform);
    const doc = JSON.parse(new TextDecoder().decode(await readBlob(store, record.id))) as ImageDoc;
    bases.set(k, { record, doc });
  }
  const resolved = resolveStages(plan, (ref, platform) => {
    const b = bases.get(baseKey(ref, platform));
    if (!b) throw new InvalidArgumentError(`base image ${ref} was not resolved`);
    return { env: b.doc.config?.Env ?? [], onBuild: b.doc.config?.OnBuild ?? null };
  });

  const results = new Map<number, StageResult>();
  for (const [index, stage] of resolved) {
    const planned = plan.stages[index];
    const base = planned.base;
    const vertices = 1 + stage.steps.filter((s) => !isMetadata(s.instruction)).length;
    const label = (n: number) =>
      `[${planned.displayName ? `${planned.displayName} ` : ""}${n}/${vertices}]`;
    let state: StageResult;
    if (base.kind === "image") {
      const b = bases.get(baseKey(base.ref, planned.platform))!;
      const id = opts.progress.start(`${label(1)} FROM ${base.ref}`);
      opts.progress.done(id);
      state = {
        doc: stageStartDoc(b.doc, opts.platform),
        layers: b.record.layers,
        key: b.record.id,
      };
    } else if (base.kind === "stage") {
      const parent = results.get(base.index)!;
      state = {
        doc: stageStartDoc(parent.doc, opts.platform),
        layers: parent.layers,
        key: parent.key,
      };
    } else if (base.kind === "context") {
      state = await contextBase(store, base.name, opts);
    } else {
      state = { doc: stageStartDoc(undefined, opts.platform), layers: [], key: "scratch" };
    }
    const facts: StageFacts = { cmdSet: false };
    const filtered = (opts.noCacheStages ?? []).some((n) =>
      n.toLowerCase() === planned.name || n === String(index)
    );
    const stageOpts = filtered ? { ...opts, noCache: true } : opts;
    let vertex = 1;
    for (const step of stage.steps) {
      if (isMetadata(step.instruction)) {
        const createdBy = applyMetadata(state.doc, step, facts);
        pushHistory(state.doc, createdBy);
        continue;
      }
      vertex++;
      const name = `${label(vertex)} ${step.onbuild ? "ONBUILD " : ""}${displayInstruction(step)}`;
      state = await layerStep(store, state, step, name, stageOpts, { plan, deps, results });
    }
    results.set(index, state);
  }
  const target = results.get(plan.target)!;
  finishDoc(target.doc, opts.sourceDateEpoch);
  return { target, unusedBuildArgs: unusedBuildArgs(plan, resolved) };
}

/** An instruction as the progress shows it: as written, continuations joined. */
function displayInstruction(step: ResolvedStep): string {
  return step.instruction.original.replace(/\\\n\s*/g, "").replace(/\s+/g, " ").trim();
}

/**
 * Appends a history entry. A metadata entry gets its time when the image is finished
 * (`finishDoc`): the newest time of its layers, as BuildKit dates them.
 */
function pushHistory(
  doc: ImageDoc,
  createdBy: string,
  layer?: { created: string; empty: boolean },
): void {
  doc.history.push({
    ...(layer ? { created: layer.created } : {}),
    created_by: createdBy,
    comment: "buildkit.dockerfile.v0",
    ...(layer === undefined || layer.empty ? { empty_layer: true } : {}),
  });
}

/**
 * Dates the image: its `created` is the newest history time (the base's when the build
 * added no step that ran), clamped to SOURCE_DATE_EPOCH; entries without a time get it.
 */
export function finishDoc(doc: ImageDoc, epoch?: number): void {
  let newest: string | undefined = doc.created;
  for (const h of doc.history) {
    if (h.created && (newest === undefined || Date.parse(h.created) > Date.parse(newest))) {
      newest = h.created;
    }
  }
  if (newest !== undefined && epoch !== undefined) newest = stepTime(new Date(newest), epoch);
  for (const h of doc.history) {
    if (h.created === undefined && newest !== undefined) h.created = newest;
  }
  if (newest !== undefined) doc.created = newest;
}

/** What a step may read besides its own stage: earlier stages' results, images. */
interface StepEnv {
  plan: BuildPlan;
  deps: ExecutorDeps;
  results: Map<number, StageResult>;
}

/** Runs (or takes from the cache) one step that may change files: WORKDIR, RUN, COPY, ADD. */
async function layerStep(
  store: Store,
  state: StageResult,
  step: ResolvedStep,
  name: string,
  opts: ExecuteOptions,
  env: StepEnv,
): Promise<StageResult> {
  let held: HeldOrigin | undefined;
  try {
    return await runLayerStep(store, state, step, name, opts, env, (h) => held = h);
  } finally {
    await held?.release();
  }
}

async function runLayerStep(
  store: Store,
  state: StageResult,
  step: ResolvedStep,
  name: string,
  opts: ExecuteOptions,
  env: StepEnv,
  hold: (h: HeldOrigin) => void,
): Promise<StageResult> {
  const doc: ImageDoc = structuredClone(state.doc);
  const stepEnv = env;
  const ins = step.instruction;
  const c = doc.config;
  let createdBy: string;
  let describe: Record<string, unknown>;
  let make: (onOutput: (chunk: Uint8Array) => void) => Promise<ImageLayer | null>;

  if (ins.kind === "WORKDIR") {
    createdBy = applyMetadata(doc, step, { cmdSet: true });
    const dir = c.WorkingDir ?? "/";
    describe = { workdir: dir, user: c.User ?? "", epoch: opts.sourceDateEpoch };
    make = () =>
      withStepRoot(
        store,
        state.layers,
        opts.platform,
        async (root) => mkdirInRoot(root, dir, 0, await workdirOwner(root, c.User ?? "")),
        opts.sourceDateEpoch,
      );
  } else if (ins.kind === "RUN") {
    const shell = shellOf(c);
    const script = runScript(ins as RunInstruction);
    const files: { source: string; target: string }[] = [];
    let argv: string[];
    if (script.kind === "exec") argv = script.args;
    else if (script.kind === "shell") argv = [...shell, script.script];
    else argv = [...shell, `/dev/pipes/${script.name}`];
    const network = runNetwork(ins.network, opts.network ?? "default");
    const env = c.Env ?? [];
    createdBy = runCreatedBy(argv, step.args, env);
    describe = {
      run: argv,
      file: script.kind === "file" ? script.content : undefined,
      args: step.args,
      mounts: step.mounts,
      network,
      env,
      hosts: opts.runOptions?.extraHosts,
      user: c.User ?? "",
      workdir: c.WorkingDir ?? "",
      epoch: opts.sourceDateEpoch,
    };
    const argNames = new Set(step.args.map(([k]) => k));
    const binds: BindSource[] = [];
    const bindKeys: unknown[] = [];
    for (const m of step.mounts) {
      if (m.type !== "bind") continue;
      const from = await bindOrigin(m.from, opts, stepEnv);
      binds.push({ mount: m, origin: from.origin });
      bindKeys.push(await bindKey(m, from.origin, from.key));
    }
    if (bindKeys.length > 0) describe.binds = bindKeys;
    make = async (onOutput) => {
      let tmp: string | undefined;
      try {
        if (script.kind === "file") {
          tmp = await Deno.makeTempFile({ dir: store.tmp, prefix: "build-script-" });
          await Deno.writeTextFile(tmp, script.content);
          await Deno.chmod(tmp, 0o755);
          files.push({ source: tmp, target: `/dev/pipes/${script.name}` });
        }
        const r = await runStep(store, {
          layers: state.layers,
          platform: opts.platform,
          config: c,
          argv,
          // the proxy variables from --build-arg reach RUN without an ARG line, and stay
          // out of the cache key and the history, as BuildKit keeps them
          args: [...step.args, ...[...opts.plan.proxyEnv].filter(([k]) => !argNames.has(k))],
          network,
          mounts: step.mounts,
          binds,
          ...(opts.runOptions ? { runOptions: opts.runOptions } : {}),
          ...(opts.secrets ? { secrets: opts.secrets } : {}),
          files,
          onOutput,
          ...(opts.sourceDateEpoch !== undefined ? { sourceDateEpoch: opts.sourceDateEpoch } : {}),
        });
        if (r.exitCode !== 0) {
          const shown = script.kind === "exec" ? JSON.stringify(argv) : argv.join(" ");
          throw new BuildStepError(
            `process "${shown}" did not complete successfully: exit code: ${r.exitCode}`,
            r.exitCode,
          );
        }
        return r.layer;
      } finally {
        if (tmp) await Deno.remove(tmp).catch(() => {});
      }
    };
  } else if (ins.kind === "COPY" || ins.kind === "ADD") {
    let held: HeldOrigin;
    const source = ins.kind === "COPY" && ins.from !== ""
      ? instructionSources(env.plan, ins)[0]
      : undefined;
    if (source?.kind === "stage") {
      const from = env.results.get(source.index);
      if (!from) {
        throw new InvalidArgumentError(
          `${ins.at.file}:${ins.at.line}: stage ${source.index} is not built before this step`,
        );
      }
      held = await layersRoot(store, from.layers);
    } else if (source?.kind === "image") {
      const image = await env.deps.baseImage(source.ref, "");
      held = await layersRoot(store, image.layers);
    } else if (source?.kind === "context") {
      held = await contextOrigin(store, ins, namedContext(opts, source.name));
    } else held = await contextOrigin(store, ins, opts.context);
    hold(held);
    const workdir = c.WorkingDir || "/";
    const input: CopyStepInput = {
      instruction: ins,
      origin: held.origin,
      workdir,
      ...(opts.sourceDateEpoch !== undefined ? { sourceDateEpoch: opts.sourceDateEpoch } : {}),
    };
    createdBy = copyCreatedBy(ins);
    describe = {
      copy: await copyCacheKey(input),
      kind: ins.kind,
      workdir,
      epoch: opts.sourceDateEpoch,
    };
    make = () =>
      withStepRoot(
        store,
        state.layers,
        opts.platform,
        (root) => applyCopy(input, root),
        opts.sourceDateEpoch,
      );
  } else {
    throw new InvalidArgumentError(
      `${ins.at.file}:${ins.at.line}: ${ins.kind} is not supported by this build yet`,
    );
  }

  const key = await stepKey(state.key, describe);
  const id = opts.progress.start(name);
  let entry = opts.noCache ? undefined : await lookupStep(store, key);
  if (entry) opts.progress.cached(id);
  else {
    try {
      const layer = await make((chunk) => opts.progress.output(id, chunk));
      entry = { layer, created: stepTime(new Date(), opts.sourceDateEpoch) };
      await saveStep(store, key, entry);
    } catch (err) {
      opts.progress.error(id, (err as Error).message);
      throw err;
    }
    opts.progress.done(id);
  }
  pushHistory(doc, createdBy, { created: entry.created, empty: entry.layer === null });
  return {
    doc,
    layers: entry.layer ? [...state.layers, entry.layer] : state.layers,
    // what follows is keyed by the result this build took, not only by the step: two builds
    // of one Dockerfile at once may each write the step's entry, and a later step must never
    // be taken from the other build's chain of layers
    key: await stepKey(key, { layer: entry.layer?.chainId ?? null, created: entry.created }),
  };
}

/** Where a RUN bind mount's `from=` reads: the context (""), an earlier stage, an image. */
async function bindOrigin(
  from: string,
  opts: ExecuteOptions,
  env: StepEnv,
): Promise<{ origin: BindSource["origin"]; key: string }> {
  if (from === "") return { origin: { kind: "context", context: opts.context }, key: "" };
  const index = env.plan.stageNames.get(from.toLowerCase());
  if (index !== undefined) {
    const stage = env.results.get(index);
    if (!stage) {
      throw new InvalidArgumentError(`stage ${from} is not built before this step`);
    }
    return { origin: { kind: "layers", layers: stage.layers, name: from }, key: stage.key };
  }
  const named = env.plan.namedContexts.get(from);
  if (named === null) {
    return { origin: { kind: "context", context: namedContext(opts, from) }, key: "" };
  }
  const image = await env.deps.baseImage(named ?? from, "");
  return { origin: { kind: "layers", layers: image.layers, name: from }, key: image.id };
}

/**
 * A stage FROM a `--build-context` directory: no config (as scratch) and one layer, the
 * directory's files (ignore rules applied, owned by root) as COPY writes them, taken from the
 * cache when the same content was built before. BuildKit gives such a base layer a history
 * entry with no command; so does skiff.
 */
async function contextBase(
  store: Store,
  name: string,
  opts: ExecuteOptions,
): Promise<StageResult> {
  const epoch = opts.sourceDateEpoch;
  const input: CopyStepInput = {
    instruction: {
      kind: "COPY",
      at: { file: "Dockerfile", line: 0, column: 0 },
      endLine: 0,
      original: "COPY . /",
      sources: ["."],
      inline: [],
      dest: "/",
      chown: "",
      chmod: "",
      link: false,
      excludes: [],
      from: "",
      parents: false,
    },
    origin: { kind: "context", context: namedContext(opts, name) },
    workdir: "/",
    ...(epoch !== undefined ? { sourceDateEpoch: epoch } : {}),
  };
  const key = await stepKey("context", { copy: await copyCacheKey(input), epoch });
  const id = opts.progress.start(`[context ${name}] load from client`);
  let entry = opts.noCache ? undefined : await lookupStep(store, key);
  if (entry) opts.progress.cached(id);
  else {
    const layer = await withStepRoot(store, [], opts.platform, (r) => applyCopy(input, r), epoch);
    entry = { layer, created: stepTime(new Date(), epoch) };
    await saveStep(store, key, entry);
    opts.progress.done(id);
  }
  const doc = stageStartDoc(undefined, opts.platform);
  if (entry.layer) doc.history.push({ created: entry.created });
  return {
    doc,
    layers: entry.layer ? [entry.layer] : [],
    key: await stepKey(key, { layer: entry.layer?.chainId ?? null, created: entry.created }),
  };
}

/** The directory `--build-context` gave `name`. */
function namedContext(opts: ExecuteOptions, name: string): BuildContext {
  const context = opts.namedContexts?.get(name);
  if (!context) throw new InvalidArgumentError(`build context ${name} was not opened`);
  return context;
}

/** The network a RUN gets: its own `--network`, else the build's (default: the host's). */
function runNetwork(own: string, build: string): "none" | "host" {
  const mode = own === "default" || own === "" ? build : own;
  return mode === "none" ? "none" : "host";
}

/**
 * Who owns the directories WORKDIR makes: the stage's USER (names looked up in the image's
 * /etc/passwd and /etc/group, inside the root), as BuildKit makes them; root when there is no
 * USER or it cannot be found there.
 */
async function workdirOwner(
  root: string,
  user: string,
): Promise<{ uid: number; gid: number } | undefined> {
  if (user === "") return undefined;
  try {
    return await resolveChown(user, root);
  } catch {
    return undefined;
  }
}

/**
 * Creates `dir` (absolute, in the image) and its missing parents inside `root`, mode 0755,
 * as MkdirAll does inside the image: every component is resolved inside the root, and a
 * symlink on the way (even a dangling one) has its target created there too, never on the
 * host.
 */
export function mkdirInRoot(
  root: string,
  dir: string,
  depth = 0,
  owner?: { uid: number; gid: number },
): void {
  if (depth > 40) {
    throw new InvalidArgumentError(`too many levels of symbolic links creating ${dir}`);
  }
  const parts = dir.split("/").filter((p) => p !== "" && p !== ".");
  const clean: string[] = [];
  for (const p of parts) p === ".." ? clean.pop() : clean.push(p);
  if (clean.length === 0) return;
  const path = `/${clean.join("/")}`;
  try {
    openInRoot(root, path, { flags: O_PATH | O_DIRECTORY }).close();
    return;
  } catch (err) {
    if (!(err instanceof SysError) || err.code !== "ENOENT") {
      throw new InvalidArgumentError(
        `cannot create the directory ${path}: ${(err as Error).message}`,
      );
    }
  }
  const parent = `/${clean.slice(0, -1).join("/")}`;
  const name = clean[clean.length - 1];
  mkdirInRoot(root, parent, depth + 1, owner);
  const at = openInRoot(root, parent, { flags: O_PATH | O_DIRECTORY });
  try {
    Deno.mkdirSync(`${at.path}/${name}`, { mode: 0o755 });
    // the directory just made (nothing runs in the root meanwhile): the USER's, as BuildKit
    if (owner && (owner.uid !== 0 || owner.gid !== 0)) {
      Deno.chownSync(`${at.path}/${name}`, owner.uid, owner.gid);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    const st = Deno.lstatSync(`${at.path}/${name}`);
    if (!st.isSymlink) {
      throw new InvalidArgumentError(`cannot create the directory ${path}: not a directory`);
    }
    const target = Deno.readLinkSync(`${at.path}/${name}`);
    mkdirInRoot(
      root,
      target.startsWith("/") ? target : `${parent}/${target}`,
      depth + 1,
      owner,
    );
  } finally {
    at.close();
  }
}
