/**
 * `manifest create`, `annotate` and `rm`: local manifest lists, as docker 20.10's CLI keeps
 * them (an image is read from its registry; as Podman allows, a local image stands in when
 * the registry does not have it).
 *
 * @module
 */
import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  UnavailableError,
} from "../errors.ts";
import { sha256Digest } from "../image/digest.ts";
import {
  annotatePlatform,
  listDocument,
  localEntry,
  MAX_LIST_ENTRIES,
  type PlatformChanges,
  remoteEntry,
} from "../image/manifest_list.ts";
import {
  type ManifestListEntry,
  type ManifestListRecord,
  readManifestList,
  removeManifestList,
  updateManifestList,
} from "../image/manifest_list_store.ts";
import { type ImageReference, parseReference } from "../image/reference.ts";
import { RegistryClient } from "../image/registry.ts";
import { openStore, type Store } from "../store/store.ts";
import { eachTarget, type StoreOptions, type TargetReport } from "./engine_types.ts";

/** How the engine reaches a registry for manifests (tests may pass another). */
export type ManifestRegistryFactory = (registry: string, insecure: boolean) => RegistryClient;

/** The default: a RegistryClient; `--insecure` lets it fall back to plain http. */
export const manifestRegistry: ManifestRegistryFactory = (registry, insecure) =>
  new RegistryClient(registry, { tlsVerify: !insecure });

/**
 * A list's name normalized as docker does (`app` is `docker.io/library/app:latest`); a name
 * with a digest is refused.
 *
 * @example
 * ```ts
 * listReference("localhost:5000/app").toString(); // "localhost:5000/app:latest"
 * ```
 */
export function listReference(name: string): ImageReference {
  const ref = parseReference(name);
  if (ref.digest) {
    throw new InvalidArgumentError(`invalid manifest list name: ${name} has a digest`);
  }
  return ref;
}

/** What `manifest create` was asked for. */
export interface ManifestCreateOptions {
  /** The list's name. */
  list: string;
  /** The images it holds. */
  images: string[];
  /** Add to an existing list instead of refusing it. */
  amend?: boolean;
  /** Allow plain http and unverified registries. */
  insecure?: boolean;
}

/**
 * Creates (or with `amend` extends) the local list; returns its normalized name. An image
 * named again replaces its entry.
 *
 * @example
 * ```ts ignore
 * await createManifestList({}, { list: "host/app:1", images: ["host/app:amd64"] }); // "host/app:1"
 * ```
 */
export async function createManifestList(
  where: StoreOptions,
  opts: ManifestCreateOptions,
  connect: ManifestRegistryFactory = manifestRegistry,
): Promise<string> {
  const name = listReference(opts.list).toString();
  const refs = opts.images.map((i) => parseReference(i));
  const store = await openStore(where);
  const refuse = () =>
    new FailedPreconditionError(
      "refusing to amend an existing manifest list with no --amend flag",
    );
  if (!opts.amend && await readManifestList(store, name)) throw refuse();
  const entries: ManifestListEntry[] = [];
  for (const ref of refs) entries.push(await entryFor(store, ref, opts.insecure, connect));
  return await updateManifestList(store, name, (rec) => {
    if (rec && !opts.amend) throw refuse();
    const record: ManifestListRecord = rec ?? {
      name,
      entries: [],
      created: new Date().toISOString(),
    };
    addEntries(record, entries);
    return Promise.resolve({ record, result: name });
  });
}

/** The entry for `ref`: from its registry, else (Podman's way) from the local store. */
async function entryFor(
  store: Store,
  ref: ImageReference,
  insecure: boolean | undefined,
  connect: ManifestRegistryFactory,
): Promise<ManifestListEntry> {
  try {
    return await remoteEntry(connect(ref.registry, insecure === true), ref);
  } catch (err) {
    if (!(err instanceof NotFoundError) && !(err instanceof UnavailableError)) throw err;
    try {
      return await localEntry(store, ref);
    } catch {
      throw err;
    }
  }
}

/** Adds entries to a list, an image named again replacing its entry; at most MAX_LIST_ENTRIES. */
function addEntries(record: ManifestListRecord, entries: ManifestListEntry[]): void {
  for (const e of entries) {
    const at = record.entries.findIndex((x) => x.image === e.image);
    if (at >= 0) record.entries[at] = e;
    else record.entries.push(e);
  }
  if (record.entries.length > MAX_LIST_ENTRIES) {
    throw new InvalidArgumentError(
      `manifest list ${record.name} would have ${record.entries.length} entries (at most ${MAX_LIST_ENTRIES})`,
    );
  }
}

