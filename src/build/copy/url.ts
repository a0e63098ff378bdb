/**
 * `ADD <url>`: which sources are URLs or git repositories, the file name a
 * download gets, and the download itself (to a scratch file, its sha256
 * computed on the way and checked against `--checksum`).
 */
import { DigestMismatchError, InvalidArgumentError, UnavailableError } from "../../errors.ts";
import { createHasher } from "../../store/hash.ts";

/** Whether an ADD source is an http(s) URL. */
export function isUrl(src: string): boolean {
  return /^https?:\/\//i.test(src);
}

/** Whether an ADD source names a git repository (BuildKit's forms). */
export function isGitSource(src: string): boolean {
  if (/^(git:\/\/|git@|ssh:\/\/|github\.com\/)/i.test(src)) return true;
  if (!isUrl(src)) return false;
  try {
    const u = new URL(src);
    return u.pathname.endsWith(".git") || (u.hash !== "" && /\.git$/.test(u.pathname));
  } catch {
    return false;
  }
}

/**
 * The file name a download is saved under: the last component of the URL's
 * path (BuildKit's `__unnamed__` when it has none).
 *
 * @example
 * ```ts
 * urlFileName("https://example.com/dl/tool-1.0.tar.gz?x=1"); // "tool-1.0.tar.gz"
 * ```
 */
export function urlFileName(src: string): string {
  const u = new URL(src);
  const parts = u.pathname.split("/").filter((p) => p !== "");
  const last = parts[parts.length - 1];
  return last ? decodeURIComponent(last) : "__unnamed__";
}

/** Parses `--checksum=sha256:<hex>`; undefined for "". */
export function parseChecksum(spec: string): string | undefined {
  if (spec === "") return undefined;
  const m = /^sha256:([0-9a-fA-F]{64})$/.exec(spec);
  if (!m) {
    throw new InvalidArgumentError(
      `invalid checksum digest format "${spec}": expected sha256:<64 hexadecimal digits>`,
    );
  }
  return `sha256:${m[1].toLowerCase()}`;
}

/** What a download gave. */
export interface Download {
  /** The scratch file holding it. */
  path: string;
  size: number;
  digest: string;
  /** From Last-Modified, when the server sent one. */
  mtimeMs?: number;
}

/**
 * Downloads `url` into the file `path` (created new). A non-2xx answer, or
 * content whose sha256 is not `checksum`, is an error.
 */
export async function download(
  url: string,
  path: string,
  fetcher: typeof fetch,
  checksum?: string,
): Promise<Download> {
  let res: Response;
  try {
    res = await fetcher(url, { redirect: "follow" });
  } catch (err) {
    throw new UnavailableError(`ADD ${url}: ${(err as Error).message}`, { cause: err });
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => {});
    throw new UnavailableError(
      `ADD ${url}: invalid response status ${res.status}${
        res.statusText ? ` ${res.statusText}` : ""
      }`,
    );
  }
  const hash = await createHasher();
  let size = 0;
  const out = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
  await res.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        hash.update(chunk);
        size += chunk.length;
        controller.enqueue(chunk);
      },
    }),
  ).pipeTo(out.writable);
  const digest = hash.digest();
  if (checksum !== undefined && digest !== checksum) {
    throw new DigestMismatchError(
      `ADD ${url}: digest mismatch: expected ${checksum}, got ${digest}`,
    );
  }
  const lm = res.headers.get("last-modified");
  const parsed = lm ? Date.parse(lm) : NaN;
  return { path, size, digest, mtimeMs: Number.isNaN(parsed) ? undefined : parsed };
}
