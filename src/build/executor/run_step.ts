/**
 * A RUN step: a container made and started by the same runtime code as `skiff run`
 * (namespaces, cgroups, capabilities, seccomp, the image's environment, user and working
 * directory) on an overlay of the parent's layers, its output relayed line by line, its
 * changes made into a layer. The container's record lives in the step's scratch directory
 * (never listed by `ps -a`); its run directory, scratch directory and temporary config blob
 * are removed whatever happens, and its cgroup by its monitor when it exits.
 */
import { ExecError, InvalidArgumentError } from "../../errors.ts";
import { hasBlob, putBlobContent, removeBlob } from "../../store/blobs.ts";
import { withLock } from "../../store/lock.ts";
import type { ImageLayer, ImageRecord } from "../../store/images.ts";
import type { Store } from "../../store/store.ts";
import { attachTerminal } from "../../runtime/attach_terminal.ts";
import { containerDir, containerRunDir } from "../../runtime/container_store.ts";
import { createContainer } from "../../runtime/create.ts";
import type { MountSpec as RuntimeMount } from "../../runtime/mounts.ts";
import { defaultRunOptions, type RunOptions } from "../../runtime/run_options.ts";
import { startContainer } from "../../runtime/start.ts";
import { readExit, waitMonitorDone } from "../../runtime/state.ts";
import type { CallerTerminal } from "../../sys/terminal.ts";
import type { MountSpec } from "../dockerfile/mod.ts";
import { buildCacheDir } from "./cache.ts";
import type { RuntimeConfig } from "./config.ts";
import { captureLayer, makeStepScratch } from "./step_root.ts";
import { lowerDirs } from "../../runtime/lower_dirs.ts";
import { existsInLayers } from "../../runtime/diff.ts";
import {
  type BindSource,
  type BuildSecrets,
  type HeldMount,
  holdBind,
  holdSecrets,
  mountTarget,
  removeMountStubs,
} from "./run_mounts.ts";

/**
 * What the build's run flags (`--ulimit`, `--memory`, `--shm-size`, `--add-host`,
 * `--security-opt`...) give every RUN step's container.
 */
export type StepRunOptions = Partial<
  Pick<
    RunOptions,
    | "ulimits"
    | "memory"
    | "memorySwap"
    | "cpuShares"
    | "cgroupParent"
    | "resources"
    | "securityOpt"
    | "extraHosts"
  >
>;

/** What a RUN step runs. */
export interface RunStepInput {
  /** The parent's layers, bottom first. */
  layers: ImageLayer[];
  platform: { os: string; architecture: string };
  /** The config the step runs with (Env, User, WorkingDir). */
  config: RuntimeConfig;
  /** The process's argv. */
  argv: string[];
  /** Build arguments in effect (added to the environment where no ENV has the name). */
  args: [string, string][];
  /** `none` or `host`. */
  network: "none" | "host";
  mounts: MountSpec[];
  /** The bind mounts of `mounts` with where each reads from. */
  binds?: BindSource[];
  /** The build's run flags for the step's container. */
  runOptions?: StepRunOptions;
  /** The build's secrets by id (`--secret`), for the secret mounts. */
  secrets?: BuildSecrets;
  /** Files to bind read-only into the container (a `#!` heredoc), host path → target. */
  files?: { source: string; target: string }[];
  /** SOURCE_DATE_EPOCH in seconds: clamps the times in the step's layer. */
  sourceDateEpoch?: number;
  /** Each chunk of the process's output, as it comes. */
  onOutput(chunk: Uint8Array): void;
}

/** How a RUN step ended. */
export interface RunStepResult {
  exitCode: number;
  /** The layer it made (null: it changed nothing, or it failed). */
  layer: ImageLayer | null;
}

/** The ARG values a RUN's environment gets: those no ENV of the image already sets. */
export function runEnv(env: string[], args: [string, string][]): string[] {
  const keys = new Set(env.map((e) => e.split("=", 1)[0]));
  return args.filter(([k]) => !keys.has(k)).map(([k, v]) => `${k}=${v}`);
}

