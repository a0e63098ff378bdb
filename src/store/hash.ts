/**
 * Incremental content hashing for the store and everything above it: one
 * implementation over `node:crypto` (native, ~1.4 GB/s), loaded on first use
 * so commands that hash nothing never start Deno's Node compatibility layer.
 */

/** An incremental hash: feed chunks with `update`, read the result with `digest`. */
export interface Hasher {
  /** Adds a chunk of content. */
  update(chunk: Uint8Array): void;
  /** The `algorithm:hex` digest of everything added; call once. */
  digest(): string;
}

let nodeCrypto: Promise<typeof import("node:crypto")> | undefined;

/**
 * Creates an incremental hasher (`sha256` by default).
 *
 * @example
 * ```ts ignore
 * const h = await createHasher();
 * h.update(chunk);
 * h.digest(); // "sha256:…"
 * ```
 */
export async function createHasher(algorithm = "sha256"): Promise<Hasher> {
  nodeCrypto ??= import("node:crypto");
  const hash = (await nodeCrypto).createHash(algorithm);
  return {
    update: (chunk) => void hash.update(chunk),
    digest: () => `${algorithm}:${hash.digest("hex")}`,
  };
}
