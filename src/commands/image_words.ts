/** How docker's CLI and daemon name an image in their messages, for the commands' errors. */
import { NotFoundError } from "../errors.ts";

/**
 * `name` with `:latest` when it names neither a tag nor a digest, as docker names the image it
 * did not find (`busybox` -> `busybox:latest`).
 *
 * @example
 * ```ts
 * withDefaultTag("busybox"); // "busybox:latest"
 * withDefaultTag("localhost:5000/app"); // "localhost:5000/app:latest"
 * withDefaultTag("app:1"); // "app:1"
 * ```
 */
export function withDefaultTag(name: string): string {
  const last = name.slice(name.lastIndexOf("/") + 1);
  return last.includes(":") || last.includes("@") ? name : `${name}:latest`;
}

/**
 * Runs `work`; a `No such image: NAME` for `name` is reworded with the default tag, as docker's
 * daemon words it for `tag` and `history` (`No such image: busybox:latest`).
 *
 * @example
 * ```ts ignore
 * await taggedNotFound("nosuch", () => imageHistory({}, "nosuch")); // No such image: nosuch:latest
 * ```
 */
export async function taggedNotFound<T>(name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof NotFoundError && err.message === `No such image: ${name}`) {
      err.message = `No such image: ${withDefaultTag(name)}`;
    }
    throw err;
  }
}
