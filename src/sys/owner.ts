/**
 * Which process owns a scratch entry. Temporary names carry the creating process's pid and
 * start time (`<pid>.<start>`), so that what a killed command left behind can be told from
 * another command's work in progress without waiting for it to age: the owner is gone when
 * its pid is gone or now belongs to a process that started at another time.
 */

let selfTag: string | undefined;

/** The start time of process `pid` in clock ticks since boot, or undefined if it is gone. */
export function processStartTime(pid: number): number | undefined {
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  // The command name in parentheses may hold spaces; fields after it are space separated,
  // and the start time is field 22 overall (the 20th after the closing parenthesis).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const start = Number(fields[19]);
  return Number.isFinite(start) ? start : undefined;
}

/**
 * This process's tag, `<pid>.<start time>`.
 *
 * @example
 * ```ts
 * import { ownerTag } from "./owner.ts";
 * const name = `layer-${ownerTag()}-0123abcd`;
 * ```
 */
export function ownerTag(): string {
  selfTag ??= `${Deno.pid}.${processStartTime(Deno.pid) ?? 0}`;
  return selfTag;
}

/**
 * Whether the process that made a name holding an owner tag is still alive: true or false
 * for a name with a tag, undefined for a name without one.
 *
 * @example
 * ```ts
 * import { ownerAlive, ownerTag } from "./owner.ts";
 * ownerAlive(`x-${ownerTag()}-00`); // true
 * ```
 */
export function ownerAlive(name: string): boolean | undefined {
  const m = /(?:^|[-.])(\d+)\.(\d+)-[0-9a-f]{16}(?:$|[^0-9a-f])/.exec(name);
  if (!m || m[2] === "0") return undefined; // no tag, or a tag without a start time
  const start = processStartTime(Number(m[1]));
  return start !== undefined && start === Number(m[2]);
}
