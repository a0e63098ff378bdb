/**
 * The host side of `RUN --mount=type=bind` and `--mount=type=secret`, in a step's private
 * scratch directory:
 *
 * - a bind mount from the build context is a copy of its source made by the COPY code (so
 *   `.dockerignore` applies, every path is resolved inside the context and nothing outside
 *   it is ever read), owned by root as BuildKit's context is;
 * - a bind mount from a stage or an image is its layers mounted as an overlay (writable into
 *   a throw-away upper directory for `rw`), the source resolved inside that root by the
 *   kernel (openat2 RESOLVE_IN_ROOT), never by joining strings;
 * - a secret is a file of its own (mode, uid and gid as asked) bound read-only, or an
 *   environment variable of the step's process; its content never reaches the step's config,
 *   its history, its cache key or its layer.
 *
 * Everything is released (unmounted, removed) when the step ends.
 */
import { InvalidArgumentError } from "../../errors.ts";
import type { ImageLayer } from "../../store/images.ts";
import type { Store } from "../../store/store.ts";
import { cleanPath, type MountSpec as RuntimeMount } from "../../runtime/mounts.ts";
import { openInRoot } from "../../sys/resolve.ts";
import { SysError } from "../../sys/errno.ts";
import type { BindMount, CopyInstruction, SecretMount } from "../dockerfile/mod.ts";
import type { BuildContext } from "../context/mod.ts";
import { applyCopy, copyCacheKey } from "../copy/mod.ts";
import { layersRoot } from "./copy_step.ts";
import { writableLayersRoot } from "./step_root.ts";

/** Where a bind mount reads from: the build context, or the layers of a stage or an image. */
export type BindOrigin =
  | { kind: "context"; context: BuildContext | undefined }
  | { kind: "layers"; layers: ImageLayer[]; name: string };

/** A bind mount and where its source is. */
export interface BindSource {
  mount: BindMount;
  origin: BindOrigin;
}

/** The secrets a build was given (`--secret`), by id. */
export type BuildSecrets = ReadonlyMap<string, Uint8Array>;

/** A mount made for a step, and how to let go of it. */
export interface HeldMount {
  mount: RuntimeMount;
  release(): Promise<void>;
}

/** A RUN --mount target as an absolute, cleaned path in the container (relative: under the workdir). */
export function mountTarget(target: string, workdir: string): string {
  return cleanPath(target.startsWith("/") ? target : `${workdir || "/"}/${target}`);
}

/**
 * A context bind mount's source as the path it names in the context, every symlink followed
 * inside the context (`..` stops at its root, as for COPY); a missing one is an error.
 */
function contextSource(context: BuildContext, m: BindMount): string {
  const clean = cleanPath(`/${m.source}`).slice(1);
  const r = context.lookup(clean, true);
  if (!r) {
    throw new InvalidArgumentError(
      `RUN --mount=type=bind: source ${
        JSON.stringify(m.source || ".")
      }: file not found in build context or excluded by .dockerignore`,
    );
  }
  return r.path;
}

/** The COPY that reads a context bind mount's (resolved) source into `/m` of an empty root. */
function bindCopy(source: string): CopyInstruction {
  const src = source === "" ? "." : source;
  return {
    kind: "COPY",
    at: { file: "Dockerfile", line: 0, column: 0 },
    endLine: 0,
    original: `COPY ${src} /m`,
    sources: [src],
    inline: [],
    dest: "/m",
    chown: "",
    chmod: "",
    link: false,
    excludes: [],
    from: "",
    parents: false,
  } as CopyInstruction;
}

function contextOf(origin: { context: BuildContext | undefined }, m: BindMount): BuildContext {
  if (!origin.context) {
    throw new InvalidArgumentError(
      `RUN --mount=type=bind,target=${m.target} needs a build context, and this build has none (the Dockerfile came alone on stdin)`,
    );
  }
  return origin.context;
}

/**
 * What a bind mount adds to its step's cache key: the content key of the context files it
 * mounts (as COPY's), or the key of the stage / the id of the image it mounts from.
 */
export async function bindKey(
  m: BindMount,
  origin: BindOrigin,
  layersKey: string,
): Promise<unknown> {
  if (origin.kind === "layers") return { from: layersKey, source: cleanPath(`/${m.source}`) };
  const context = contextOf(origin, m);
  return {
    context: await copyCacheKey({
      instruction: bindCopy(contextSource(context, m)),
      origin: { kind: "context", context },
      workdir: "/",
    }),
  };
}

/**
 * Makes a bind mount's source on the host under `dir` (the step's private directory).
 *
 * @example
 * ```ts ignore
 * const held = await holdBind(store, dir, 0, { mount, origin }, "/app");
 * try { ... held.mount ... } finally { await held.release(); }
 * ```
 */
