/**
 * Opening a build context: a directory, or a tar archive (a file, or a
 * stream such as standard input), with its ignore file applied. The
 * Dockerfile and the ignore file are read before the rules apply (they are
 * always available to the build, as docker sends them whatever
 * `.dockerignore` says), but `COPY` sees only what the rules keep: as with
 * docker's BuildKit and podman, a Dockerfile listed in `.dockerignore` is
 * built from and never copied.
 *
 * Every name from the context is resolved inside its root: on the tree for
 * lookups (tree.ts), and by openat2 RESOLVE_IN_ROOT without following a final
 * symlink when content is read from a context directory.
 */
import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  wrap,
} from "../../errors.ts";
import { decompressStream, peekStream } from "../../image/decompress.ts";
import { type InRoot, O_DIRECTORY, O_PATH, openInRoot } from "../../sys/resolve.ts";
import { cleanPath, IgnoreMatcher, parseIgnoreFile } from "./ignore.ts";
import { isTarHeader, readTarContext } from "./read_tar.ts";
import { type ContextEntry, type ContextTree, type Resolved, type TreeNode } from "./tree.ts";
import { walkDirectory } from "./walk_dir.ts";

/** The largest Dockerfile or ignore file read (docker's CLI has no limit; a sane bound). */
const MAX_CONTROL_FILE = 16 << 20;

/** Where the context comes from. */
export type ContextSource =
  | { dir: string }
  | { tar: string }
  | { stream: ReadableStream<Uint8Array> };

/** Options for `openContext`. */
export interface OpenContextOptions {
  /**
   * For a tar context: an existing, private, empty directory for the spooled
   * content; removed by `close`, or at once when opening fails. Required for tar contexts.
   */
  scratchDir?: string;
  /**
   * The Dockerfile as `-f` names it: for a directory context a host path
   * (relative to the current directory), for a tar context a path inside the
   * archive. Default: `Dockerfile` in the context. `null` when it comes from
   * elsewhere (`-f -`): nothing is read and `.dockerignore` applies.
   */
  dockerfile?: string | null;
}

/** An opened build context. */
export interface BuildContext {
  readonly kind: "dir" | "tar";
  /** The entries the build may use, ignore rules applied. */
  readonly tree: ContextTree;
  /** The ignore patterns in effect and where they came from (undefined: none). */
  readonly ignoreFile?: string;
  readonly ignorePatterns: string[];
  /** The Dockerfile's content, unless `dockerfile: null` was given. */
  readonly dockerfile?: Uint8Array;
  /** Every entry in path order (the root, "", first). */
  entries(): ContextEntry[];
  /** Resolves `path` inside the context (symlinks followed inside the root). */
  lookup(path: string, followFinal?: boolean): Resolved | undefined;
  /** Opens a regular file of the tree for reading. */
  open(node: TreeNode): Promise<Deno.FsFile>;
  /**
   * A handle (`O_PATH`, opened inside the root, no symlink followed) on an
   * entry of a directory context, for a bind mount from the context (`RUN
   * --mount=type=bind`): mount `handle.path`, never a joined path, so nothing
   * swapped in after the walk can lead out. The caller closes it. A tar
   * context has no such entries on disk (a FailedPreconditionError).
   */
  openPath(node: TreeNode): InRoot;
  /** Releases the context (closes the root, removes spooled content). */
  close(): Promise<void>;
}

function neither(what: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `unable to prepare context: ${what} is neither a directory nor a tar archive`,
  );
}

/**
 * Opens a build context. A path that is neither a directory nor a tar
 * archive, a hostile archive, a missing Dockerfile or a malformed ignore
 * file is a one-line error.
 *
 * @example
 * ```ts ignore
 * const ctx = await openContext({ dir: "." });
 * try {
 *   const sources = resolveSources(ctx, "src/*.ts");
 * } finally {
 *   await ctx.close();
 * }
 * ```
 */
export async function openContext(
  source: ContextSource,
  opts: OpenContextOptions = {},
): Promise<BuildContext> {
  if ("dir" in source) {
    let st: Deno.FileInfo;
    try {
      st = await Deno.stat(source.dir);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        throw new NotFoundError(`unable to prepare context: path "${source.dir}" not found`);
      }
      throw wrap(err, `unable to prepare context: ${source.dir}`);
    }
    if (st.isDirectory) return await openDirContext(source.dir, opts);
    if (!st.isFile) throw neither(`"${source.dir}"`);
    source = { tar: source.dir };
  }
  let stream: ReadableStream<Uint8Array>;
  let what = "the standard input";
  if ("tar" in source) {
    what = `"${source.tar}"`;
    const file = await Deno.open(source.tar).catch((err) => {
      throw wrap(err, `unable to prepare context: ${source.tar}`);
    });
    stream = file.readable;
  } else stream = source.stream;
  let head: Uint8Array, all: ReadableStream<Uint8Array>;
  try {
    ({ head, stream: all } = await peekStream(await decompressStream(stream), 512));
  } catch (err) {
    // a corrupt gzip or zstd stream
    throw err instanceof InvalidArgumentError ? neither(what) : err;
  }
  if (!isTarHeader(head)) {
    await all.cancel().catch(() => {});
    throw neither(what);
  }
  if (!opts.scratchDir) {
    throw new InvalidArgumentError("a tar build context needs a scratch directory");
  }
  return await openTarContext(all, opts.scratchDir, opts);
}

