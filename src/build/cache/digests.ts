/**
 * Content digests of a context directory's files, kept in the store between builds
 * (`build-cache/digests/<sha256 of the context's real path>.json`, stamp -> digest), so that
 * the cache key of a COPY reads only the files whose stamp (device, inode, size, settled
 * change and modification times: src/build/context) is new. A stamp changes whenever the
 * file is written, so a remembered digest is never taken for other content.
 */
import { readJson, writeJsonAtomic } from "../../store/atomic.ts";
import { buildCacheDir } from "../../store/build_cache.ts";
import type { Store } from "../../store/store.ts";
import type { DigestMemo } from "../copy/mod.ts";

/** At most this many digests are kept per context (the oldest go first). */
const MAX_ENTRIES = 200_000;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** A context's remembered digests, saved by `save` when the build learned new ones. */
export class ContextDigests implements DigestMemo {
  readonly #path: string;
  readonly #known: Map<string, string>;
  #changed = false;

  private constructor(path: string, known: Map<string, string>) {
    this.#path = path;
    this.#known = known;
  }

  /**
   * The digests remembered for the context directory `dir` (none when unreadable).
   *
   * @example
   * ```ts ignore
   * const memo = await ContextDigests.open(store, "/src/app");
   * ```
   */
  static async open(store: Store, dir: string): Promise<ContextDigests> {
    const real = await Deno.realPath(dir);
    const hash = new Uint8Array(
      await crypto.subtle.digest("SHA-256", new TextEncoder().encode(real)),
    );
    const name = Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
    const path = `${buildCacheDir(store)}/digests/${name}.json`;
    const doc = await readJson<Record<string, unknown>>(path).catch(() => undefined);
    const known = new Map<string, string>();
    for (const [stamp, digest] of Object.entries(doc ?? {})) {
      if (typeof digest === "string" && DIGEST.test(digest)) known.set(stamp, digest);
    }
    return new ContextDigests(path, known);
  }

  /** The digest remembered for `stamp`. */
  get(stamp: string): string | undefined {
    return this.#known.get(stamp);
  }

  /** Remembers a digest. */
  set(stamp: string, digest: string): void {
    this.#known.delete(stamp);
    this.#known.set(stamp, digest);
    this.#changed = true;
  }

  /** Writes the digests when they changed (the newest MAX_ENTRIES). */
  async save(): Promise<void> {
    if (!this.#changed) return;
    const entries = [...this.#known].slice(-MAX_ENTRIES);
    await Deno.mkdir(this.#path.slice(0, this.#path.lastIndexOf("/")), {
      recursive: true,
      mode: 0o700,
    });
    await writeJsonAtomic(this.#path, Object.fromEntries(entries), 0o600);
    this.#changed = false;
  }
}
