/**
 * `build`: a Dockerfile and its context into an image. The context is opened (a directory,
 * a tar file, or a tar or a lone Dockerfile on stdin), the Dockerfile parsed and planned,
 * the executor runs the stages the target needs (base images found or pulled here), then
 * the result is stored and tagged. Nothing is tagged unless every step succeeded; a failed
 * build keeps the cache of the steps that ran.
 *
 * @module
 */
import { InvalidArgumentError, NotFoundError } from "../errors.ts";
import { openStore } from "../store/store.ts";
import type { ImageRecord } from "../store/images.ts";
import { randomSuffix } from "../store/atomic.ts";
import { parseReference } from "../image/reference.ts";
import { removeStaleScratch } from "../image/gc.ts";
import { prepareImage, recordImage } from "../image/commit_image.ts";
import { type BuildContext, openContext } from "../build/context/mod.ts";
import { exportStage } from "../build/executor/export.ts";
import { saveArchive } from "../image/archive_save.ts";
import {
  formatPlatform,
  hostPlatform,
  parseDockerfile,
  parsePlatform,
  planBuild,
} from "../build/dockerfile/mod.ts";
import {
  type BuildProgress,
  executeBuild,
  reapStaleSteps,
  type StepRunOptions,
} from "../build/executor/mod.ts";
import type { StoreOptions } from "./engine_types.ts";
import { ensureImage, type PullEvents } from "./container_create.ts";

/** Where a `--secret` comes from: a file, an environment variable, or (neither) the id's. */
export interface SecretSource {
  id: string;
  /** A file (relative to the current directory). */
  src?: string;
  /** An environment variable. */
  env?: string;
}

/** What a build is asked to do: plain data, as the CLI and the API socket both give it. */
export interface ImageBuildOptions {
  /** The context: a directory, a tar file, or "-" (stdin: a tar, or a Dockerfile alone). */
  context: string;
  /** `-f`: the Dockerfile (a host path for a directory context; "-": stdin). */
  dockerfile?: string;
  /** Standard input, for `-` and `-f -`. */
  stdin?: () => ReadableStream<Uint8Array>;
  /** `-t` values as given. */
  tags?: string[];
  /** `--build-arg` values by name. */
  buildArgs?: Record<string, string>;
  /** `--target`. */
  target?: string;
  /** `--no-cache`. */
  noCache?: boolean;
  /** `--pull`: always pull base images. */
  pull?: boolean;
  /** `--label` values. */
  labels?: Record<string, string>;
  /** `--network`: default, none or host. */
  network?: string;
  /** `--platform` (the host's only). */
  platform?: string;
  /** SOURCE_DATE_EPOCH (from the environment or `--build-arg`), seconds. */
  sourceDateEpoch?: string;
  /** `--secret` values: only the files named here are read, never written anywhere. */
  secrets?: SecretSource[];
  /** `--build-context` values by name: a directory, or `docker-image://REF`. */
  buildContexts?: Record<string, string>;
  /** The run flags (`--ulimit`, `--memory`, `--add-host`...) for every RUN step. */
  runOptions?: StepRunOptions;
  /** `--output`/`-o` values (one at most): the default stores the image. */
  outputs?: string[];
  /** Standard output, for `--output type=tar,dest=-` (and `-o -`). */
  stdout?: () => WritableStream<Uint8Array>;
  /** `--no-cache-filter`: stages whose steps all run again. */
  noCacheFilter?: string[];
  /** The environment `--secret` reads variables from. */
  getenv?: (name: string) => string | undefined;
  progress: BuildProgress;
  pullEvents: PullEvents;
}

/** Where a build's result goes: the store (an image), or its file system out of it. */
export type BuildOutput =
  | { type: "image" }
  | { type: "docker" | "oci"; dest: string }
  | { type: "local"; dest: string }
  | { type: "tar"; dest: string };

/** What a build made. */
export interface ImageBuildReport {
  /** The image id (`sha256:...`); "" when the result was exported instead of stored. */
  id: string;
  /** Where the result went. */
  output: BuildOutput;
  /** The tags pointed at it, fully qualified. */
  tags: string[];
  /** Non-fatal findings (unused build arguments, duplicate stage names). */
  warnings: string[];
}

/** The fully qualified names of `-t` values (a digest is refused, as docker does). */
export function buildTags(values: string[]): string[] {
  return values.map((t) => {
    let ref;
    try {
      ref = parseReference(t);
    } catch (err) {
      throw new InvalidArgumentError(
        `invalid argument "${t}" for "-t, --tag" flag: ${(err as Error).message}`,
      );
    }
    if (ref.digest) {
      throw new InvalidArgumentError(
        `invalid argument "${t}" for "-t, --tag" flag: refusing to create a tag with a digest reference`,
      );
    }
    return ref.toString();
  });
}

