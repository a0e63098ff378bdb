/**
 * Keeping a running container still while skiff reads its file system
 * (`commit`, `export`): its cgroup is frozen for the duration, as `docker
 * commit` pauses it, so nothing in it can change files (or swap them for
 * symlinks) while they are read. A freeze that fails is an error, never a
 * silent read of a live container.
 */
import { wrap } from "../errors.ts";
import type { Store } from "../store/store.ts";
import { type Host, realHost } from "../sys/host.ts";
import { type Cgroups, detectCgroups } from "./cgroups.ts";
import type { ContainerRecord } from "./container_store.ts";
import { currentState } from "./state.ts";
import { type ContainerStatus, isRunning } from "./status.ts";

/** What `withFrozen` needs to know and do about one container. */
export interface FreezeControl {
  /** The container's status now: "running", "paused", "exited"... */
  status(): Promise<ContainerStatus>;
  freeze(): Promise<void>;
  thaw(): Promise<void>;
}

/** The control of a container: its state file and its cgroup, on the host (the real one by default). */
export function containerFreezeControl(
  store: Store,
  rec: ContainerRecord,
  env: { host?: Host; cgroups?: Cgroups } = {},
): FreezeControl {
  const host = env.host ?? realHost;
  let mgr: Cgroups | undefined;
  const manager = async () =>
    mgr ??= (env.cgroups ?? await detectCgroups(host)).forParent(rec.CgroupParent);
  return {
    status: async () => (await currentState(store, rec, host)).Status,
    freeze: async () => await (await manager()).freeze(rec.Id),
    thaw: async () => await (await manager()).thaw(rec.Id),
  };
}

/**
 * Runs `fn` with the container frozen when it runs: frozen first, thawed
 * afterwards whatever `fn` does. A paused container stays paused and one
 * that does not run needs nothing. When the freeze fails the container is
 * looked at again: if it has stopped meanwhile `fn` runs, else the failure
 * is thrown and `fn` does not run.
 *
 * @example
 * ```ts ignore
 * await withFrozen(containerFreezeControl(store, rec), rec.Name, () => readUpper());
 * ```
 */
export async function withFrozen<T>(
  control: FreezeControl,
  name: string,
  fn: () => Promise<T>,
): Promise<T> {
  if (await control.status() !== "running") return await fn();
  try {
    await control.freeze();
  } catch (err) {
    const now = await control.status();
    if (isRunning(now)) {
      // a partial freeze is undone; the original failure is the one reported
      await control.thaw().catch(() => {});
      throw wrap(err, `cannot pause container ${name} to read its files`);
    }
    return await fn();
  }
  let out: T;
  try {
    out = await fn();
  } catch (err) {
    // fn's failure is the one reported; the container is thawed all the same
    await control.thaw().catch(() => {});
    throw err;
  }
  await control.thaw().catch((err) => {
    throw wrap(err, `cannot unpause container ${name}`);
  });
  return out;
}
