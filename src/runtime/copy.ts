/**
 * `skiff cp`: copying files between a container and the host, with docker's
 * rules (a directory into an existing directory, `SRC/.` for the content
 * only, a file onto a file, `-` for a tar stream on stdin or stdout).
 *
 * Both ends are "roots": the container's (`/proc/<pid>/root`, or its overlay
 * mounted in `R/tmp` when stopped) and the host's (`/`). Every path on the
 * container side is opened with openat2 RESOLVE_IN_ROOT (src/sys/resolve.ts),
 * one component lookup per entry, so symlinks (`/escape -> /`) and `..` are
 * resolved inside the container's root and can never name a host file. Leaf
 * operations use calls that never follow a final symlink (lstat, readlink,
 * unlink, mkdir, open with O_EXCL, lchown, lutimes); modes are set through
 * the opened object (`/proc/self/fd/N`), never by path.
 *
 * Like docker, the copy is a tar stream from the source's side extracted on
 * the destination's side, so the `-` forms are the same code. Every file
 * operation goes through the host seam (the last parameter of each function).
 */
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, wrap } from "../errors.ts";
import { cleanEntryPath } from "../image/unpack.ts";
import { feedExtract } from "../image/tar_feed.ts";
import { encodeTarHeader, sizedChunks, tarHeaderFor, tarPadding } from "../image/tar_write.ts";
import type { Store } from "../store/store.ts";
import { SysError } from "../sys/errno.ts";
import { type Host, type HostFileInfo, type HostInRoot, realHost } from "../sys/host.ts";
import { O_DIRECTORY, O_PATH } from "../sys/resolve.ts";
import type { ContainerRecord } from "./container_store.ts";
import { withContainerRoot } from "./rootfs_mount.ts";

const O_RDONLY = 0;

/** Options of the copy functions. */
export interface CopyOptions {
  /** `-a`: keep the owners of the source when copying into the container. */
  archive?: boolean;
  /** `-L`: follow a symlink named as the source. */
  followLink?: boolean;
}

/** What a source is, for choosing where it lands. */
export interface SourceInfo {
  /** Path as given (container or host). */
  path: string;
  /** Name of the archive's top entry (the source's base name). */
  name: string;
  isDir: boolean;
  /** The source ended with `/.`: copy what the directory holds, not the directory. */
  contentOnly: boolean;
}

/** Where a tar's entries go: `dir`, with the top entry renamed (`""`: dropped). */
export interface Destination {
  dir: string;
  rename?: { from: string; to: string };
}

/** Splits a path into its directory and base name, docker-style (`/a/b/` -> `/a`, `b`). */
export function splitPath(path: string): [string, string] {
  const trimmed = path.replace(/\/+$/, "");
  if (trimmed === "") return ["/", ""];
  const slash = trimmed.lastIndexOf("/");
  if (slash === -1) return [".", trimmed];
  return [slash === 0 ? "/" : trimmed.slice(0, slash), trimmed.slice(slash + 1)];
}

/** Whether a path asks for a directory: it ends with `/` or `/.` (or is `.`). */
function endsAsDir(path: string): boolean {
  return path.endsWith("/") || path.endsWith("/.") || path === ".";
}

function isNotFound(err: unknown): boolean {
  return err instanceof Deno.errors.NotFound ||
    (err instanceof SysError && (err.code === "ENOENT" || err.code === "ENOTDIR"));
}

function join(dir: string, name: string): string {
  if (name === "") return dir;
  return dir.endsWith("/") ? `${dir}${name}` : `${dir}/${name}`;
}

/** Runs `fn` with `path` opened inside `root`, closing it afterwards. */
async function withOpen<T>(
  host: Host,
  root: string,
  path: string,
  opts: { flags?: number; follow?: boolean },
  fn: (h: HostInRoot) => Promise<T>,
): Promise<T> {
  const h = await host.openInRoot(root, path, opts);
  try {
    return await fn(h);
  } finally {
    h.close();
  }
}

/**
 * Looks at a copy source inside `root`: whether it exists, is a directory,
 * and what its top entry is called. `describe` names it in errors.
 */
