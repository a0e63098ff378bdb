/**
 * `system reset` (Podman's): removes everything in the store (containers with their volumes,
 * images, volumes, networks with their bridge devices and firewall rules) and then the store's
 * directories themselves.
 *
 * @module
 */
import { FailedPreconditionError } from "../errors.ts";
import { listNetworks } from "../network/network_store.ts";
import { listContainers } from "../runtime/container_store.ts";
import { openStore } from "../store/store.ts";
import { parseMountinfo } from "../sys/mountinfo.ts";
import { removeContainers } from "./container_lifecycle.ts";
import type { StoreOptions } from "./engine_types.ts";

/** What a reset could not remove before it gave up, if anything. */
export interface ResetReport {
  /** Containers that could not be removed (their errors). */
  errors: Error[];
}

/**
 * Removes every container (killing running ones, with their anonymous volumes), tears down
 * every network's bridge and rules, then deletes the data and run roots. Refused, with nothing
 * more removed, while anything is still mounted below either root (a recursive removal must
 * never walk into a mount).
 *
 * @example
 * ```ts ignore
 * await resetStore({ root: "/tmp/s", runroot: "/tmp/r" });
 * ```
 */
export async function resetStore(where: StoreOptions): Promise<ResetReport> {
  const store = await openStore(where);
  if (store.root === "/" || store.runroot === "/") {
    throw new FailedPreconditionError("system reset: refusing to remove /");
  }
  const ids = (await listContainers(store)).map((r) => r.Id);
  const reports = await removeContainers(where, ids, { force: true, volumes: true });
  const errors = reports.flatMap((r) => r.ok ? [] : [r.error]);
  const { tearDownNetwork }: typeof import("../network/bridge.ts") = await import(
    new URL("../network/bridge.ts", import.meta.url).href
  );
  for (const net of await listNetworks(store).catch(() => [])) {
    await tearDownNetwork(store, net).catch((err) => errors.push(err));
  }
  const mounts = parseMountinfo(await Deno.readTextFile("/proc/self/mountinfo"));
  const under = (dir: string) =>
    mounts.filter((m) => m.mountPoint === dir || m.mountPoint.startsWith(`${dir}/`));
  const left = [...under(store.root), ...under(store.runroot)];
  if (left.length > 0) {
    throw new FailedPreconditionError(
      `system reset: ${left[0].mountPoint} is still mounted; nothing more was removed`,
    );
  }
  for (const dir of [store.runroot, store.root]) {
    await Deno.remove(dir, { recursive: true }).catch((err) => {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    });
  }
  return { errors };
}