/**
 * The `--output` values checked, as buildx reads them: `type=local,dest=DIR`,
 * `type=tar,dest=FILE|-`, `type=image|docker` (the store, the default), `type=docker|oci,
 * dest=FILE|-` (the store, and the image as a `docker load` / OCI archive), or a bare `DIR`
 * (local) or `-` (a tar on standard output). One output at most.
 *
 * @example
 * ```ts
 * parseBuildOutput(["type=local,dest=out"]); // { type: "local", dest: "out" }
 * ```
 */
export function parseBuildOutput(values: string[]): BuildOutput {
  if (values.length === 0) return { type: "image" };
  if (values.length > 1) throw new InvalidArgumentError("multiple outputs are not supported");
  const value = values[0];
  if (!value.includes("=")) {
    if (value === "") throw new InvalidArgumentError("invalid output: empty value");
    return value === "-" ? { type: "tar", dest: "-" } : { type: "local", dest: value };
  }
  let type = "", dest: string | undefined;
  for (const field of value.split(",")) {
    const eq = field.indexOf("=");
    if (eq < 0) throw new InvalidArgumentError(`invalid output value ${field}: expected key=value`);
    const key = field.slice(0, eq).trim().toLowerCase();
    if (key === "type") type = field.slice(eq + 1);
    else if (key === "dest") dest = field.slice(eq + 1);
  }
  if (type === "" && dest !== undefined) type = "local";
  if ((type === "docker" || type === "oci") && dest) return { type, dest };
  if (type === "oci") throw new InvalidArgumentError("dest is required for oci output");
  if (type === "image" || type === "docker" || type === "moby") {
    if (dest !== undefined) {
      throw new InvalidArgumentError(`output type=${type} with a dest is not supported`);
    }
    return { type: "image" };
  }
  if (type === "local" || type === "tar") {
    if (!dest) throw new InvalidArgumentError(`dest is required for ${type} output`);
    return { type, dest };
  }
  throw new InvalidArgumentError(
    `output type ${JSON.stringify(type)} is not supported: use local, tar or image`,
  );
}

/**
 * A local output's directory must be missing (it is made) or empty: skiff never writes over
 * the files already in it.
 */
function checkOutputDir(dest: string): void {
  let st: Deno.FileInfo;
  try {
    st = Deno.statSync(dest);
  } catch {
    return;
  }
  if (!st.isDirectory) {
    throw new InvalidArgumentError(`output destination ${dest} is not a directory`);
  }
  for (const _ of Deno.readDirSync(dest)) {
    throw new InvalidArgumentError(
      `output destination ${dest} is not empty: skiff writes only into a new or empty directory`,
    );
  }
}

/** The build's `--network` value checked: default, none or host. */
export function buildNetwork(value = "default"): "default" | "none" | "host" {
  if (value === "" || value === "default" || value === "bridge") return "default";
  if (value === "none" || value === "host") return value;
  throw new InvalidArgumentError(
    `network mode "${value}" not supported by skiff build: use default, none or host`,
  );
}

/** SOURCE_DATE_EPOCH as seconds; undefined when unset or empty. */
export function parseSourceDateEpoch(value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  if (!/^\d+$/.test(value)) {
    throw new InvalidArgumentError(`invalid SOURCE_DATE_EPOCH: ${value}`);
  }
  return Number(value);
}

/**
 * The build's secrets by id: each file read (a missing one is an error), each variable
 * looked up (an unset one is an error); with neither given, the variable named by the id
 * when it is set, else the file of that name, as buildx does.
 */
export async function loadSecrets(
  sources: SecretSource[],
  getenv: (name: string) => string | undefined,
): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const s of sources) {
    let src = s.src;
    const env = s.env ?? (src === undefined && getenv(s.id) !== undefined ? s.id : undefined);
    if (env !== undefined) {
      const v = getenv(env);
      if (v === undefined) {
        throw new InvalidArgumentError(`secret ${s.id}: environment variable ${env} is not set`);
      }
      out.set(s.id, new TextEncoder().encode(v));
      continue;
    }
    src ??= s.id;
    try {
      const st = await Deno.stat(src);
      if (!st.isFile) throw new InvalidArgumentError(`secret ${s.id}: ${src} is not a file`);
      out.set(s.id, await Deno.readFile(src));
    } catch (err) {
      if (err instanceof InvalidArgumentError) throw err;
      const why = err instanceof Deno.errors.NotFound
        ? "no such file or directory"
        : (err as Error).message;
      throw new InvalidArgumentError(`secret ${s.id}: failed to read ${src}: ${why}`);
    }
  }
  return out;
}

