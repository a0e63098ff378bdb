/**
 * Turns a container's overlay upper directory into an OCI layer (`commit`,
 * `build`) and lists its changes (`diff`). Overlay marks deletions with a
 * char device 0:0 and opaque directories with the `overlay.opaque` xattr; OCI
 * layers use `.wh.<name>` and `.wh..wh..opq` files instead.
 *
 * The upper directory must come from an overlay mounted without
 * `redirect_dir` and `metacopy` (the kernel defaults), as docker requires too:
 * with them, renamed directories and metadata-only copies would need the
 * lower layers to describe.
 */
import { lgetxattr } from "../sys/fs.ts";
import type { Host } from "../sys/host.ts";
import { type InRoot, O_DIRECTORY, O_PATH, openInRoot } from "../sys/resolve.ts";
import { type TarHeader, writeTar } from "./tar_write.ts";

const OPAQUE_XATTRS = ["trusted.overlay.opaque", "user.overlay.opaque"];

/**
 * Whether `info` is an overlay whiteout: a char device with device number 0:0.
 *
 * @example
 * ```ts ignore
 * isWhiteout(Deno.lstatSync(`${upper}/etc/motd`)); // true after `rm /etc/motd`
 * ```
 */
export function isWhiteout(info: { isCharDevice?: boolean | null; rdev?: number | null }): boolean {
  return info.isCharDevice === true && (info.rdev ?? -1) === 0;
}

/**
 * Whether the directory at `path` is marked opaque for overlay (either xattr namespace).
 *
 * @example
 * ```ts ignore
 * isOpaqueDir(`${upper}/var/cache`); // true after `rm -rf /var/cache; mkdir /var/cache`
 * ```
 */
export function isOpaqueDir(path: string): boolean {
  return OPAQUE_XATTRS.some((name) => isOpaqueValue(lgetxattr(path, name)));
}

/**
 * {@link isOpaqueDir} through the host seam.
 *
 * @example
 * ```ts ignore
 * await isOpaqueDirOn(realHost, `${upper}/var/cache`);
 * ```
 */
export async function isOpaqueDirOn(host: Host, path: string): Promise<boolean> {
  for (const name of OPAQUE_XATTRS) {
    if (isOpaqueValue(await host.lgetxattr(path, name))) return true;
  }
  return false;
}

function isOpaqueValue(v: Uint8Array | undefined): boolean {
  return v !== undefined && v.length === 1 && v[0] === 0x79; /* y */
}

function withoutOverlayXattrs(h: TarHeader): TarHeader {
  if (!h.xattrs) return h;
  const xattrs: Record<string, Uint8Array> = {};
  let kept = 0;
  for (const [k, v] of Object.entries(h.xattrs)) {
    if (k.startsWith("trusted.overlay.") || k.startsWith("user.overlay.")) continue;
    xattrs[k] = v;
    kept++;
  }
  return { ...h, xattrs: kept > 0 ? xattrs : undefined };
}

/**
 * Streams an OCI layer tar (uncompressed) of an overlay upper directory:
 * whiteout devices become `.wh.<name>` entries, opaque directories get a
 * `.wh..wh..opq` entry, overlay's own xattrs are dropped, and everything else
 * is archived as `writeTar` does.
 *
 * @example
 * ```ts ignore
 * const tar = diffLayerTar(`${root}/containers/${id}/upper`);
 * await compressGzip(tar).pipeTo((await Deno.create(ingestPath)).writable);
 * ```
 */
export function diffLayerTar(
  upperDir: string,
  opts: { excludes?: string[] } = {},
): ReadableStream<Uint8Array> {
  const root = upperDir.replace(/\/+$/, "");
  return writeTar(root, {
    excludes: opts.excludes,
    transform(header, _path, info, at) {
      if (isWhiteout(info)) {
        const slash = header.name.lastIndexOf("/");
        const name = `${header.name.slice(0, slash + 1)}.wh.${header.name.slice(slash + 1)}`;
        return [{
          name,
          type: "file",
          mode: 0o644,
          size: 0,
          uid: 0,
          gid: 0,
          mtime: header.mtime,
        }];
      }
      if (info.isDirectory) {
        const dir = withoutOverlayXattrs(header);
        if (!isOpaqueDir(at)) return [dir];
        return [dir, {
          name: `${header.name}/.wh..wh..opq`,
          type: "file",
          mode: 0o644,
          size: 0,
          uid: 0,
          gid: 0,
          mtime: header.mtime,
        }];
      }
      return [withoutOverlayXattrs(header)];
    },
  });
}

/** One line of `docker diff`: A added, C changed, D deleted; `path` is absolute. */
export interface Change {
  kind: "A" | "C" | "D";
  path: string;
}

/**
 * Lists the changes an overlay upper directory records, sorted by path, as
 * `docker diff` prints them. `lowerExists("/etc/passwd")` tells whether a path
 * exists in the image (lower layers), to tell added from changed.
 *
 * @example
 * ```ts ignore
 * for (const c of await diffChanges(upper, (p) => existsInLowers(p))) {
 *   console.log(`${c.kind} ${c.path}`);
 * }
 * ```
 */
export async function diffChanges(
  upperDir: string,
  lowerExists: (path: string) => boolean | Promise<boolean>,
): Promise<Change[]> {
  const root = upperDir.replace(/\/+$/, "");
  const out: Change[] = [];
  // each directory is opened from its parent's descriptor, never through a symlink, so a running
  // container that swaps a directory for a symlink cannot make diff list a host directory
  async function walk(dir: InRoot, rel: string): Promise<void> {
    const names: string[] = [];
    for await (const e of Deno.readDir(dir.path)) names.push(e.name);
    names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const n of names) {
      const childRel = rel === "" ? n : `${rel}/${n}`;
      const info = await Deno.lstat(`${dir.path}/${n}`);
      const path = `/${childRel}`;
      if (isWhiteout(info)) {
        out.push({ kind: "D", path });
        continue;
      }
      out.push({ kind: (await lowerExists(path)) ? "C" : "A", path });
      if (!info.isDirectory) continue;
      const child = openInRoot(dir.path, n, { flags: O_PATH | O_DIRECTORY, follow: false });
      try {
        await walk(child, childRel);
      } finally {
        child.close();
      }
    }
  }
  const top = openInRoot(root, "/", { flags: O_PATH | O_DIRECTORY });
  try {
    await walk(top, "");
  } finally {
    top.close();
  }
  return out;
}
