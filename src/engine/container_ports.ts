/**
 * `port`: a container's published ports. Nothing is published until networking lands, so a
 * container lists nothing and asking for a port is Docker's "No public port" error.
 *
 * @module
 */
import { InvalidArgumentError, NotFoundError } from "../errors.ts";
import { openStore } from "../store/store.ts";
import { findContainer } from "../runtime/container_store.ts";
import type { StoreOptions } from "./engine_types.ts";

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

/**
 * Checks the named container's published ports: it must exist, and a port asked for must be
 * published (refused, exit 1, otherwise). Resolves with the mappings to list: none yet.
 *
 * @example
 * ```ts ignore
 * await publishedPorts({}, "web"); // []
 * ```
 */
export async function publishedPorts(
  where: StoreOptions,
  name: string,
  wanted?: string,
): Promise<string[]> {
  const store = await openStore(where);
  await findContainer(store, name);
  if (wanted !== undefined) {
    const err = new NotFoundError(`No public port '${parsePortArg(wanted)}' published for ${name}`);
    err.exitCode = 1;
    throw err;
  }
  return []; // nothing is published without bridge networking
}