/**
 * The `--build-context` values checked: an image (`docker-image://REF`, its reference
 * parsed) or a directory that exists; other sources are refused.
 */
export function parseBuildContexts(
  values: Record<string, string>,
): { images: Map<string, string>; dirs: Map<string, string> } {
  const images = new Map<string, string>();
  const dirs = new Map<string, string>();
  for (const [name, value] of Object.entries(values)) {
    const bad = (why: string) =>
      new InvalidArgumentError(`invalid --build-context ${name}=${value}: ${why}`);
    if (name === "" || value === "") throw bad("expected name=path or name=docker-image://ref");
    if (value.startsWith("docker-image://")) {
      const ref = value.slice("docker-image://".length);
      try {
        parseReference(ref);
      } catch (err) {
        throw bad((err as Error).message);
      }
      images.set(name, ref);
    } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || value.startsWith("git@")) {
      throw bad("only a directory or docker-image:// is supported");
    } else {
      let st: Deno.FileInfo;
      try {
        st = Deno.statSync(value);
      } catch {
        throw bad("no such directory");
      }
      if (!st.isDirectory) throw bad("not a directory");
      dirs.set(name, value);
    }
  }
  return { images, dirs };
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function bytesStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      c.enqueue(bytes);
      c.close();
    },
  });
}

/**
 * Builds an image and tags it.
 *
 * @example
 * ```ts ignore
 * const report = await buildImage({}, { context: ".", tags: ["app"], progress, pullEvents });
 * console.log(report.id);
 * ```
 */
