/**
 * A container's status as Docker's State.Status, and the questions asked of it
 * before anything is done (as youki's status type answers can_start, can_kill...).
 */

/** Status words as Docker's State.Status. */
export type ContainerStatus =
  | "created"
  | "running"
  | "paused"
  | "restarting"
  | "exited"
  | "removing"
  | "dead";

/**
 * Whether the container's process lives (running or paused): it has a pid to signal or exec in.
 *
 * @example
 * ```ts
 * isRunning("paused"); // true
 * ```
 */
export function isRunning(s: ContainerStatus): boolean {
  return s === "running" || s === "paused";
}

/**
 * Whether a monitor is supervising the container (running, paused, or between restarts):
 * its state must be derived from the living processes, and stopping it has work to do.
 *
 * @example
 * ```ts
 * isSupervised("restarting"); // true
 * ```
 */
export function isSupervised(s: ContainerStatus): boolean {
  return s === "running" || s === "paused" || s === "restarting";
}

/**
 * Whether the container has ended (or never began): nothing of it runs.
 *
 * @example
 * ```ts
 * hasEnded("created"); // true
 * ```
 */
export function hasEnded(s: ContainerStatus): boolean {
  return s === "exited" || s === "created" || s === "dead";
}

/**
 * Whether `start` has work to do (a running or paused container is left as it is).
 *
 * @example
 * ```ts
 * canStart("exited"); // true
 * ```
 */
export function canStart(s: ContainerStatus): boolean {
  return !isRunning(s);
}

/**
 * Whether `kill` may signal the container.
 *
 * @example
 * ```ts
 * canKill("restarting"); // false
 * ```
 */
export function canKill(s: ContainerStatus): boolean {
  return isRunning(s);
}

/**
 * Whether `stop` has a process to stop.
 *
 * @example
 * ```ts
 * canStop("exited"); // false
 * ```
 */
export function canStop(s: ContainerStatus): boolean {
  return isSupervised(s);
}

/**
 * Whether `rm` may remove the container: one that runs only with `force` (killed first).
 *
 * @example
 * ```ts
 * canRemove("running", false); // false
 * ```
 */
export function canRemove(s: ContainerStatus, force: boolean): boolean {
  return force || !isSupervised(s);
}

/**
 * Whether `exec` may start a process in the container (a paused one is refused).
 *
 * @example
 * ```ts
 * canExec("paused"); // false
 * ```
 */
export function canExec(s: ContainerStatus): boolean {
  return s === "running";
}
