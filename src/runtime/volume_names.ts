/** The names skiff gives volumes it makes itself. */

/**
 * Name of the anonymous volume of container `id` at `target` (a digest of both, so the same
 * container gets the same volume again at each start).
 *
 * @example
 * ```ts
 * (await anonymousVolumeName("abc", "/data")).length; // 64
 * ```
 */
export async function anonymousVolumeName(id: string, target: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${id}:${target}`));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
