/**
 * `skiff port`: a container's published ports. Nothing is published until
 * networking lands, so a container lists nothing and asking for a port is
 * Docker's "No public port" error.
 */
import type { CommandContext } from "../cli/spec.ts";
import { InvalidArgumentError, NotFoundError } from "../errors.ts";
import { openStore } from "../store/store.ts";
import { findContainer } from "../runtime/container_store.ts";

/**
 * Normalizes `PRIVATE_PORT[/PROTO]` as Docker does ("80" is "80/tcp").
 *
 * @example
 * ```ts
 * parsePortArg("53/udp"); // "53/udp"
 * ```
 */
export function parsePortArg(arg: string): string {
  const m = /^(\d+)(?:\/(tcp|udp|sctp))?$/i.exec(arg);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) {
    throw new InvalidArgumentError(`Invalid port: ${arg}`);
  }
  return `${Number(m[1])}/${(m[2] ?? "tcp").toLowerCase()}`;
}

/** Runs `skiff port CONTAINER [PRIVATE_PORT[/PROTO]]`. */
export default async function port(ctx: CommandContext): Promise<number> {
  const store = await openStore(ctx.global);
  const [name, wanted] = ctx.args;
  await findContainer(store, name);
  if (wanted !== undefined) {
    const err = new NotFoundError(
      `No public port '${parsePortArg(wanted)}' published for ${name}`,
    );
    err.exitCode = 1;
    throw err;
  }
  return 0;
}