export async function buildImage(
  where: StoreOptions,
  opts: ImageBuildOptions,
): Promise<ImageBuildReport> {
  // Everything that can be checked without the store is checked first.
  const tags = buildTags(opts.tags ?? []);
  const network = buildNetwork(opts.network);
  const host = hostPlatform();
  if (opts.platform) {
    const want = parsePlatform(opts.platform);
    if (want.os !== host.os || want.architecture !== host.architecture) {
      throw new InvalidArgumentError(
        `platform ${opts.platform} is not supported: skiff builds for this host's platform (${
          formatPlatform(host)
        }) only`,
      );
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(opts.context) || opts.context.startsWith("git@")) {
    throw new InvalidArgumentError(
      `unable to prepare context: a URL or git context (${opts.context}) is not supported yet`,
    );
  }
  const buildArgs = opts.buildArgs ?? {};
  const epoch = parseSourceDateEpoch(buildArgs.SOURCE_DATE_EPOCH ?? opts.sourceDateEpoch);
  if (opts.context === "-" && opts.dockerfile === "-") {
    throw new InvalidArgumentError(
      "invalid argument: can't use stdin for both build context and dockerfile",
    );
  }
  const secrets = await loadSecrets(opts.secrets ?? [], opts.getenv ?? (() => undefined));
  const named = parseBuildContexts(opts.buildContexts ?? {});
  const output = parseBuildOutput(opts.outputs ?? []);
  if (output.type === "local") checkOutputDir(output.dest);
  const store = await openStore(where);
  await reapStaleSteps(store); // what a killed build left running
  await removeStaleScratch(store); // and its scratch
  let scratchDir: string | undefined;
  let context: BuildContext | undefined;
  const namedContexts = new Map<string, BuildContext>();
  let dockerfileText: string;
  try {
    let dockerfileName = opts.dockerfile && opts.dockerfile !== "-"
      ? opts.dockerfile
      : "Dockerfile";
    if (opts.context === "-") {
      const bytes = await readAll(stdinOf(opts));
      scratchDir = `${store.tmp}/build-ctx-${randomSuffix()}`;
      await Deno.mkdir(scratchDir, { recursive: true, mode: 0o700 });
      try {
        context = await openContext({ stream: bytesStream(bytes) }, {
          scratchDir,
          dockerfile: opts.dockerfile,
        });
        dockerfileText = new TextDecoder().decode(context.dockerfile);
      } catch (err) {
        if (!(err instanceof InvalidArgumentError) || !/neither/.test(err.message)) throw err;
        // not a tar: the Dockerfile itself, with no context
        dockerfileText = new TextDecoder().decode(bytes);
        dockerfileName = "Dockerfile";
      }
    } else {
      const fromStdin = opts.dockerfile === "-";
      if (!fromStdin && opts.dockerfile === undefined) {
        // a missing context is reported before a missing Dockerfile
        await Deno.stat(opts.context).catch((err) => {
          if (err instanceof Deno.errors.NotFound) {
            throw new NotFoundError(`unable to prepare context: path "${opts.context}" not found`);
          }
        });
      }
      const isDir = await Deno.stat(opts.context).then((s) => s.isDirectory, () => false);
      if (!isDir) {
        scratchDir = `${store.tmp}/build-ctx-${randomSuffix()}`;
        await Deno.mkdir(scratchDir, { recursive: true, mode: 0o700 });
      }
      context = await openContext({ dir: opts.context }, {
        scratchDir,
        dockerfile: fromStdin ? null : opts.dockerfile,
      });
      dockerfileText = fromStdin
        ? new TextDecoder().decode(await readAll(stdinOf(opts)))
        : new TextDecoder().decode(context.dockerfile);
      if (fromStdin) dockerfileName = "Dockerfile";
    }
    const df = parseDockerfile(dockerfileText, dockerfileName.split("/").pop() || "Dockerfile");
    const plan = planBuild(df, {
      buildArgs,
      target: opts.target,
      buildPlatform: host,
      namedContexts: new Map<string, string | null>([
        ...named.images,
        ...[...named.dirs.keys()].map((k) => [k, null] as [string, null]),
      ]),
    });
    for (const [name, dir] of named.dirs) {
      namedContexts.set(name, await openContext({ dir }, { dockerfile: null }));
    }
    const pull = opts.pull ? "always" : "missing";
    const pulled = new Map<string, Promise<ImageRecord>>();
    const result = await executeBuild(store, {
      baseImage: (ref, platform) => {
        const key = `${platform}\u0000${ref}`;
        if (!pulled.has(key)) {
          pulled.set(
            key,
            ensureImage(store, ref, { pull, platform: platform || undefined }, opts.pullEvents),
          );
        }
        return pulled.get(key)!;
      },
    }, {
      plan,
      context,
      noCache: opts.noCache,
      network,
      sourceDateEpoch: epoch,
      platform: host,
      progress: opts.progress,
      secrets,
      namedContexts,
      ...(opts.runOptions ? { runOptions: opts.runOptions } : {}),
      noCacheStages: opts.noCacheFilter ?? [],
    });
    const warnings = [...plan.warnings];
    // SOURCE_DATE_EPOCH is the build's own (BuildKit does not warn about it either)
    const unused = result.unusedBuildArgs.filter((a) => a !== "SOURCE_DATE_EPOCH");
    if (unused.length > 0) {
      warnings.push(`One or more build-args [${unused.join(" ")}] were not consumed`);
    }
    if (output.type === "local" || output.type === "tar") {
      await exportStage(
        store,
        result.target.layers,
        output.type === "local" ? output : {
          type: "tar",
          out: output.dest === "-"
            ? stdoutOf(opts)
            : (await Deno.open(output.dest, { write: true, create: true, truncate: true }))
              .writable,
        },
      );
      return { id: "", output, tags: [], warnings };
    }
    const doc = result.target.doc;
    if (opts.labels && Object.keys(opts.labels).length > 0) {
      doc.config.Labels = { ...(doc.config.Labels ?? {}), ...opts.labels };
    }
    const prepared = await prepareImage(store, {
      config: doc as unknown as Record<string, unknown>,
      baseLayers: result.target.layers,
    });
    await recordImage(store, prepared, tags);
    if (output.type === "docker" || output.type === "oci") {
      const format = output.type === "oci" ? "oci-archive" : "docker-archive";
      await saveArchive(store, [{ record: prepared.record, names: tags }], format).pipeTo(
        output.dest === "-"
          ? stdoutOf(opts)
          : (await Deno.open(output.dest, { write: true, create: true, truncate: true })).writable,
      );
    }
    return { id: prepared.record.id, output, tags, warnings };
  } finally {
    await context?.close().catch(() => {});
    for (const c of namedContexts.values()) await c.close().catch(() => {});
    if (scratchDir) await Deno.remove(scratchDir, { recursive: true }).catch(() => {});
  }
}

function stdoutOf(opts: ImageBuildOptions): WritableStream<Uint8Array> {
  if (!opts.stdout) throw new InvalidArgumentError("no standard output to write the tar to");
  return opts.stdout();
}

function stdinOf(opts: ImageBuildOptions): ReadableStream<Uint8Array> {
  if (!opts.stdin) throw new InvalidArgumentError("no standard input to read the build from");
  return opts.stdin();
}
