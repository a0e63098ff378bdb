/** `skiff volume create`: create a named volume (or an anonymous one with a random name). */
import type { CommandContext } from "../cli/spec.ts";
import { InvalidArgumentError, NotFoundError } from "../errors.ts";
import { openStore } from "../store/store.ts";
import { ensureVolume } from "../store/volumes.ts";

/**
 * Parses `--label k=v` flags (a bare `k` is an empty value, as docker does).
 *
 * @example
 * ```ts
 * parseLabels(["a=1", "b"]); // { a: "1", b: "" }
 * ```
 */
export function parseLabels(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of list) {
    const eq = l.indexOf("=");
    if (eq === 0) throw new InvalidArgumentError(`invalid label '${l}': empty name`);
    if (eq === -1) out[l] = "";
    else out[l.slice(0, eq)] = l.slice(eq + 1);
  }
  return out;
}

/** Runs `skiff volume create [--label K=V]... [--name NAME | NAME]`. */
export default async function volumeCreate(ctx: CommandContext): Promise<number> {
  const flagName = ctx.flags.name as string | undefined;
  if (flagName && ctx.args[0] && flagName !== ctx.args[0]) {
    throw new InvalidArgumentError(
      `conflicting options: either specify --name or provide positional arg, not both`,
    );
  }
  const driver = (ctx.flags.driver as string | undefined) ?? "local";
  if (driver !== "local") {
    throw new NotFoundError(
      `error looking up volume plugin ${driver}: plugin "${driver}" not found`,
    );
  }
  if ((ctx.flags.opt as string[]).length > 0) {
    throw new InvalidArgumentError("volume options (-o) are not supported by skiff's local driver");
  }
  const name = flagName ?? ctx.args[0] ??
    Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, "0"))
      .join("");
  const store = await openStore(ctx.global);
  const { volume } = await ensureVolume(store, name, parseLabels(ctx.flags.label as string[]));
  console.log(volume.Name);
  return 0;
}
