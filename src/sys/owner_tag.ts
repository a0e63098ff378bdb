/**
 * This process's identity as scratch names carry it (`o<pid>.<start time>`, see
 * store/scratch.ts): the start time (field 22 of /proc/PID/stat) tells a process from a
 * later one that reused its pid.
 */

let self: string | undefined;

/**
 * Field 22 of a /proc/PID/stat text; undefined for a zombie, which is as good as gone.
 *
 * @example
 * ```ts
 * statStartTime("42 (sh) S 1 42 42 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 12345 0"); // "12345"
 * ```
 */
export function statStartTime(stat: string): string | undefined {
  // The command name may hold spaces and parentheses: split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields[0] === "Z" ? undefined : fields[19];
}

/**
 * This process's tag, `o<pid>.<start time>`, put in every scratch name it makes.
 *
 * @example
 * ```ts
 * ownerTag(); // "o4242.1234567"
 * ```
 */
export function ownerTag(): string {
  if (self === undefined) {
    let start = "0";
    try {
      start = statStartTime(Deno.readTextFileSync(`/proc/${Deno.pid}/stat`)) ?? "0";
    } catch {
      // no /proc: the tag still names the pid, and a pid that is gone is still gone
    }
    self = `o${Deno.pid}.${start}`;
  }
  return self;
}
