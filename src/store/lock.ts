/**
 * Exclusive file locks (flock) for writers; the implementation lives with the host seam.
 */
export { withLock } from "../sys/lock.ts";
