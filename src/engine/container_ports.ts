/**
 * `port`: a container's published ports, as Docker lists them ("80/tcp -> 0.0.0.0:8080"), or
 * the host addresses of one port; a port not published is Docker's "No public port" error.
 *
 * @module
 */
import { InvalidArgumentError, NotFoundError } from "../errors.ts";
import { openStore } from "../store/store.ts";
import { realHost } from "../sys/host.ts";
import { findContainer } from "../runtime/container_store.ts";
import { currentState } from "../runtime/state.ts";
import { isRunning } from "../runtime/status.ts";
import { activeBindings } from "../network/port_record.ts";
import { portLines } from "../network/port_format.ts";
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
 * The named container's published ports as `port` prints them: every mapping, or the host
 * addresses of the port asked for (refused, exit 1, when it is not published). A container
 * that is not running publishes nothing.
 *
 * @example
 * ```ts ignore
 * await publishedPorts({}, "web"); // ["80/tcp -> 0.0.0.0:8080"]
 * await publishedPorts({}, "web", "80"); // ["0.0.0.0:8080"]
 * ```
 */
export async function publishedPorts(
  where: StoreOptions,
  name: string,
  wanted?: string,
): Promise<string[]> {
  const store = await openStore(where);
  const rec = await findContainer(store, name);
  const key = wanted === undefined ? undefined : parsePortArg(wanted);
  const running = isRunning((await currentState(store, rec)).Status);
  const active = running ? await activeBindings(store, rec.Id, realHost) : [];
  const lines = portLines(active, key);
  if (lines === undefined) {
    const err = new NotFoundError(`No public port '${key}' published for ${name}`);
    err.exitCode = 1;
    throw err;
  }
  return lines;
}