/** The directory of a cache mount: `build-cache/mounts/<sha256 of its id>` (an id is never a path). */
export async function cacheMountDir(store: Store, id: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(id)),
  );
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${buildCacheDir(store)}/mounts/${hex}`;
}

/** The step's --mount values as runtime mounts; the kinds not supported yet are refused. */
async function runtimeMounts(
  store: Store,
  mounts: MountSpec[],
  workdir: string,
): Promise<RuntimeMount[]> {
  const out: RuntimeMount[] = [];
  for (const m of mounts) {
    if (m.type === "tmpfs") {
      out.push({
        type: "tmpfs",
        target: mountTarget(m.target, workdir),
        readonly: m.readOnly,
        options: m.size > 0 ? [`size=${m.size}`] : [],
      });
    } else if (m.type === "cache") {
      if (m.from !== "") {
        throw new InvalidArgumentError("RUN --mount=type=cache,from=... is not supported yet");
      }
      const dir = await cacheMountDir(store, m.id);
      try {
        await Deno.mkdir(dir, { recursive: true, mode: m.mode });
        await Deno.chown(dir, m.uid, m.gid);
        await Deno.chmod(dir, m.mode);
      } catch (err) {
        if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
      }
      out.push({
        type: "bind",
        source: dir,
        target: mountTarget(m.target, workdir),
        readonly: m.readOnly,
        propagation: "rprivate",
        recursive: false,
      });
    } else if (m.type === "ssh") {
      throw new InvalidArgumentError(
        "RUN --mount=type=ssh is not supported: skiff build does not forward SSH agents",
      );
    }
  }
  return out;
}

/** A terminal that hands the container's output to `onOutput` (stdin: none). */
function captureTerminal(onOutput: (chunk: Uint8Array) => void): CallerTerminal {
  return {
    stdinIsTerminal: () => false,
    stdoutIsTerminal: () => false,
    setRaw: () => {},
    stdin: () => new ReadableStream({ start: (c) => c.close() }),
    write: (_stream, data) => {
      onOutput(data);
      return Promise.resolve();
    },
    size: () => {
      throw new Error("not a terminal");
    },
    onSignal: (signal, fn) => {
      Deno.addSignalListener(signal, fn);
      return () => Deno.removeSignalListener(signal, fn);
    },
  };
}

/**
 * Runs one RUN step and, when it succeeds, makes its changes into a layer.
 *
 * @example
 * ```ts ignore
 * const r = await runStep(store, { layers, platform, config, argv: ["/bin/sh", "-c", "make"], args: [], network: "none", mounts: [], onOutput });
 * ```
 */
export async function runStep(store: Store, input: RunStepInput): Promise<RunStepResult> {
  // sharing=locked (and private, which skiff serializes the same way) holds the cache
  // directory for the whole step; shared lets steps of other builds use it at once
  const locks: string[] = [];
  for (const m of input.mounts) {
    if (m.type === "cache" && m.sharing !== "shared") {
      const dir = await cacheMountDir(store, m.id);
      locks.push(`${store.locks}/build-cache-${dir.slice(dir.lastIndexOf("/") + 1)}.lock`);
    }
  }
  const run = [...new Set(locks)].sort().reduceRight(
    (inner: () => Promise<RunStepResult>, lock) => () => withLock(lock, inner),
    () => runStepUnlocked(store, input),
  );
  return await run();
}

async function runStepUnlocked(store: Store, input: RunStepInput): Promise<RunStepResult> {
  const scratch = await makeStepScratch(store);
  const held: HeldMount[] = [];
  try {
    return await runInScratch(store, input, scratch, held);
  } finally {
    for (const h of held.reverse()) await h.release().catch(() => {});
    await scratch.remove();
  }
}

async function runInScratch(
  store: Store,
  input: RunStepInput,
  scratch: Awaited<ReturnType<typeof makeStepScratch>>,
  held: HeldMount[],
): Promise<RunStepResult> {
  const c = input.config;
  const workdir = c.WorkingDir || "/";
  // the mounts in the instruction's order, then a parent's before those nested in it
  const mounts: RuntimeMount[] = [];
  const stubs: string[] = [];
  const secretEnv: string[] = [];
  let binds = 0;
  for (const m of input.mounts) {
    if (m.type === "bind") {
      const b = input.binds?.[binds];
      if (!b || b.mount !== m) throw new Error("RUN --mount=type=bind: no source given");
      const h = await holdBind(store, scratch.dir, binds++, b, workdir);
      held.push(h);
      mounts.push(h.mount);
      stubs.push(h.mount.target);
    } else if (m.type === "secret") {
      const s = await holdSecrets(scratch.dir, [m], input.secrets ?? new Map(), workdir);
      mounts.push(...s.mounts);
      stubs.push(...s.mounts.map((x) => x.target));
      secretEnv.push(...s.env);
    } else mounts.push(...await runtimeMounts(store, [m], workdir));
  }
  const depth = (p: string) => p.split("/").filter(Boolean).length;
  mounts.sort((a, b) => depth(a.target) - depth(b.target));
  for (const f of input.files ?? []) {
    mounts.push({
      type: "bind",
      source: f.source,
      target: f.target,
      readonly: true,
      propagation: "rprivate",
      recursive: false,
    });
  }
  const env = c.Env ?? [];
  // the container is made from a config of its own: what the step runs with, no more
  const configBytes = new TextEncoder().encode(JSON.stringify({
    architecture: input.platform.architecture,
    os: input.platform.os,
    config: { Env: env, User: c.User ?? "", WorkingDir: workdir },
    rootfs: { type: "layers", diff_ids: input.layers.map((l) => l.diffId) },
  }));
  let configDigest: string | undefined;
  let runDir: string | undefined;
  try {
    const digest = `sha256:${await hex(configBytes)}`;
    if (!(await hasBlob(store, digest))) {
      await putBlobContent(store, configBytes);
      configDigest = digest;
    }
    const image: ImageRecord = {
      id: digest,
      manifestDigest: digest,
      manifestMediaType: "",
      repoDigests: [],
      layers: input.layers,
      size: 0,
      os: input.platform.os,
      architecture: input.platform.architecture,
      addedAt: new Date().toISOString(),
    };
    const options = {
      ...defaultRunOptions(),
      ...input.runOptions,
      cmd: input.argv,
      entrypoint: "",
      // a secret's variable reaches the process only, never the config or the history
      env: [...runEnv(env, input.args), ...secretEnv],
      workdir,
      user: c.User || undefined,
      hostname: "buildkitsandbox",
      network: input.network,
      mounts,
    };
    const view = scratch.store;
    const rec = await createContainer(view, image, "build", options);
    runDir = containerRunDir(view, rec.Id);
    const state = await startContainer(view, rec, { waitForAttach: true });
    const code = await attachTerminal(view, rec, {
      stdin: false,
      tty: false,
      terminal: captureTerminal(input.onOutput),
      // an interrupted build stops its step at once (the step's shell, pid 1 in its
      // namespace, would ignore SIGINT and SIGTERM)
      proxySignals: () => {
        try {
          Deno.kill(state.Pid, "SIGKILL");
        } catch {
          // already gone
        }
      },
    }) ?? 1;
    await waitMonitorDone(view, rec).catch(() => {});
    if (code === 126 || code === 127) {
      const exit = await readExit(view, rec.Id);
      if (exit?.error) throw new ExecError(exit.error, code);
    }
    if (code !== 0) return { exitCode: code, layer: null };
    if (stubs.length > 0) {
      const lowers = await lowerDirs(view, rec);
      await removeMountStubs(
        `${containerDir(view, rec.Id)}/upper`,
        stubs,
        (p) => existsInLayers(lowers, p),
      );
    }
    return {
      exitCode: 0,
      layer: await captureLayer(
        store,
        view,
        rec,
        input.layers,
        input.platform,
        input.sourceDateEpoch,
      ),
    };
  } finally {
    if (runDir) await Deno.remove(runDir, { recursive: true }).catch(() => {});
    if (configDigest) await removeBlob(store, configDigest).catch(() => {});
  }
}

async function hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}