/** What Podman's `manifest add` was asked for. */
export interface ManifestAddOptions {
  list: string;
  image: string;
  /** The entry's platform, changed as `annotate` changes it. */
  changes?: PlatformChanges;
  insecure?: boolean;
}

/**
 * Podman's `manifest add`: adds one image to an existing local list (its platform changed as
 * `annotate` would) and returns the digest the list now has.
 *
 * @example
 * ```ts ignore
 * await addToManifestList({}, { list: "host/app:1", image: "host/app:arm", changes: { variant: "v7" } });
 * ```
 */
export async function addToManifestList(
  where: StoreOptions,
  opts: ManifestAddOptions,
  connect: ManifestRegistryFactory = manifestRegistry,
): Promise<string> {
  const name = listReference(opts.list).toString();
  const store = await openStore(where);
  if (!(await readManifestList(store, name))) throw new NotFoundError(`No such manifest: ${name}`);
  const entry = await entryFor(store, parseReference(opts.image), opts.insecure, connect);
  const c = opts.changes ?? {};
  if (c.arch || c.os || c.osVersion || c.variant || c.osFeatures?.length) {
    entry.platform = annotatePlatform(entry.platform, c);
  }
  const record = await updateManifestList(store, name, (rec) => {
    if (!rec) throw new NotFoundError(`No such manifest: ${name}`);
    addEntries(rec, [entry]);
    return Promise.resolve({ record: rec, result: rec });
  });
  return await sha256Digest(new TextEncoder().encode(JSON.stringify(listDocument(record))));
}

/**
 * Podman's `manifest exists`: whether a local list has that name.
 *
 * @example
 * ```ts ignore
 * await manifestListExists({}, "host/app:1"); // true
 * ```
 */
export async function manifestListExists(where: StoreOptions, list: string): Promise<boolean> {
  let name: string;
  try {
    name = listReference(list).toString();
  } catch {
    return false;
  }
  return (await readManifestList(await openStore(where), name)) !== undefined;
}

/**
 * The entry of `list` that `image` names: by its name as added, or by digest.
 *
 * @example
 * ```ts ignore
 * findEntry(record, "host/app:amd64", "host/app:1");
 * ```
 */
export function findEntry(
  record: ManifestListRecord,
  image: string,
  listName: string,
): ManifestListEntry {
  const ref = parseReference(image);
  const found = record.entries.find((e) =>
    e.image === ref.toString() ||
    (ref.digest !== undefined && e.digest === ref.digest &&
      parseReference(e.image).name === ref.name)
  );
  if (!found) {
    throw new NotFoundError(`manifest for image ${image} does not exist in ${listName}`);
  }
  return found;
}

/**
 * Reads a local list, a NotFoundError as Docker words it when there is none.
 *
 * @example
 * ```ts ignore
 * const rec = await getManifestList({}, "host/app:1");
 * ```
 */
export async function getManifestList(
  where: StoreOptions,
  list: string,
): Promise<ManifestListRecord> {
  const name = listReference(list).toString();
  const rec = await readManifestList(await openStore(where), name);
  if (!rec) throw new NotFoundError(`No such manifest: ${name}`);
  return rec;
}

/**
 * `manifest annotate`: changes the platform of the entry `image` names in the local `list`.
 *
 * @example
 * ```ts ignore
 * await annotateManifestList({}, "host/app:1", "host/app:arm", { arch: "arm64", variant: "v8" });
 * ```
 */
export async function annotateManifestList(
  where: StoreOptions,
  list: string,
  image: string,
  changes: PlatformChanges,
): Promise<void> {
  const name = listReference(list).toString();
  const store = await openStore(where);
  await updateManifestList(store, name, (rec) => {
    if (!rec) throw new NotFoundError(`No such manifest: ${name}`);
    const entry = findEntry(rec, image, list);
    entry.platform = annotatePlatform(entry.platform, changes);
    return Promise.resolve({ record: rec, result: undefined });
  });
}

/**
 * `manifest rm`: removes local lists, one report per name.
 *
 * @example
 * ```ts ignore
 * await removeManifestLists({}, ["host/app:1"]);
 * ```
 */
export async function removeManifestLists(
  where: StoreOptions,
  lists: string[],
): Promise<TargetReport<string>[]> {
  const store = await openStore(where);
  return await eachTarget(lists, async (list) => {
    const name = listReference(list).toString();
    await removeManifestList(store, name);
    return name;
  });
}
