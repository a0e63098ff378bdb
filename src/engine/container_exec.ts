/**
 * `exec`: run a process in a running container and give its exit code.
 *
 * @module
 */
import type { Store } from "../store/store.ts";
import { findContainer } from "../runtime/container_store.ts";
import { execContainer, type ExecRequest } from "../runtime/exec.ts";

export type { ExecRequest };

/**
 * Runs `req` in the named container; resolves with the process's exit code (0 when detached).
 *
 * @example
 * ```ts ignore
 * const code = await execInContainer(store, "web", { cmd: ["hostname"], detach: false,
 *   interactive: false, tty: false, env: [], privileged: false });
 * ```
 */
export async function execInContainer(
  store: Store,
  name: string,
  req: ExecRequest,
): Promise<number> {
  const rec = await findContainer(store, name);
  return await execContainer(store, rec, req);
}
