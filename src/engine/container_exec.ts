/**
 * `exec`: run a process in a running container and give its exit code.
 *
 * @module
 */
import { emitContainerEvent } from "./events.ts";
import { openStore } from "../store/store.ts";
import type { StoreOptions } from "./engine_types.ts";
import { findContainer } from "../runtime/container_store.ts";
import { execContainer, type ExecRequest } from "../runtime/exec.ts";

export type { ExecRequest };

/**
 * Runs `req` in the named container; resolves with the process's exit code (0 when detached).
 * `afterLookup` runs once the container is found, before anything is started.
 *
 * @example
 * ```ts ignore
 * const code = await execInContainer({}, "web", { cmd: ["hostname"], detach: false,
 *   interactive: false, tty: false, env: [], privileged: false });
 * ```
 */
export async function execInContainer(
  where: StoreOptions,
  name: string,
  req: ExecRequest,
  afterLookup?: () => void,
): Promise<number> {
  const store = await openStore(where);
  const rec = await findContainer(store, name);
  // the caller's checks (a terminal for -it) come after "No such container", as in Docker
  afterLookup?.();
  // Docker names the command in the action: "exec_create: sh -c date"
  const execID = [...crypto.getRandomValues(new Uint8Array(32))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  const command = req.cmd.join(" ");
  await emitContainerEvent(store, rec, `exec_create: ${command}`, { execID });
  await emitContainerEvent(store, rec, `exec_start: ${command}`, { execID });
  const code = await execContainer(store, rec, req);
  // Docker's exec_die once the process ended (a detached one is waited for by nobody)
  if (!req.detach) {
    await emitContainerEvent(store, rec, "exec_die", { execID, exitCode: String(code) });
  }
  return code;
}
