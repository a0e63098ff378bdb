/**
 * The one polling loop with back-off: every wait for a process, a monitor or a
 * container to reach some state goes through {@link waitUntil}.
 */

/** Time as the waiting loop sees it; the host seam's clock, or a fake one in tests. */
export interface WaitClock {
  /** Milliseconds since some fixed point. */
  now(): number;
  /** Resolves after `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
}

/** Options of {@link waitUntil}. */
export interface WaitOptions {
  /** Give up after this long (default: never). */
  timeoutMs?: number;
  /** First pause (default 5 ms); each pause doubles up to `maxDelayMs`. */
  initialDelayMs?: number;
  /** Longest pause (default 100 ms). */
  maxDelayMs?: number;
  /** Where the time comes from (default: the real clock, pausing with setTimeout). */
  clock?: WaitClock;
}

/** Never notified: Atomics.wait on it is a plain sleep. */
const pause = new Int32Array(new SharedArrayBuffer(4));

/** The real clock, pausing with setTimeout (other work on the event loop goes on). */
export const timerClock: WaitClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

/**
 * The real clock, pausing by blocking the thread (Atomics.wait). For a command that has
 * nothing else to do meanwhile: the first setTimeout loads Deno's Node compatibility
 * timers, about 7 ms of CPU that a short wait on the hot path (`run --rm`) should not pay.
 */
export const blockingClock: WaitClock = {
  now: () => Date.now(),
  sleep: (ms) => {
    Atomics.wait(pause, 0, 0, ms);
    return Promise.resolve();
  },
};

/**
 * Polls `predicate` until it holds, pausing between tries with exponential back-off.
 * Resolves true when it held, false when `timeoutMs` passed first. The predicate is
 * always tried at least once, and once more at the deadline.
 *
 * @example
 * ```ts ignore
 * const gone = await waitUntil(async () => (await procStartTime(pid)) === undefined, {
 *   timeoutMs: 10_000,
 *   maxDelayMs: 50,
 * });
 * ```
 */
export async function waitUntil(
  predicate: () => boolean | Promise<boolean>,
  options: WaitOptions = {},
): Promise<boolean> {
  const clock = options.clock ?? timerClock;
  const deadline = clock.now() + (options.timeoutMs ?? Infinity);
  const max = options.maxDelayMs ?? 100;
  let delay = Math.min(options.initialDelayMs ?? 5, max);
  for (;;) {
    if (await predicate()) return true;
    const left = deadline - clock.now();
    if (left <= 0) return false;
    await clock.sleep(Math.max(1, Math.min(delay, left)));
    delay = Math.min(delay * 2, max);
  }
}
