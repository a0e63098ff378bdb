/**
 * Where skiff's native parts live: `ffi/build/` next to the sources, or,
 * in a binary made by `deno compile` (which embeds them with `--include`),
 * a copy written once to a private cache directory named by the content's
 * SHA-256, since `dlopen` and `exec` need real files. Root loads that
 * library: the directory and the file are checked before every use.
 */
import { FailedPreconditionError } from "../errors.ts";
import { ensurePrivateDir } from "./private_dir.ts";
import { sha256Hex } from "./sha256.ts";

/** True when running from a `deno compile` binary. */
export function isCompiled(url = import.meta.url): boolean {
  return url.includes("/deno-compile-") || !url.startsWith("file:");
}

/**
 * Path of a native asset (`libskiff.so`, `skiff-monitor`).
 *
 * @example
 * ```ts
 * assetPath("skiff-monitor"); // ".../ffi/build/skiff-monitor"
 * ```
 */
export function assetPath(name: string): string {
  const dir = Deno.env.get("SKIFF_LIBDIR");
  if (dir) return `${dir}/${name}`;
  const embedded = new URL(`../../ffi/build/${name}`, import.meta.url).pathname;
  if (!isCompiled()) return embedded;
  return extract(embedded, name);
}

function extract(embedded: string, name: string): string {
  const base = Deno.env.get("XDG_RUNTIME_DIR") || "/tmp";
  return extractAsset(Deno.readFileSync(embedded), name, base, Deno.uid() ?? 0);
}

/**
 * Writes `data` as `name` into `<base>/skiff-native-<uid>-<sha256>/` and
 * returns its path. The directory must be private to `uid` (created 0700,
 * checked with lstat: a symlink or a directory owned or writable by anyone
 * else is refused), and the file is loaded only after its SHA-256 was
 * checked: a file that differs is written again.
 *
 * @example
 * ```ts ignore
 * const path = extractAsset(Deno.readFileSync(embedded), "libskiff.so", "/tmp", 0);
 * Deno.dlopen(path, symbols);
 * ```
 */
export function extractAsset(data: Uint8Array, name: string, base: string, uid: number): string {
  const hash = sha256Hex(data);
  const dir = `${base}/skiff-native-${uid}-${hash}`;
  ensurePrivateDir(dir, uid);
  const target = `${dir}/${name}`;
  if (holds(target, hash, uid)) return target;
  const tmp = `${target}.${Deno.pid}`;
  Deno.writeFileSync(tmp, data, { mode: 0o755 });
  Deno.renameSync(tmp, target);
  if (!holds(target, hash, uid)) {
    throw new FailedPreconditionError(`${target} does not hold sha256:${hash} after writing it`);
  }
  return target;
}

/** Whether `path` is a regular file of `uid`, writable by nobody else, with this SHA-256. */
function holds(path: string, hash: string, uid: number): boolean {
  let st: Deno.FileInfo;
  try {
    st = Deno.lstatSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
  if (!st.isFile || st.uid !== uid || (st.mode ?? 0) & 0o022) return false;
  return sha256Hex(Deno.readFileSync(path)) === hash;
}
