/**
 * Where a `COPY`/`ADD` source lands, by Docker's rules: a relative
 * destination is under the WORKDIR; a destination ending in `/` (or `.`)
 * is a directory, as is one that already exists as a directory; a
 * directory source copies what it holds; a single file to any other
 * destination takes that name; several sources need a directory ending in `/`.
 */
import { InvalidArgumentError } from "../../errors.ts";
import { cleanPath } from "../context/ignore.ts";

/** The destination as the step gives it, made absolute. */
export interface Destination {
  /** Absolute, cleaned in-image path. */
  path: string;
  /** It names a directory (it ended in `/`, `/.` or was `.`). */
  isDir: boolean;
}

/**
 * Makes `dest` absolute under `workdir`, remembering whether it asks for a directory.
 *
 * @example
 * ```ts
 * resolveDestination("app/", "/srv"); // { path: "/srv/app", isDir: true }
 * ```
 */
export function resolveDestination(dest: string, workdir: string): Destination {
  if (dest === "") throw new InvalidArgumentError("COPY/ADD needs a destination");
  const isDir = dest.endsWith("/") || dest === "." || dest.endsWith("/.") || dest === "..";
  const abs = dest.startsWith("/")
    ? dest
    : `${workdir.startsWith("/") ? workdir : `/${workdir}`}/${dest}`;
  return { path: cleanPath(abs), isDir };
}

/**
 * Refuses several sources to a destination that is not a directory (Docker's message).
 */
export function checkSeveralSources(op: string, count: number, dest: Destination): void {
  if (count > 1 && !dest.isDir) {
    throw new InvalidArgumentError(
      `When using ${op} with more than one source file, the destination must be a directory and end with a /`,
    );
  }
}

/** Joins an absolute in-image directory and a relative path. */
export function under(dir: string, rel: string): string {
  if (rel === "") return dir;
  return cleanPath(`${dir}/${rel}`);
}
