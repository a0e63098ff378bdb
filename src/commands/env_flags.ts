/** The environment flags of run, create and exec: `-e` and `--env-file`, read on the caller's side. */
import { InvalidArgumentError } from "../errors.ts";
import { parseEnvFile } from "../runtime/run_options.ts";

type Lookup = (name: string) => string | undefined;
const hostEnv: Lookup = (k) => Deno.env.get(k);

/** Environment from -e: `KEY=VALUE` as given, a bare `KEY` taken from the host (dropped if unset). */
export function parseEnvFlags(values: string[], lookup: Lookup = hostEnv): string[] {
  const out: string[] = [];
  for (const v of values) {
    if (v.startsWith("=")) throw new InvalidArgumentError(`invalid environment variable: ${v}`);
    if (v.includes("=")) out.push(v);
    else {
      const value = lookup(v);
      if (value !== undefined) out.push(`${v}=${value}`);
    }
  }
  return out;
}

/** A file error in Go's words ("no such file or directory"), as docker names it. */
function systemReason(err: unknown): string {
  if (err instanceof Deno.errors.NotFound) return "no such file or directory";
  if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (err instanceof Deno.errors.IsADirectory) return "is a directory";
  return (err as Error).message;
}

/**
 * The environment of `--env-file` files then `-e` values, in order.
 *
 * @example
 * ```ts ignore
 * envFromFlags(["./app.env"], ["A=1"]); // [...lines of app.env, "A=1"]
 * ```
 */
export function envFromFlags(files: string[], values: string[], lookup = hostEnv): string[] {
  const fromFiles = files.flatMap((file) => {
    let text: string;
    try {
      text = Deno.readTextFileSync(file);
    } catch (err) {
      throw new InvalidArgumentError(`open ${file}: ${systemReason(err)}`);
    }
    return parseEnvFile(text, lookup);
  });
  return [...fromFiles, ...parseEnvFlags(values, lookup)];
}