async function openDirContext(dir: string, opts: OpenContextOptions): Promise<BuildContext> {
  const real = await Deno.realPath(dir);
  const root = openInRoot(real, "/", { flags: O_PATH | O_DIRECTORY });
  try {
    let dockerfile: Uint8Array | undefined;
    let ignoreText: string | undefined;
    let ignoreFile: string | undefined;
    if (opts.dockerfile !== null) {
      const named = opts.dockerfile ?? "Dockerfile";
      // a Dockerfile inside the context is read inside it; one elsewhere is the user's own file
      const inside = await insideContext(real, named, opts.dockerfile === undefined);
      dockerfile = inside !== undefined
        ? await readInRoot(root, inside)
        : await readHostFile(named);
      if (!dockerfile) throw new NotFoundError(`Cannot locate specified Dockerfile: ${named}`);
      if (opts.dockerfile !== undefined) {
        const beside = `${inside ?? named}.dockerignore`;
        const text = inside !== undefined
          ? await readInRoot(root, beside)
          : await readHostFile(beside);
        if (text) {
          ignoreText = new TextDecoder().decode(text);
          ignoreFile = `${named}.dockerignore`;
        }
      }
    }
    if (ignoreText === undefined) {
      const text = await readInRoot(root, ".dockerignore");
      if (text) {
        ignoreText = new TextDecoder().decode(text);
        ignoreFile = ".dockerignore";
      }
    }
    const ignorePatterns = ignoreText === undefined ? [] : parseIgnoreFile(ignoreText);
    const tree = await walkDirectory(root, new IgnoreMatcher(ignorePatterns));
    return makeContext("dir", tree, { ignoreFile, ignorePatterns, dockerfile }, {
      open: (node) => openInContextDir(root, node),
      openPath: (node) => openPathInContextDir(root, node),
      close: () => Promise.resolve(root.close()),
    });
  } catch (err) {
    root.close();
    throw err;
  }
}

async function openTarContext(
  stream: ReadableStream<Uint8Array>,
  scratch: string,
  opts: OpenContextOptions,
): Promise<BuildContext> {
  const remove = () => Deno.remove(scratch, { recursive: true }).catch(() => {});
  try {
    const tree = await readTarContext(stream, scratch);
    const read = async (path: string): Promise<Uint8Array | undefined> => {
      const r = tree.lookup(path);
      if (!r || r.node.entry.type !== "file") return undefined;
      if (r.node.entry.size > MAX_CONTROL_FILE) {
        throw new InvalidArgumentError(`${path} is larger than ${MAX_CONTROL_FILE} bytes`);
      }
      return await Deno.readFile(r.node.content!.path);
    };
    let dockerfile: Uint8Array | undefined;
    let ignore: Uint8Array | undefined;
    let ignoreFile: string | undefined;
    if (opts.dockerfile !== null) {
      const named = opts.dockerfile ?? "Dockerfile";
      dockerfile = await read(named);
      if (!dockerfile) throw new NotFoundError(`Cannot locate specified Dockerfile: ${named}`);
      if (opts.dockerfile !== undefined) {
        ignore = await read(`${named}.dockerignore`);
        if (ignore) ignoreFile = `${named}.dockerignore`;
      }
    }
    if (!ignore) {
      ignore = await read(".dockerignore");
      if (ignore) ignoreFile = ".dockerignore";
    }
    const ignorePatterns = ignore ? parseIgnoreFile(new TextDecoder().decode(ignore)) : [];
    pruneIgnored(tree, tree.root, new IgnoreMatcher(ignorePatterns));
    return makeContext("tar", tree, { ignoreFile, ignorePatterns, dockerfile }, {
      open: (node) => {
        if (node.entry.type !== "file" || node.content?.kind !== "blob") {
          return Promise.reject(
            new InvalidArgumentError(`${node.entry.path} is not a regular file`),
          );
        }
        return Deno.open(node.content.path, { read: true });
      },
      openPath: () => {
        throw new FailedPreconditionError(
          "a build context read from a tar archive has no files on disk to mount",
        );
      },
      close: remove,
    });
  } catch (err) {
    await remove();
    throw err;
  }
}

