/**
 * `--chmod`: an octal mode (`0755`, `644`) applied to every copied file and
 * directory, or, as Dockerfile 1.14 allows, a symbolic one as chmod(1)
 * reads it (`u+x`, `go-w`, `a=rX`, several joined by `,`), applied to each
 * entry's own mode. Symlinks keep theirs.
 */
import { InvalidArgumentError } from "../../errors.ts";

/** Maps an entry's mode (and whether it is a directory) to the mode to write. */
export type ModeChange = (mode: number, isDir: boolean) => number;

function invalid(spec: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `invalid chmod parameter "${spec}": it should be an octal mode between 0 and 07777 or a symbolic mode such as u+x`,
  );
}

const WHO: Record<string, number> = { u: 0o4700, g: 0o2070, o: 0o1007, a: 0o7777 };

/**
 * Parses a `--chmod` value; undefined for "" (no `--chmod`).
 *
 * @example
 * ```ts
 * parseChmod("0750")!(0o644, false); // 0o750
 * parseChmod("g+w,o-r")!(0o644, false); // 0o660
 * ```
 */
export function parseChmod(spec: string): ModeChange | undefined {
  if (spec === "") return undefined;
  if (/^[0-7]+$/.test(spec)) {
    const mode = parseInt(spec, 8);
    if (mode > 0o7777) throw invalid(spec);
    return () => mode;
  }
  const clauses = spec.split(",").map((c) => parseClause(c, spec));
  return (mode, isDir) => clauses.reduce((m, apply) => apply(m, isDir), mode & 0o7777);
}

function parseClause(clause: string, spec: string): ModeChange {
  const m = /^([ugoa]*)((?:[-+=][rwxXstugo]*)+)$/.exec(clause);
  if (!m) throw invalid(spec);
  const who = m[1] === "" ? 0o7777 : [...m[1]].reduce((w, c) => w | WHO[c], 0);
  const ops = [...m[2].matchAll(/([-+=])([rwxXstugo]*)/g)];
  return (mode, isDir) => {
    for (const [, op, perms] of ops) {
      let bits = 0;
      for (const p of perms) {
        if (p === "r") bits |= 0o444;
        else if (p === "w") bits |= 0o222;
        else if (p === "x") bits |= 0o111;
        else if (p === "X") bits |= isDir || (mode & 0o111) !== 0 ? 0o111 : 0;
        else if (p === "s") bits |= 0o6000;
        else if (p === "t") bits |= 0o1000;
        else {
          // copy the permissions of one class to the others (`g=u`)
          const shift = p === "u" ? 6 : p === "g" ? 3 : 0;
          const rwx = (mode >> shift) & 7;
          bits |= (rwx << 6) | (rwx << 3) | rwx;
        }
      }
      bits &= who;
      if (op === "+") mode |= bits;
      else if (op === "-") mode &= ~bits;
      else mode = (mode & ~(who & 0o7777)) | bits;
    }
    return mode & 0o7777;
  };
}