export async function statSource(
  root: string,
  path: string,
  opts: { followLink?: boolean; describe: string },
  host: Host = realHost,
): Promise<SourceInfo> {
  const contentOnly = path === "." || path.endsWith("/.");
  const follow = opts.followLink === true || endsAsDir(path);
  const [, name] = splitPath(path.replace(/\/\.$/, "/"));
  try {
    const info = await withOpen(host, root, path, { follow }, (h) => host.stat(h.path));
    if (endsAsDir(path) && !info.isDirectory) {
      throw new InvalidArgumentError(`${opts.describe}: not a directory`);
    }
    return { path, name: name === "" ? "." : name, isDir: info.isDirectory, contentOnly };
  } catch (err) {
    if (isNotFound(err)) throw new NotFoundError(`${opts.describe}: no such file or directory`);
    throw err;
  }
}

/**
 * Docker's rules for where a source lands at `dest` inside `root`: into an
 * existing directory under its own name (or its content only, for `SRC/.`),
 * else as `dest` itself in dest's parent directory, which must exist.
 */
export async function planDestination(
  root: string,
  dest: string,
  src: SourceInfo,
  describe: string,
  host: Host = realHost,
): Promise<Destination> {
  let destInfo: HostFileInfo | undefined;
  try {
    destInfo = await withOpen(host, root, dest, { follow: true }, (h) => host.stat(h.path));
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (destInfo?.isDirectory) {
    return src.contentOnly ? { dir: dest, rename: { from: src.name, to: "" } } : { dir: dest };
  }
  if (destInfo) {
    if (src.isDir) {
      throw new InvalidArgumentError(
        `cannot overwrite non-directory "${describe}" with directory "${src.path}"`,
      );
    }
    if (endsAsDir(dest)) throw new InvalidArgumentError(`${describe}: not a directory`);
  } else if (endsAsDir(dest) && !src.isDir) {
    throw new NotFoundError(`destination directory "${describe}" does not exist`);
  }
  const [parent, base] = splitPath(dest);
  if (base === "" || base === "." || base === "..") {
    throw new InvalidArgumentError(`invalid destination "${describe}"`);
  }
  try {
    const p = await withOpen(host, root, parent, { follow: true }, (h) => host.stat(h.path));
    if (!p.isDirectory) throw new InvalidArgumentError(`${describe}: not a directory`);
  } catch (err) {
    if (isNotFound(err)) {
      // docker's words: the host's side (root "/") and the container's differ
      const dir = splitPath(describe)[0];
      throw new NotFoundError(
        root === "/"
          ? `invalid output path: directory "${dir}" does not exist`
          : `No such container:path: ${dir}`,
      );
    }
    throw err;
  }
  return { dir: parent, rename: { from: src.name, to: base } };
}

async function* fileData(
  host: Host,
  root: string,
  path: string,
  size: number,
  follow = false,
): AsyncGenerator<Uint8Array> {
  const h = await host.openInRoot(root, path, { flags: O_RDONLY, follow });
  try {
    const file = await host.open(h.path, { read: true });
    try {
      yield* sizedChunks(file, size);
    } finally {
      file.close();
    }
  } finally {
    h.close();
  }
  yield tarPadding(size);
}

/**
 * Streams a tar of `src` inside `root` (its top entry named `src.name`),
 * opening every entry inside the root. A symlink named as the source is
 * archived as a link unless `followLink`.
 *
 * @example
 * ```ts ignore
 * const src = await statSource(root, "/etc", { describe: "ctr:/etc" });
 * await archivePath(root, src).pipeTo(Deno.stdout.writable);
 * ```
 */
export function archivePath(
  root: string,
  src: SourceInfo,
  opts: { followLink?: boolean } = {},
  host: Host = realHost,
): ReadableStream<Uint8Array> {
  const follow = opts.followLink === true || endsAsDir(src.path);
  const top = src.path.replace(/\/\.$/, "/");
  async function* generate(): AsyncGenerator<Uint8Array> {
    const inodes = new Map<string, string>();
    async function* entry(
      path: string,
      name: string,
      info: HostFileInfo,
      linkname?: string,
    ): AsyncGenerator<Uint8Array> {
      let header = tarHeaderFor(name, info, linkname);
      if (!header) return;
      if (header.type !== "dir" && (info.nlink ?? 1) > 1) {
        const key = `${info.dev}:${info.ino}`;
        const first = inodes.get(key);
        if (first !== undefined) header = { ...header, type: "link", linkname: first, size: 0 };
        else inodes.set(key, name);
      }
      yield encodeTarHeader(header);
      if (header.type === "file" && (header.size ?? 0) > 0) {
        // the source itself, when -L followed it, is read through its link (inside the root)
        yield* fileData(host, root, path, header.size!, follow && path === top);
      }
      if (header.type !== "dir") return;
      const dir = await host.openInRoot(root, path, {
        flags: O_PATH | O_DIRECTORY,
        follow: path === top,
      });
      try {
        const names = (await host.readDir(dir.path)).map((e) => e.name).sort();
        for (const n of names) {
          const child = `${dir.path}/${n}`;
          const st = await host.lstat(child);
          const link = st.isSymlink ? await host.readLink(child) : undefined;
          yield* entry(join(path, n), `${name}/${n}`, st, link);
        }
      } finally {
        dir.close();
      }
    }
    let info: HostFileInfo;
    let link: string | undefined;
    if (follow) {
      info = await withOpen(host, root, top, { follow: true }, (h) => host.stat(h.path));
    } else {
      const [parent, base] = splitPath(top);
      const got = await withOpen(
        host,
        root,
        parent,
        { flags: O_PATH | O_DIRECTORY },
        async (h) => {
          const st = await host.lstat(`${h.path}/${base}`);
          return [st, st.isSymlink ? await host.readLink(`${h.path}/${base}`) : undefined] as const;
        },
      );
      [info, link] = got;
    }
    yield* entry(top, src.name, info, link);
    yield new Uint8Array(1024);
  }
  return ReadableStream.from(generate());
}

/** Who owns what `extractTar` creates. */
export type Ownership = "header" | "root" | "keep";

// deno-lint-ignore no-explicit-any
type TarExtract = any;

interface EntryHeader {
  name: string;
  type: string;
  mode: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  linkname?: string | null;
  devmajor?: number;
  devminor?: number;
}

/**
 * Extracts a tar stream into `dest.dir` inside `root`, every entry's parent
 * opened inside the root; returns the bytes read. Existing files are
 * replaced, existing directories kept; a directory is never replaced by a
 * file. `owner`: "header" applies the tar's owners, "root" makes them 0:0,
 * "keep" leaves them to the current user.
 *
 * @example
 * ```ts
 * await extractTar(Deno.stdin.readable, "/proc/1234/root", { dir: "/tmp" }, "root");
 * ```
 */
export async function extractTar(
  stream: ReadableStream<Uint8Array>,
  root: string,
  dest: Destination,
  owner: Ownership,
  host: Host = realHost,
): Promise<number> {
  const tar = (await import("tar-stream")).default;
  const extract: TarExtract = tar.extract();
  let size = 0;
  const feed = feedExtract(stream, extract, (c) => {
    size += c.length;
  });
  const dirTimes: [string, number][] = [];
  let current = "";
  try {
    for await (const e of extract) {
      current = e.header.name;
      const path = await extractEntry(
        host,
        root,
        dest,
        e.header as EntryHeader,
        e,
        owner,
        dirTimes,
      );
      e.resume();
      if (path === undefined) continue;
    }
    await feed.done;
  } catch (err) {
    await feed.stop();
    if (err instanceof InvalidArgumentError || err instanceof FailedPreconditionError) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    if (/unexpected end|invalid tar|checksum/i.test(msg)) {
      throw new InvalidArgumentError(`Invalid tar archive: ${msg}`);
    }
    throw wrap(err, current ? `Cannot extract "${current}"` : "Cannot extract");
  }
  for (const [path, mtime] of dirTimes.reverse()) {
    const [parent, base] = splitPath(path);
    await withOpen(host, root, parent, { flags: O_PATH | O_DIRECTORY }, async (h) => {
      if (base !== "") await host.lutimes(`${h.path}/${base}`, mtime, mtime);
    }).catch(() => {});
  }
  return size;
}

async function extractEntry(
  host: Host,
  root: string,
  dest: Destination,
  header: EntryHeader,
  body: AsyncIterable<Uint8Array>,
  owner: Ownership,
  dirTimes: [string, number][],
): Promise<string | undefined> {
  const parts = mapName(header.name, dest);
  if (parts === undefined) return undefined;
  const path = join(dest.dir, parts.join("/"));
  const mtime = (header.mtime?.getTime() ?? 0) / 1000;
  if (parts.length === 0) {
    if (header.type !== "directory") {
      throw new InvalidArgumentError(`cannot overwrite directory "${dest.dir}" with non-directory`);
    }
    return undefined; // the destination directory itself: left as it is
  }
  const leaf = parts[parts.length - 1];
  const parentPath = join(dest.dir, parts.slice(0, -1).join("/"));
  const parent = await host.openInRoot(root, parentPath, { flags: O_PATH | O_DIRECTORY });
  try {
    const at = `${parent.path}/${leaf}`;
    const existing = await host.lstat(at).catch(() => undefined);
    const mode = header.mode & 0o7777;
    if (header.type === "directory") {
      if (existing && !existing.isDirectory) await host.remove(at);
      if (!existing?.isDirectory) await host.mkdir(at, { mode: 0o700 });
      await setMode(host, root, path, mode);
      await applyOwner(host, at, header, owner);
      dirTimes.push([path, mtime]);
      return path;
    }
    if (existing?.isDirectory) {
      throw new InvalidArgumentError(
        `cannot overwrite directory "${path}" with non-directory "${header.name}"`,
      );
    }
    if (existing) await host.remove(at);
    switch (header.type) {
      case "file":
      case "contiguous-file": {
        const file = await host.open(at, { write: true, createNew: true, mode: 0o600 });
        try {
          for await (const chunk of body) {
            let off = 0;
            while (off < chunk.length) off += await file.write(chunk.subarray(off));
          }
        } finally {
          file.close();
        }
        await setMode(host, root, path, mode);
        break;
      }
      case "symlink":
        await host.symlink(header.linkname ?? "", at);
        break;
      case "link": {
        const target = mapName(header.linkname ?? "", dest);
        if (target === undefined || target.length === 0) {
          throw new InvalidArgumentError(`hard link "${header.name}" has an invalid target`);
        }
        const [tdir, tbase] = splitPath(join(dest.dir, target.join("/")));
        await withOpen(
          host,
          root,
          tdir,
          { flags: O_PATH | O_DIRECTORY },
          (t) => host.link(`${t.path}/${tbase}`, at),
        );
        break;
      }
      case "character-device":
      case "block-device":
      case "fifo": {
        const kind = header.type === "fifo"
          ? 0o010000
          : header.type === "block-device"
          ? 0o060000
          : 0o020000;
        await host.mknod(at, kind | mode, header.devmajor ?? 0, header.devminor ?? 0);
        break;
      }
      default:
        return undefined; // PAX globals and unknown types are skipped
    }
    if (header.type !== "link") {
      await applyOwner(host, at, header, owner);
      await host.lutimes(at, mtime, mtime);
    }
    return path;
  } finally {
    parent.close();
  }
}

/** Changes the mode through the object itself, so a swapped-in symlink is never followed. */
async function setMode(host: Host, root: string, path: string, mode: number): Promise<void> {
  await withOpen(host, root, path, { follow: false }, (h) => host.chmod(h.path, mode));
}

async function applyOwner(
  host: Host,
  at: string,
  header: EntryHeader,
  owner: Ownership,
): Promise<void> {
  if (owner === "keep") return;
  if (owner === "root") await host.lchown(at, 0, 0);
  else await host.lchown(at, header.uid ?? 0, header.gid ?? 0);
}

/** Components of an entry under the destination (the top entry renamed), or undefined to skip. */
function mapName(name: string, dest: Destination): string[] | undefined {
  let parts: string[];
  try {
    parts = cleanEntryPath(name);
  } catch {
    throw new InvalidArgumentError(`archive entry "${name}" leaves the destination`);
  }
  if (dest.rename && parts.length > 0 && parts[0] === dest.rename.from) {
    if (dest.rename.to === "") parts = parts.slice(1);
    else parts = [dest.rename.to, ...parts.slice(1)];
  }
  return parts;
}

/** Docker's `CONTAINER:PATH` split; undefined for a local path (`./a:b` stays local). */
export function parseCopyArg(arg: string): { container?: string; path: string } {
  if (arg.startsWith("/") || arg.startsWith(".")) return { path: arg };
  const colon = arg.indexOf(":");
  if (colon <= 0) return { path: arg };
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

/** A host path made absolute (relative to the working directory). */
function hostPath(host: Host, path: string): string {
  if (path.startsWith("/")) return path;
  const cwd = host.cwd();
  const p = path === "" ? "." : path;
  return `${cwd === "/" ? "" : cwd}/${p}`;
}

/** Keeps the trailing `/` or `/.` of a path when it is made absolute. */
function absoluteWithTail(host: Host, path: string): string {
  const abs = hostPath(host, path);
  return path === "." ? `${abs.replace(/\/\.$/, "")}/.` : abs;
}

/**
 * Copies `srcPath` out of a container to the host path `dest`, or as a tar
 * stream to `out` when `dest` is `-`. Returns the size of the tar stream. The
 * files written belong to the invoking user unless `opts.archive` (`-a`).
 *
 * @example
 * ```ts ignore
 * await copyFromContainer(store, rec, "/etc/hostname", "./hostname", {});
 * ```
 */
export async function copyFromContainer(
  store: Store,
  rec: ContainerRecord,
  srcPath: string,
  dest: string,
  opts: CopyOptions,
  out: WritableStream<Uint8Array> = Deno.stdout.writable,
  host: Host = realHost,
): Promise<number> {
  const path = srcPath.startsWith("/") ? srcPath : `/${srcPath}`;
  return await withContainerRoot(
    store,
    rec,
    { writable: false, withMounts: true, host },
    async ({ root }) => {
      let src: SourceInfo;
      try {
        src = await statSource(root, path, {
          followLink: opts.followLink,
          describe: `${rec.Name}:${srcPath}`,
        }, host);
      } catch (err) {
        if (err instanceof NotFoundError) {
          throw new NotFoundError(`No such container:path: ${rec.Name}:${srcPath}`);
        }
        throw err;
      }
      const tar = archivePath(root, src, { followLink: opts.followLink }, host);
      if (dest === "-") {
        let n = 0;
        await tar.pipeThrough(
          new TransformStream({
            transform(c, ctl) {
              n += c.length;
              ctl.enqueue(c);
            },
          }),
        ).pipeTo(out, { preventClose: true });
        return n;
      }
      const target = absoluteWithTail(host, dest);
      const where = await planDestination("/", target, src, dest, host);
      // As docker: the files become the invoking user's (root's, or created as the user);
      // -a keeps the container's owners, where the user may set them.
      const owner: Ownership = host.uid() !== 0 ? "keep" : opts.archive ? "header" : "root";
      return await extractTar(tar, "/", where, owner, host);
    },
  );
}

/**
 * Copies the host path `src` (or a tar stream from `input` when `src` is
 * `-`) into a container at `destPath`. Returns the size of the tar stream.
 *
 * @example
 * ```ts ignore
 * await copyToContainer(store, rec, "./app", "/srv/", { archive: true });
 * ```
 */
export async function copyToContainer(
  store: Store,
  rec: ContainerRecord,
  src: string,
  destPath: string,
  opts: CopyOptions,
  input: ReadableStream<Uint8Array> = Deno.stdin.readable,
  host: Host = realHost,
): Promise<number> {
  const dest = destPath.startsWith("/") ? destPath : `/${destPath}`;
  const describe = `${rec.Name}:${destPath}`;
  const owner: Ownership = opts.archive ? "header" : "root";
  let info: SourceInfo | undefined;
  let local = "";
  if (src !== "-") {
    local = absoluteWithTail(host, src);
    try {
      info = await statSource("/", local, { followLink: opts.followLink, describe: src }, host);
    } catch (err) {
      if (err instanceof NotFoundError) {
        throw new NotFoundError(`lstat ${local.replace(/\/\.?$/, "")}: no such file or directory`);
      }
      throw err;
    }
  }
  return await withContainerRoot(
    store,
    rec,
    { writable: true, withMounts: true, host },
    async ({ root }) => {
      if (!info) {
        const st = await withOpen(host, root, dest, { follow: true }, (h) => host.stat(h.path))
          .catch((err) => {
            if (isNotFound(err)) {
              throw new NotFoundError(`No such container:path: ${rec.Name}:${destPath}`);
            }
            throw err;
          });
        if (!st.isDirectory) {
          throw new InvalidArgumentError(`extraction point is not a directory: ${describe}`);
        }
        return await extractTar(input, root, { dir: dest }, owner, host);
      }
      const where = await planDestination(root, dest, info, describe, host);
      return await extractTar(
        archivePath("/", info, { followLink: opts.followLink }, host),
        root,
        where,
        owner,
        host,
      );
    },
  );
}
