/**
 * The namespaces a container shares with another at start (`--pid container:NAME`,
 * `--ipc container:NAME`), and the host directory behind a shareable /dev/shm. The other
 * container must be running; an IPC donor must have been created `--ipc shareable`, as
 * Docker asks. A container's shareable /dev/shm is a directory of its run directory, made
 * empty at each start and bound over /dev/shm in the donor and in every container joining it.
 */
import { FailedPreconditionError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import type { Host } from "../sys/host.ts";
import { type ContainerRecord, containerRunDir, findContainer } from "./container_store.ts";
import { joinedContainer, type NamespaceOptions } from "./namespace_options.ts";
import { currentState } from "./state.ts";
import { isRunning } from "./status.ts";

/** What start joins or binds for the namespace options. */
export interface NamespaceJoins {
  /** A pid namespace file to join. */
  pid?: string;
  /** An IPC namespace file to join. */
  ipc?: string;
  /** A host directory bound over /dev/shm. */
  shmDir?: string;
}

/**
 * The shareable /dev/shm directory of a container.
 *
 * @example
 * ```ts ignore
 * shmDirOf(store, rec.Id); // "/run/skiff/containers/<id>/shm"
 * ```
 */
export function shmDirOf(store: Store, id: string): string {
  return `${containerRunDir(store, id)}/shm`;
}

async function runningPid(
  store: Store,
  name: string,
  host: Host,
  what: string,
): Promise<{ rec: ContainerRecord; pid: number }> {
  const rec = await findContainer(store, name).catch((err) => {
    throw new FailedPreconditionError(`cannot join ${what} of a non running container: ${name}`, {
      cause: err,
    });
  });
  const state = await currentState(store, rec, host);
  if (!isRunning(state.Status) || state.Pid <= 0) {
    throw new FailedPreconditionError(`cannot join ${what} of a non running container: ${name}`);
  }
  return { rec, pid: state.Pid };
}

/**
 * Resolves a container's `container:NAME` namespaces to the namespace files of the other
 * container's process, and makes its own shareable /dev/shm directory (emptied).
 *
 * @example
 * ```ts ignore
 * const joins = await resolveNamespaceJoins(store, rec, realHost); // { pid: "/proc/42/ns/pid" }
 * ```
 */
export async function resolveNamespaceJoins(
  store: Store,
  rec: ContainerRecord,
  host: Host,
): Promise<NamespaceJoins> {
  const n = rec.Options.namespaces ?? {};
  const out: NamespaceJoins = {};
  const pidOf = joinedContainer(n.pid);
  if (pidOf !== undefined) {
    out.pid = `/proc/${(await runningPid(store, pidOf, host, "PID")).pid}/ns/pid`;
  }
  const ipcOf = joinedContainer(n.ipc);
  if (ipcOf !== undefined) {
    const { rec: donor, pid } = await runningPid(store, ipcOf, host, "IPC");
    const shm = shmDirOf(store, donor.Id);
    if (donor.Options.namespaces?.ipc !== "shareable" || !(await host.exists(shm))) {
      throw new FailedPreconditionError(
        `can't join IPC of container ${ipcOf}: non-shareable IPC (hint: use IpcMode:shareable for the donor container)`,
      );
    }
    out.ipc = `/proc/${pid}/ns/ipc`;
    out.shmDir = shm;
  }
  if (n.ipc === "shareable") {
    const shm = shmDirOf(store, rec.Id);
    await host.remove(shm, { recursive: true }).catch(() => {});
    await host.mkdir(shm, { recursive: true, mode: 0o700 });
    await host.chmod(shm, 0o1777);
    out.shmDir = shm;
  }
  return out;
}

/**
 * Refuses, at create, `--pid`/`--ipc container:NAME` naming no container of the store
 * ("No such container: NAME"); it need only run when this one starts.
 *
 * @example
 * ```ts ignore
 * await checkJoinTargets(store, { pid: "container:web" });
 * ```
 */
export async function checkJoinTargets(store: Store, n: NamespaceOptions): Promise<void> {
  for (const mode of [n.pid, n.ipc]) {
    const name = joinedContainer(mode);
    if (name !== undefined) await findContainer(store, name);
  }
}