export async function holdBind(
  store: Store,
  dir: string,
  n: number,
  bind: BindSource,
  workdir: string,
): Promise<HeldMount> {
  const m = bind.mount;
  if (m.target === "") throw new InvalidArgumentError("RUN --mount=type=bind needs a target");
  const target = mountTarget(m.target, workdir);
  const mount = (source: string): RuntimeMount => ({
    type: "bind",
    source,
    target,
    readonly: m.readOnly,
    propagation: "rprivate",
    recursive: false,
  });
  if (bind.origin.kind === "context") {
    const root = `${dir}/bind-${n}`;
    await Deno.mkdir(root, { recursive: true, mode: 0o755 });
    const context = contextOf(bind.origin, m);
    await applyCopy({
      instruction: bindCopy(contextSource(context, m)),
      origin: { kind: "context", context },
      workdir: "/",
    }, root);
    // what is bound is the copy itself, never a symlink the host would follow
    if ((await Deno.lstat(`${root}/m`)).isSymlink) {
      throw new InvalidArgumentError(`RUN --mount=type=bind: source ${m.source} is a symlink`);
    }
    return { mount: mount(`${root}/m`), release: () => Promise.resolve() };
  }
  const held = m.readOnly
    ? await layersRoot(store, bind.origin.layers).then((h) => ({
      root: (h.origin as { root: string }).root,
      release: h.release,
    }))
    : await writableLayersRoot(store, bind.origin.layers);
  try {
    const source = resolveInside(held.root, m.source, bind.origin.name);
    return { mount: mount(source), release: held.release };
  } catch (err) {
    await held.release();
    throw err;
  }
}

/**
 * The host path `source` names inside `root`, every component (symlinks included) resolved
 * by the kernel inside the root: a symlink in a stage can never lead a bind mount out of it.
 */
export function resolveInside(root: string, source: string, from: string): string {
  const path = cleanPath(`/${source}`);
  let h;
  try {
    h = openInRoot(root, path);
  } catch (err) {
    if (err instanceof SysError && (err.code === "ENOENT" || err.code === "ENOTDIR")) {
      throw new InvalidArgumentError(
        `RUN --mount=type=bind,from=${from}: source ${JSON.stringify(source || "/")} not found`,
      );
    }
    throw err;
  }
  try {
    const real = Deno.readLinkSync(h.path);
    const top = Deno.realPathSync(root);
    if (real !== top && !real.startsWith(`${top}/`)) {
      throw new InvalidArgumentError(
        `RUN --mount=type=bind,from=${from}: source ${JSON.stringify(source)} leads outside it`,
      );
    }
    return real;
  } finally {
    h.close();
  }
}

/**
 * The secret mounts of a step: a file under `dir` for each one that goes to a file, bound
 * read-only at its target; `NAME=content` for each that goes to an environment variable.
 * A secret the build was not given is an error when `required`, else left out.
 */
export async function holdSecrets(
  dir: string,
  mounts: SecretMount[],
  secrets: BuildSecrets,
  workdir: string,
): Promise<{ mounts: RuntimeMount[]; env: string[] }> {
  const out: RuntimeMount[] = [];
  const env: string[] = [];
  for (const m of mounts) {
    const value = secrets.get(m.id);
    if (value === undefined) {
      if (m.required) throw new InvalidArgumentError(`secret ${m.id}: not found`);
      continue;
    }
    if (m.env !== undefined) {
      if (m.env === "" || m.env.includes("=")) {
        throw new InvalidArgumentError(`secret ${m.id}: invalid environment variable name`);
      }
      env.push(`${m.env}=${new TextDecoder().decode(value)}`);
    }
    if (m.target === "") continue;
    await Deno.mkdir(`${dir}/secrets`, { recursive: true, mode: 0o700 });
    const file = `${dir}/secrets/${crypto.randomUUID()}`;
    await Deno.writeFile(file, value, { mode: 0o600, createNew: true });
    await Deno.chown(file, m.uid, m.gid);
    await Deno.chmod(file, m.mode & 0o7777);
    out.push({
      type: "bind",
      source: file,
      target: mountTarget(m.target, workdir),
      readonly: true,
      propagation: "rprivate",
      recursive: false,
    });
  }
  return { mounts: out, env };
}

/**
 * Removes the mount points a step's mounts left in its upper directory, as BuildKit does:
 * for each target, the path and its parents that the image's layers do not have, while they
 * are an empty file or an empty directory (what the runtime made to mount on). The step's
 * processes have all ended, so nothing changes the upper directory meanwhile; each
 * component is looked at with lstat and a symlink ends the walk (never followed).
 */
export async function removeMountStubs(
  upper: string,
  targets: string[],
  existsBelow: (path: string) => Promise<boolean>,
): Promise<void> {
  const stubs = new Set<string>();
  for (const t of targets) {
    const parts = cleanPath(t).split("/").filter(Boolean);
    // only paths that are real directories on the way down
    let ok = parts.length > 0;
    for (let i = 1; i < parts.length && ok; i++) {
      const st = await Deno.lstat(`${upper}/${parts.slice(0, i).join("/")}`).catch(() => null);
      ok = st !== null && st.isDirectory;
    }
    if (!ok) continue;
    for (let i = parts.length; i > 0; i--) {
      const path = `/${parts.slice(0, i).join("/")}`;
      if (await existsBelow(path)) break;
      stubs.add(path);
    }
  }
  // deepest first, so that a parent is empty once its stubs are gone
  for (const path of [...stubs].sort((a, b) => b.split("/").length - a.split("/").length)) {
    const at = `${upper}${path}`;
    const st = await Deno.lstat(at).catch(() => null);
    if (!st) continue;
    if (st.isDirectory) {
      let empty = true;
      for await (const _ of Deno.readDir(at)) {
        empty = false; // the step wrote something there
        break;
      }
      if (!empty) continue;
    } else if (!st.isFile || st.size !== 0) continue;
    await Deno.remove(at).catch(() => {});
  }
}
