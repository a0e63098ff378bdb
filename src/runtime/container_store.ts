/**
 * Container records in the store: `containers/<id>/container.json` holds what
 * the container was created with (never changes after create, except the
 * name); `containers/<id>/state.json` holds its last known life (started,
 * finished, exit code). Names are unique, taken under a lock.
 */
import { compareStrings } from "../compare.ts";
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from "../errors.ts";
import { randomSuffix } from "../store/atomic.ts";
import type { Store } from "../store/store.ts";
import { type Host, readJsonFile, realHost } from "../sys/host.ts";
import type { RunOptions } from "./run_options.ts";
import type { CreatedContainer, ImageRuntimeConfig } from "./spec.ts";
import type { CgroupLimits } from "./cgroups.ts";
import { removeTree } from "./userns_remove.ts";
import type { ContainerStatus } from "./status.ts";

export type { ContainerStatus } from "./status.ts";

/**
 * What a container was created with: what create decided ({@link CreatedContainer}; its
 * limits absent in records written before they were kept), the image, and the flags. This is
 * the stored `container.json`, field for field.
 */
export interface ContainerRecord extends Omit<CreatedContainer, "Limits" | "CgroupParent"> {
  /** 64 hex digits. */
  Id: string;
  /** Without the leading slash. */
  Name: string;
  /** Image id (config digest). */
  Image: string;
  /** The image as the user named it. */
  ImageName: string;
  Created: string;
  /** Chain IDs of the image's layers, bottom first. */
  Layers: string[];
  /** Normalized cgroup limits as create decided them (absent in records made before). */
  Limits?: CgroupLimits;
  /** --cgroup-parent as create checked it; "" or absent (older records): the default parent. */
  CgroupParent?: string;
  /** The parsed flags. */
  Options: RunOptions;
  /** The image's runtime config at create time (Env, Cmd, Entrypoint, User...). */
  ImageConfig: ImageRuntimeConfig;
}

/** The persistent part of a container's state. */
export interface ContainerState {
  Status: ContainerStatus;
  Pid: number;
  MonitorPid: number;
  /** The monitor's start time (field 22 of /proc/pid/stat) to tell it from a reused pid. */
  MonitorStartTime?: string;
  ExitCode: number;
  Error: string;
  OOMKilled: boolean;
  StartedAt: string;
  FinishedAt: string;
  RestartCount: number;
}

/** Docker's zero time. */
export const ZERO_TIME = "0001-01-01T00:00:00Z";

/** A fresh state for a created container. */
export function createdState(): ContainerState {
  return {
    Status: "created",
    Pid: 0,
    MonitorPid: 0,
    ExitCode: 0,
    Error: "",
    OOMKilled: false,
    StartedAt: ZERO_TIME,
    FinishedAt: ZERO_TIME,
    RestartCount: 0,
  };
}

/** The container's directory in the data root. */
export function containerDir(store: Store, id: string): string {
  return `${store.containers}/${id}`;
}

/** The container's runtime state directory in the run root. */
export function containerRunDir(store: Store, id: string): string {
  return `${store.runContainers}/${id}`;
}

/** Reads a container record by full id. */
export function getContainer(
  store: Store,
  id: string,
  host: Host = realHost,
): Promise<ContainerRecord | undefined> {
  return readJsonFile<ContainerRecord>(host, `${containerDir(store, id)}/container.json`);
}

/** Reads the persisted state of a container. */
export async function getState(
  store: Store,
  id: string,
  host: Host = realHost,
): Promise<ContainerState> {
  return (await readJsonFile<ContainerState>(host, `${containerDir(store, id)}/state.json`)) ??
    createdState();
}

/** Writes the persisted state of a container. */
export function putState(
  store: Store,
  id: string,
  state: ContainerState,
  host: Host = realHost,
): Promise<void> {
  return host.writeFileAtomic(
    `${containerDir(store, id)}/state.json`,
    JSON.stringify(state) + "\n",
  );
}

