/**
 * `--network container:<name|id>`: a container that joins another one's network namespace,
 * as Docker does. The other container must exist when this one is created and run when it
 * starts; this one takes its hostname, its /etc/hosts and its /etc/resolv.conf, and may not
 * ask for options that belong to a network of its own (Docker's "conflicting options").
 */
import { FailedPreconditionError, InvalidArgumentError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import { type Host, realHost } from "../sys/host.ts";
import { containerDir, type ContainerRecord, findContainer } from "../runtime/container_store.ts";
import { netnsFile, type NetworkDriver } from "../runtime/network.ts";
import type { RunOptions } from "../runtime/run_options.ts";
import { currentState } from "../runtime/state.ts";
import { isRunning } from "../runtime/status.ts";

const PREFIX = "container:";

/**
 * The container a `--network` value joins (`container:web` → "web"), or undefined.
 *
 * @example
 * ```ts
 * joinedName("container:web"); // "web"
 * joinedName("bridge"); // undefined
 * ```
 */
export function joinedName(network: string): string | undefined {
  return network.startsWith(PREFIX) ? network.slice(PREFIX.length) : undefined;
}

/** Docker's refusals of options a joining container cannot have, each one line. */
function checkConflicts(o: RunOptions): void {
  const conflict = (what: string) =>
    new InvalidArgumentError(`conflicting options: ${what} and the network mode`);
  if (o.hostname) throw conflict("hostname");
  if (o.dns?.length || o.dnsSearch?.length || o.dnsOptions?.length) throw conflict("dns");
  if (o.extraHosts?.length) throw conflict("custom host-to-IP mapping");
  if (o.macAddress) throw conflict("mac-address");
  if (o.publish?.length || o.publishAll) {
    throw new InvalidArgumentError(
      "conflicting options: port publishing and the container type network mode",
    );
  }
}

/**
 * Checks a `container:NAME` network at create: the options it excludes are refused and
 * NAME must be a container of the store. Resolves with that container's record.
 *
 * @example
 * ```ts ignore
 * const web = await checkJoin(store, "web", options); // "No such container: web" otherwise
 * ```
 */
export async function checkJoin(
  store: Store,
  name: string,
  options: RunOptions,
): Promise<ContainerRecord> {
  if (name === "") throw new InvalidArgumentError("invalid --network: container: names nobody");
  checkConflicts(options);
  return await findContainer(store, name);
}

/**
 * The driver that joins the network namespace of container `name` (its namespace file when
 * it is on a bridge network, else its process's), and copies its hosts and resolv.conf.
 *
 * @example
 * ```ts ignore
 * await startContainer(store, rec, { network: joinDriver(store, "web") });
 * ```
 */
export function joinDriver(store: Store, name: string, host: Host = realHost): NetworkDriver {
  return {
    name: `${PREFIX}${name}`,
    async setUp(rec: ContainerRecord) {
      const other = await findContainer(store, name);
      const state = await currentState(store, other, host);
      if (!isRunning(state.Status) || state.Pid <= 0) {
        throw new FailedPreconditionError(
          `cannot join network of a non running container: ${name}`,
        );
      }
      if (other.Options.network === "host") {
        return { namespace: { kind: "host" }, hook: [], teardown: [] };
      }
      const file = netnsFile(store, other.Id);
      const path = await host.exists(file) ? file : `/proc/${state.Pid}/ns/net`;
      // Docker gives the joining container the other's files (a copy here, taken at start)
      const from = containerDir(store, other.Id), to = containerDir(store, rec.Id);
      for (const f of ["hosts", "resolv.conf"]) {
        const text = await host.readTextFile(`${from}/${f}`).catch(() => undefined);
        if (text !== undefined) await host.writeFileAtomic(`${to}/${f}`, text);
      }
      return { namespace: { kind: "own", path }, hook: [], teardown: [] };
    },
    tearDown: () => Promise.resolve(),
  };
}
