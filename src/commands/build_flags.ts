/**
 * The values of `build`'s secret, context, output and run flags, parsed with BuildKit's and
 * docker's wording for bad values. Pure: nothing is read here (the engine reads the files
 * a `--secret` names).
 */
import { InvalidArgumentError } from "../errors.ts";
import type { SecretSource } from "../engine/image_build.ts";

function fields(value: string): [string, string][] {
  return value.split(",").filter((f) => f !== "").map((f) => {
    const eq = f.indexOf("=");
    return eq < 0 ? [f, ""] : [f.slice(0, eq).trim().toLowerCase(), f.slice(eq + 1)];
  });
}

/**
 * `--secret id=X[,src=FILE|,env=VAR][,type=file|env]` as buildx reads it: a secret with
 * neither a file nor a variable is the variable named by its id when set, else the file.
 *
 * @example
 * ```ts
 * parseSecretFlag("id=npm,src=.npmrc"); // { id: "npm", src: ".npmrc" }
 * ```
 */
export function parseSecretFlag(value: string): SecretSource {
  let id = "", src = "", env = "", type = "";
  for (const [key, v] of fields(value)) {
    switch (key) {
      case "type":
        if (v !== "file" && v !== "env") {
          throw new InvalidArgumentError(`unsupported secret type "${v}"`);
        }
        type = v;
        break;
      case "id":
        id = v;
        break;
      case "source":
      case "src":
        src = v;
        break;
      case "env":
        env = v;
        break;
      default:
        throw new InvalidArgumentError(`unexpected key '${key}' in '${value}'`);
    }
  }
  if (type === "env" && env === "") [env, src] = [src, ""];
  if (id === "") throw new InvalidArgumentError(`--secret ${value}: id= is required`);
  if (src && env) {
    throw new InvalidArgumentError(`secret ${id}: a file (src=) and a variable (env=) both given`);
  }
  if (src) return { id, src };
  if (env) return { id, env };
  return { id };
}
