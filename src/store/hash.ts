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

/**
 * The `sha256:<hex>` digest of bytes held in memory, with Web Crypto: no Node layer to load,
 * so that a command that only hashes small documents (a config, a manifest) stays light.
 *
 * @example
 * ```ts ignore
 * await sha256Bytes(new TextEncoder().encode("")); // "sha256:e3b0c442…"
 * ```
 */
export async function sha256Bytes(data: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));
  let hex = "";
  for (const b of d) hex += b.toString(16).padStart(2, "0");
  return `sha256:${hex}`;
}