/** Every container record, newest first. */
export async function listContainers(
  store: Store,
  host: Host = realHost,
): Promise<ContainerRecord[]> {
  const ids: string[] = [];
  try {
    for (const e of await host.readDir(store.containers)) {
      if (/^[a-f0-9]{64}$/.test(e.name)) ids.push(e.name);
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  const recs = await Promise.all(
    ids.map((id) => getContainer(store, id, host).catch(() => undefined)),
  );
  return recs.filter((r): r is ContainerRecord => r !== undefined).sort((a, b) =>
    compareStrings(b.Created, a.Created)
  );
}

const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Checks a user-chosen container name as Docker does. */
export function validateName(name: string): string {
  const n = name.startsWith("/") ? name.slice(1) : name;
  if (!NAME_PATTERN.test(n)) {
    throw new InvalidArgumentError(
      `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
    );
  }
  return n;
}

const adjectives = [
  "brave",
  "calm",
  "eager",
  "fancy",
  "gentle",
  "happy",
  "jolly",
  "kind",
  "lucid",
  "merry",
  "nimble",
  "proud",
  "quiet",
  "sharp",
  "swift",
  "tender",
  "vivid",
  "witty",
  "zealous",
  "bold",
];
const surnames = [
  "turing",
  "hopper",
  "lovelace",
  "ritchie",
  "thompson",
  "torvalds",
  "knuth",
  "dijkstra",
  "hamilton",
  "shannon",
  "curie",
  "noether",
  "babbage",
  "kay",
  "liskov",
  "lamport",
  "pike",
  "wirth",
  "backus",
  "mccarthy",
];

function randomName(): string {
  const r = crypto.getRandomValues(new Uint32Array(2));
  return `${adjectives[r[0] % adjectives.length]}_${surnames[r[1] % surnames.length]}`;
}

/** Directory of name reservations: `names/<name>` holds the owning container's id. */
export function namesDir(store: Store): string {
  return `${store.root}/names`;
}

/** A reservation whose owner has no directory and that is older than this is stale. */
const STALE_RESERVATION_MS = 10_000;

const conflict = (name: string, owner: string) =>
  new AlreadyExistsError(
    `Conflict. The container name "/${name}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`,
  );

/** Builds the name index once for a store made before it existed (under the names lock). */
async function ensureNameIndex(store: Store, host: Host): Promise<string> {
  const dir = namesDir(store);
  if (await host.exists(dir)) return dir;
  await host.withLock(`${store.locks}/names.lock`, async () => {
    if (await host.exists(dir)) return;
    const tmp = `${store.tmp}/names-${randomSuffix()}`;
    await host.mkdir(tmp, { recursive: true, mode: 0o700 });
    for (const c of await listContainers(store, host)) {
      await host.writeTextFile(`${tmp}/${c.Name}`, c.Id);
    }
    await host.rename(tmp, dir);
  });
  return dir;
}

/**
 * Reserves `name` for container `id` by creating `names/<name>` exclusively, so
 * creates running at once never take a global lock. A reservation whose
 * container is gone (a crash, a `--rm` removal) is taken over under the names
 * lock. Returns the owner's id when the name is in use.
 */
export async function reserveName(
  store: Store,
  name: string,
  id: string,
  host: Host = realHost,
): Promise<string | undefined> {
  const path = `${await ensureNameIndex(store, host)}/${name}`;
  try {
    await host.writeTextFile(path, id, { createNew: true, mode: 0o600 });
    return undefined;
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
  }
  return await host.withLock(`${store.locks}/names.lock`, async () => {
    let owner = "";
    let age = Infinity;
    // A reservation is created empty and then written (no lock on that path): an empty one
    // that is young is being written by its maker, so wait for its id (up to a second).
    for (let tries = 0; tries < 50; tries++) {
      try {
        owner = (await host.readTextFile(path)).trim();
        age = host.now() - ((await host.lstat(path)).mtimeMs ?? 0);
      } catch {
        owner = "";
        age = Infinity; // vanished meanwhile: free
      }
      if (owner !== "" || age >= STALE_RESERVATION_MS) break;
      await host.sleep(20);
    }
    if (owner && owner !== id) {
      // no container: the reservation is stale unless it is brand new
      const alive = age < STALE_RESERVATION_MS ||
        await host.exists(containerDir(store, owner)).catch(() => false);
      if (alive) return owner;
    }
    await host.writeFileAtomic(path, id, 0o600);
    return undefined;
  });
}

/** Drops a name reservation if it still belongs to `id`. */
export async function releaseName(
  store: Store,
  name: string,
  id: string,
  host: Host = realHost,
): Promise<void> {
  const path = `${namesDir(store)}/${name}`;
  try {
    if ((await host.readTextFile(path)).trim() === id) await host.remove(path);
  } catch {
    // already gone
  }
}

/**
 * Writes a new container record under a name reserved for it (see
 * `reserveName`): two creates can never get the same name.
 */
export async function createContainerRecord(
  store: Store,
  rec: Omit<ContainerRecord, "Name">,
  name?: string,
  host: Host = realHost,
  prepare?: (dir: string) => Promise<void>,
): Promise<ContainerRecord> {
  let chosen = name ? validateName(name) : randomName();
  for (let i = 0;; i++) {
    const owner = await reserveName(store, chosen, rec.Id, host);
    if (owner === undefined) break;
    if (name) throw conflict(chosen, owner);
    chosen = `${randomName()}${i}`;
  }
  const full: ContainerRecord = { ...rec, Name: chosen };
  // Made whole in the scratch area, then renamed into place: a create killed midway leaves a
  // scratch entry (removed once its maker is gone), never an unlisted directory of containers/.
  const tmp = `${store.tmp}/newc-${rec.Id.slice(0, 12)}-${randomSuffix()}`;
  try {
    await host.mkdir(tmp, { recursive: true, mode: 0o700 });
    await prepare?.(tmp);
    await host.writeFileAtomic(`${tmp}/state.json`, JSON.stringify(createdState()) + "\n");
    await host.writeFileAtomic(`${tmp}/container.json`, JSON.stringify(full) + "\n");
    await host.mkdir(store.containers, { recursive: true, mode: 0o700 });
    await host.rename(tmp, containerDir(store, rec.Id));
  } catch (err) {
    await host.remove(tmp, { recursive: true }).catch(() => {});
    await releaseName(store, chosen, rec.Id, host);
    throw err;
  }
  return full;
}

/** Replaces a container's record (its options changed: `network connect`/`disconnect`). */
export function putContainer(
  store: Store,
  rec: ContainerRecord,
  host: Host = realHost,
): Promise<void> {
  return host.writeFileAtomic(
    `${containerDir(store, rec.Id)}/container.json`,
    JSON.stringify(rec) + "\n",
  );
}

/** Renames a container: the new name is reserved first, then the old one released. */
export async function renameContainer(
  store: Store,
  id: string,
  newName: string,
  host: Host = realHost,
): Promise<void> {
  const name = validateName(newName);
  const rec = await getContainer(store, id, host);
  if (!rec) throw new NotFoundError(`No such container: ${id}`);
  const owner = await reserveName(store, name, id, host);
  if (owner !== undefined) throw conflict(name, owner);
  const old = rec.Name;
  rec.Name = name;
  await host.writeFileAtomic(
    `${containerDir(store, id)}/container.json`,
    JSON.stringify(rec) + "\n",
  );
  if (old !== name) await releaseName(store, old, id, host);
}

/**
 * Finds a container by name, full id or unique id prefix, as Docker does
 * (an exact name wins over an id prefix).
 */
export async function findContainer(
  store: Store,
  nameOrId: string,
  host: Host = realHost,
): Promise<ContainerRecord> {
  const key = nameOrId.startsWith("/") ? nameOrId.slice(1) : nameOrId;
  if (/^[a-f0-9]{64}$/.test(key)) {
    const rec = await getContainer(store, key, host);
    if (rec) return rec;
  }
  // a name is looked up in the name index first: one record read instead of every record
  const indexed = await byNameIndex(store, key, host);
  if (indexed) return indexed;
  const all = await listContainers(store, host);
  const byName = all.find((c) => c.Name === key);
  if (byName) return byName;
  if (/^[a-f0-9]+$/.test(key)) {
    const matches = all.filter((c) => c.Id.startsWith(key));
    if (matches.length === 1) return matches[0];
    if (matches.length > 1) {
      throw new InvalidArgumentError(`multiple containers match the id prefix "${key}"`);
    }
  }
  throw new NotFoundError(`No such container: ${nameOrId}`);
}

/**
 * The container the name index gives for `name`, when its record has that name; undefined
 * otherwise (not a valid name, no entry, a stale entry), and the caller scans every record.
 */
async function byNameIndex(
  store: Store,
  name: string,
  host: Host,
): Promise<ContainerRecord | undefined> {
  if (!NAME_PATTERN.test(name)) return undefined; // never a path outside the index
  const id = (await host.readTextFile(`${namesDir(store)}/${name}`).catch(() => "")).trim();
  if (!/^[a-f0-9]{64}$/.test(id)) return undefined;
  const rec = await getContainer(store, id, host).catch(() => undefined);
  return rec?.Name === name ? rec : undefined;
}

/**
 * Unmounts and removes the container's network namespace file (`<run dir>/netns`, made by a
 * network driver and normally unmounted by the monitor after the last exit), when there is
 * one: once no process is left in the namespace, the kernel deletes it with its links (the
 * container's end of a veth pair takes the host's end along) and their addresses.
 *
 * @example
 * ```ts ignore
 * await releaseNetnsFile(store, rec.Id); // after the container's monitor was killed
 * ```
 */
export async function releaseNetnsFile(
  store: Store,
  id: string,
  host: Host = realHost,
): Promise<void> {
  const netns = `${containerRunDir(store, id)}/netns`;
  if (!(await host.exists(netns))) return;
  const { NetNamespace }: typeof import("../sys/netlink.ts") = await import(
    new URL("../sys/netlink.ts", import.meta.url).href
  );
  NetNamespace.remove(netns);
}

/** Deletes a container's record and directories (the caller has stopped it and unmounted). */
export async function removeContainerRecord(
  store: Store,
  id: string,
  host: Host = realHost,
): Promise<void> {
  const rec = await getContainer(store, id, host).catch(() => undefined);
  // A network namespace file left mounted (its monitor was killed) would keep the run
  // directory, and the container's network, alive.
  await releaseNetnsFile(store, id, host);
  // The run directory first: killed after it, the container is still listed (and exited).
  await host.remove(containerRunDir(store, id), { recursive: true }).catch(() => {});
  // Then the record goes in one rename into the scratch area, so that a kill never leaves a
  // half-deleted directory that is no longer listed; scratch of a dead process is removed by
  // the next pull or load (image/gc.ts removeStaleScratch).
  const doomed = `${store.tmp}/rmc-${id.slice(0, 12)}-${randomSuffix()}`;
  let renamed = false;
  await host.withLock(`${store.locks}/names.lock`, async () => {
    await host.mkdir(store.tmp, { recursive: true });
    await host.rename(containerDir(store, id), doomed).then(() => renamed = true, (err) => {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    });
    if (rec) await releaseName(store, rec.Name, id, host);
  });
  if (renamed) await removeTree(doomed, host); // rootless: as root of the user's mapping
}
