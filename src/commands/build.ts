/**
 * `skiff build` (also `image build`, `buildx build`): build an image from a Dockerfile.
 * Progress goes to stderr as BuildKit's plain output; `-q` prints only the image id.
 */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { build as spec } from "../cli/table.ts";
import { InvalidArgumentError } from "../errors.ts";
import { buildImage, type ImageBuildOptions } from "../engine/image_build.ts";
import { PlainProgress, quietProgress } from "../build/executor/progress.ts";
import { exitOne } from "./exit_codes.ts";
import { pullEvents } from "./create.ts";
import { buildRunOptions, parseSecretFlag } from "./build_flags.ts";

/** `KEY=VALUE` values into a map; a bare `KEY` takes the environment's value (build args). */
export function keyValues(
  values: string[],
  env: (k: string) => string | undefined = () => undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf("=");
    if (eq < 0) {
      const fromEnv = env(v);
      if (fromEnv !== undefined) out[v] = fromEnv;
    } else out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

/**
 * Parses `build` flags and the context argument into the engine's options (progress and
 * streams excepted).
 *
 * @example
 * ```ts
 * const o = parseBuildArgs({ tag: ["app"], "build-arg": ["V=1"], label: [], progress: "auto" }, ["."]);
 * o.buildArgs; // { V: "1" }
 * ```
 */
export function parseBuildArgs(
  f: Partial<FlagsOf<typeof spec>>,
  args: string[],
): Omit<ImageBuildOptions, "progress" | "pullEvents"> {
  const progress = f.progress ?? "auto";
  if (!["auto", "plain", "tty", "quiet", "rawjson"].includes(progress)) {
    throw new InvalidArgumentError(
      `invalid progress mode "${progress}": expected auto, plain, tty or quiet`,
    );
  }
  if (progress === "rawjson") {
    throw new InvalidArgumentError("--progress=rawjson is not supported yet");
  }
  if ((f.ssh ?? []).length > 0) {
    throw new InvalidArgumentError(
      "--ssh is not supported: skiff build does not forward SSH agents",
    );
  }
  return {
    context: args[0],
    dockerfile: f.file,
    tags: f.tag ?? [],
    buildArgs: keyValues(f["build-arg"] ?? [], (k) => Deno.env.get(k)),
    target: f.target,
    noCache: f["no-cache"],
    pull: f.pull,
    labels: keyValues(f.label ?? []),
    network: f.network,
    platform: f.platform,
    sourceDateEpoch: Deno.env.get("SOURCE_DATE_EPOCH"),
    secrets: (f.secret ?? []).map(parseSecretFlag),
    runOptions: buildRunOptions(f),
    outputs: f.output ?? [],
    buildContexts: keyValues((f["build-context"] ?? []).map((v) => {
      if (v.indexOf("=") <= 0) {
        throw new InvalidArgumentError(
          `invalid --build-context ${v}: expected name=path or name=docker-image://ref`,
        );
      }
      return v;
    })),
    noCacheFilter: (f["no-cache-filter"] ?? []).flatMap((v) => v.split(",")).filter(Boolean),
    getenv: (k) => Deno.env.get(k),
  };
}

/** Runs `skiff build [OPTIONS] PATH | -`. Any failure exits 1, as docker build does. */
export default async function build(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const f = ctx.flags;
  const parsed = await exitOne(() => Promise.resolve(parseBuildArgs(f, ctx.args)));
  if (f.squash) {
    // as docker's BuildKit builder does: the flag is accepted, warned about, and has no effect
    console.error(
      "WARNING: experimental flag squash is removed with BuildKit. You should squash inside build using a multi-stage Dockerfile for efficiency.",
    );
  }
  const quiet = f.quiet || f.progress === "quiet";
  const encoder = new TextEncoder();
  const progress = quiet ? quietProgress : new PlainProgress((text) => {
    const bytes = encoder.encode(text);
    for (let off = 0; off < bytes.length;) off += Deno.stderr.writeSync(bytes.subarray(off));
  });
  const report = await exitOne(() =>
    buildImage(ctx.global, {
      ...parsed,
      stdin: () => Deno.stdin.readable,
      stdout: () => Deno.stdout.writable,
      progress,
      pullEvents: pullEvents(quiet),
    })
  );
  for (const w of report.warnings) console.error(`[Warning] ${w}`);
  if (report.output.type === "local" || report.output.type === "tar") {
    if (!quiet) {
      const id = progress.start(
        report.output.type === "local"
          ? "exporting to client directory"
          : "exporting to client tarball",
      );
      progress.note(id, "copying files done");
      progress.done(id);
    }
    return 0;
  }
  if (f.iidfile) await Deno.writeTextFile(f.iidfile, report.id);
  if (quiet) console.log(report.id);
  else {
    const id = progress.start("exporting to image");
    progress.note(id, `writing image ${report.id} done`);
    for (const t of report.tags) progress.note(id, `naming to ${t} done`);
    progress.done(id);
  }
  return 0;
}
