/**
 * The C library's streaming tar extractor (`ffi/src/unpack*.c`): a push
 * parser that creates each entry relative to directory fds opened with
 * O_NOFOLLOW. `feed` and `finish` run on a worker thread, so several layers
 * unpack at once and the JavaScript thread keeps downloading and
 * decompressing meanwhile.
 */
import { SysError } from "./errno.ts";
import { cstr, lib } from "./ffi.ts";

const FLAG_CHOWN = 1;
const FLAG_USER_XATTR = 2;
const EINVALID = -10000;
const ETAR = -10001;

/** One range of an id map, as in the OCI runtime spec's `uidMappings`. */
export interface IdRange {
  containerID: number;
  hostID: number;
  size: number;
}

/** Options for `TarUnpacker.open`. */
export interface TarUnpackerOptions {
  /** Apply the owners in the headers. */
  chown: boolean;
  /** Write `user.overlay.opaque` instead of `trusted.overlay.opaque` for opaque dirs. */
  userXattr: boolean;
  /** Maps header uids and gids to host ids; without one, ids are used as they are. */
  uidMappings?: IdRange[];
  gidMappings?: IdRange[];
}

/**
 * Why the extractor stopped: `invalid` (an unsafe or invalid entry, the
 * message says which), `tar` (the archive is malformed or truncated) or
 * `system` (a system call failed: `cause` is the SysError).
 */
export class UnpackFailure extends Error {
  constructor(
    readonly kind: "invalid" | "tar" | "system",
    message: string,
    /** The entry being extracted ("" when none yet). */
    readonly entry: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "UnpackFailure";
  }
}

const utf8 = new TextDecoder();

/**
 * A tar extractor writing into one directory. Call `feed` with consecutive
 * chunks of the uncompressed tar (awaiting each), then `finish`, and always
 * `close` at the end, never while a `feed` is pending.
 *
 * @example
 * ```ts ignore
 * const u = TarUnpacker.open("/tmp/dest", { chown: false, userXattr: false });
 * try {
 *   for await (const chunk of tarStream) await u.feed(chunk);
 *   await u.finish();
 * } finally {
 *   u.close();
 * }
 * ```
 */
export class TarUnpacker {
  #handle: Deno.PointerValue;
  #inflight: Uint8Array | undefined;

  private constructor(handle: Deno.PointerValue) {
    this.#handle = handle;
  }

  /** Opens `dest` (an existing directory); throws a SysError naming it. */
  static open(dest: string, opts: TarUnpackerOptions): TarUnpacker {
    const out = new BigUint64Array(1);
    const flags = (opts.chown ? FLAG_CHOWN : 0) | (opts.userXattr ? FLAG_USER_XATTR : 0);
    const rc = lib().skiff_unpack_new(cstr(dest), flags, out);
    if (rc < 0) throw new SysError(-rc, `open ${dest}`);
    const u = new TarUnpacker(Deno.UnsafePointer.create(out[0]));
    try {
      for (const [gid, map] of [[0, opts.uidMappings], [1, opts.gidMappings]] as const) {
        if (!map) continue;
        const triples = new Uint32Array(map.flatMap((r) => [r.containerID, r.hostID, r.size]));
        const set = lib().skiff_unpack_set_idmap(u.#handle, gid, triples, map.length);
        if (set < 0) throw new SysError(-set, "set the id map");
      }
    } catch (err) {
      u.close();
      throw err;
    }
    return u;
  }

  /** Parses the next bytes of the tar and creates the entries they complete. */
  async feed(chunk: Uint8Array): Promise<void> {
    // The worker thread reads `chunk` until the call returns: keep it reachable.
    this.#inflight = chunk;
    try {
      const rc = await lib().skiff_unpack_feed(
        this.#handle,
        chunk as Uint8Array<ArrayBuffer>,
        BigInt(chunk.length),
      );
      if (rc < 0) throw this.#failure(rc);
    } finally {
      this.#inflight = undefined;
    }
  }

  /**
   * The sizes of the regular files and symlinks unpacked so far, added up as a walk of the
   * directory would (Docker's layer size); hard links, whiteouts and directories count 0.
   */
  contentSize(): number {
    return Number(lib().skiff_unpack_content_size(this.#handle));
  }

  /** Checks the tar ended on an entry boundary and applies the directory times. */
  async finish(): Promise<void> {
    const rc = await lib().skiff_unpack_finish(this.#handle);
    if (rc < 0) throw this.#failure(rc);
  }

  /** Frees the extractor (idempotent). */
  close(): void {
    if (this.#handle) lib().skiff_unpack_free(this.#handle);
    this.#handle = null;
  }

  #failure(rc: number): UnpackFailure {
    const buf = new Uint8Array(16384);
    lib().skiff_unpack_error(this.#handle, buf, buf.length);
    const nul = buf.indexOf(0);
    const entry = utf8.decode(buf.subarray(0, nul));
    const end = buf.indexOf(0, nul + 1);
    const message = utf8.decode(buf.subarray(nul + 1, end < 0 ? undefined : end));
    if (rc === EINVALID) return new UnpackFailure("invalid", message, entry);
    if (rc === ETAR) return new UnpackFailure("tar", message, entry);
    const cause = new SysError(-rc, message);
    return new UnpackFailure("system", cause.message, entry, { cause });
  }
}