function makeContext(
  kind: "dir" | "tar",
  tree: ContextTree,
  meta: { ignoreFile?: string; ignorePatterns: string[]; dockerfile?: Uint8Array },
  io: Pick<BuildContext, "open" | "openPath" | "close">,
): BuildContext {
  return {
    kind,
    tree,
    ...meta,
    entries: () => [...tree.walk()].map((n) => n.entry),
    lookup: (path, followFinal = true) => tree.lookup(path, followFinal),
    open: io.open,
    openPath: io.openPath,
    close: io.close,
  };
}

/** Removes what the matcher excludes; an excluded directory stays while it holds something kept. */
function pruneIgnored(tree: ContextTree, node: TreeNode, matcher: IgnoreMatcher): void {
  for (const child of [...node.children!.values()]) {
    const path = child.entry.path;
    const excluded = matcher.excludes(path);
    if (child.entry.type !== "dir") {
      if (excluded) tree.remove(path);
      continue;
    }
    if (excluded && !matcher.mayIncludeUnder(path)) {
      tree.remove(path);
      continue;
    }
    pruneIgnored(tree, child, matcher);
    if (excluded && child.children!.size === 0) tree.remove(path);
  }
}

/**
 * The Dockerfile's path inside the context directory `real`, or undefined
 * when it lies elsewhere. The default name is always inside.
 */
async function insideContext(
  real: string,
  named: string,
  isDefault: boolean,
): Promise<string | undefined> {
  if (isDefault) return named;
  const abs = named.startsWith("/") ? named : `${Deno.cwd()}/${named}`;
  const slash = abs.lastIndexOf("/");
  let dir: string;
  try {
    dir = await Deno.realPath(abs.slice(0, slash) || "/");
  } catch {
    return undefined;
  }
  const file = abs.slice(slash + 1);
  if (dir === real) return file;
  if (dir.startsWith(`${real}/`)) return `${dir.slice(real.length + 1)}/${file}`;
  return undefined;
}

/** Reads a regular file inside the context root (symlinks resolved inside it); undefined when missing. */
async function readInRoot(root: InRoot, path: string): Promise<Uint8Array | undefined> {
  let h: InRoot;
  try {
    h = openInRoot(root.path, cleanPath(`/${path}`), { flags: O_PATH });
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw wrap(err, `read ${path} in the build context`);
  }
  try {
    const st = Deno.statSync(h.path);
    if (!st.isFile) {
      if (st.isDirectory) return undefined;
      throw new InvalidArgumentError(`${path} in the build context is not a regular file`);
    }
    if (st.size > MAX_CONTROL_FILE) {
      throw new InvalidArgumentError(`${path} is larger than ${MAX_CONTROL_FILE} bytes`);
    }
    return await Deno.readFile(h.path);
  } finally {
    h.close();
  }
}

async function readHostFile(path: string): Promise<Uint8Array | undefined> {
  try {
    const st = await Deno.stat(path);
    if (!st.isFile) return undefined;
    if (st.size > MAX_CONTROL_FILE) {
      throw new InvalidArgumentError(`${path} is larger than ${MAX_CONTROL_FILE} bytes`);
    }
    return await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

function isMissing(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/**
 * Opens a regular file of a directory context by its real path in the tree,
 * inside the root and without following a final symlink, so a file swapped
 * for a symlink after the walk cannot lead out; anything but a regular file
 * is refused before it is opened for reading (a FIFO would block).
 */
async function openInContextDir(root: InRoot, node: TreeNode): Promise<Deno.FsFile> {
  const path = node.entry.path;
  let h: InRoot;
  try {
    h = openInRoot(root.path, path, { flags: O_PATH, follow: false });
  } catch (err) {
    throw wrap(err, `open ${path} in the build context`);
  }
  try {
    if (!Deno.statSync(h.path).isFile) {
      throw new InvalidArgumentError(`${path} in the build context is not a regular file`);
    }
    return await Deno.open(h.path, { read: true });
  } finally {
    h.close();
  }
}

/**
 * An `O_PATH` handle on an entry of a directory context, opened inside the
 * root without following a final symlink, and checked to still be of the
 * type the walk saw (a directory swapped for a symlink is refused).
 */
function openPathInContextDir(root: InRoot, node: TreeNode): InRoot {
  const path = node.entry.path;
  let h: InRoot;
  try {
    h = openInRoot(root.path, path, { flags: O_PATH, follow: false });
  } catch (err) {
    throw wrap(err, `open ${path || "."} in the build context`);
  }
  const st = Deno.statSync(h.path);
  const type = st.isDirectory ? "dir" : st.isFile ? "file" : st.isSymlink ? "symlink" : "other";
  if (type !== node.entry.type) {
    h.close();
    throw new InvalidArgumentError(
      `${path || "."} in the build context changed while the build read it`,
    );
  }
  return h;
}
