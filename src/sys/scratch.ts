/**
 * Who owns a scratch entry. Every temporary name the store makes (`randomSuffix` in
 * atomic.ts) carries its maker's tag, `o<pid>.<start time>`: the start time (field 22 of
 * /proc/PID/stat) tells the maker from a later process that reused its pid. An entry whose
 * maker is gone was left by a killed command and can be removed at once, without waiting for
 * it to grow old.
 */

/** The maker of a scratch entry: a process id and its start time. */
export interface ScratchOwner {
  pid: number;
  startTime: string;
}

let self: string | undefined;

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
      start = startTimeOf(Deno.readTextFileSync(`/proc/${Deno.pid}/stat`)) ?? "0";
    } catch {
      // no /proc: the tag still names the pid, and a pid that is gone is still gone
    }
    self = `o${Deno.pid}.${start}`;
  }
  return self;
}

/** Field 22 of a /proc/PID/stat text (undefined for a zombie, which is as good as gone). */
function startTimeOf(stat: string): string | undefined {
  // The command name may hold spaces and parentheses: split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields[0] === "Z" ? undefined : fields[19];
}

/**
 * The maker named in a scratch entry's name (`...-o<pid>.<start>-<hex>`), or undefined for a
 * name without a tag.
 *
 * @example
 * ```ts
 * scratchOwner("layer-0a1b2c-o4242.99-00ff00ff00ff00ff"); // { pid: 4242, startTime: "99" }
 * ```
 */
export function scratchOwner(name: string): ScratchOwner | undefined {
  const m = /(?:^|[-.])o([1-9][0-9]*)\.([0-9]+)-[0-9a-f]{16}$/.exec(name);
  return m ? { pid: Number(m[1]), startTime: m[2] } : undefined;
}

/**
 * Whether the maker of a scratch entry still runs: the pid exists and started when the tag
 * says (a reused pid does not count).
 *
 * @example
 * ```ts
 * await ownerAlive({ pid: Deno.pid, startTime: ownerTag().split(".")[1] }); // true
 * ```
 */
export async function ownerAlive(owner: ScratchOwner): Promise<boolean> {
  try {
    return startTimeOf(await Deno.readTextFile(`/proc/${owner.pid}/stat`)) === owner.startTime;
  } catch {
    return false;
  }
}
