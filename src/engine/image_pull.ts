/**
 * `pull`: an image (or with `allTags` every tag of a repository) from a registry. A short
 * name is tried on each registry in turn, the next only when the previous has no such image.
 *
 * @module
 */
import { emitImageEvent } from "./events.ts";
import { InvalidArgumentError, NotFoundError } from "../errors.ts";
import { parsePlatform, type Platform } from "../image/platform.ts";
import type { Progress } from "../image/progress.ts";
import { pullImage, type PullResult, type PullSource } from "../image/pull.ts";
import { candidateReferences, familiarName, type ImageReference } from "../image/reference.ts";
import { RegistryClient } from "../image/registry.ts";
import { openStore, type Store } from "../store/store.ts";
import type { StoreOptions } from "./engine_types.ts";

/** What `pull` was asked for. */
export interface ImagePullOptions {
  /** `NAME[:TAG|@DIGEST]` as the user typed it. */
  name: string;
  /** `os/arch[/variant]` (default: the host's). */
  platform?: string;
  /** Every tag of the repository (no tag or digest may be given). */
  allTags?: boolean;
  /** Verify TLS (default true). */
  tlsVerify?: boolean;
}

/** A registry as pull uses it: manifests, blobs and the tag list. */
export interface PullRegistry extends PullSource {
  tags(repository: string): Promise<string[]>;
}

/** How the engine reaches a registry (tests pass a fake). */
export type PullRegistryFactory = (registry: string, tlsVerify: boolean) => PullRegistry;

/** What a pull stored. */
export type ImagePullReport =
  | {
    allTags: false;
    /** The full reference pulled (`docker.io/library/busybox:latest`). */
    reference: string;
    /** Its familiar form (`busybox:latest`). */
    familiar: string;
    manifestDigest: string;
    /** Whether anything new was stored ("Downloaded newer image" or "Image is up to date"). */
    changed: boolean;
  }
  | {
    allTags: true;
    /** The repository pulled (`docker.io/library/busybox`). */
    repository: string;
  };

const registryClient: PullRegistryFactory = (registry, tlsVerify) =>
  new RegistryClient(registry, { tlsVerify });

function familiarRepoOf(ref: { registry: string; repository: string }): string {
  return ref.registry === "docker.io" ? ref.repository : `${ref.registry}/${ref.repository}`;
}

/** A short name's candidates in turn: the next is tried only when `fn` finds no such image. */
async function firstFound<T>(name: string, fn: (ref: ImageReference) => Promise<T>): Promise<T> {
  let lastError: unknown;
  for (const ref of candidateReferences(name)) {
    try {
      return await fn(ref);
    } catch (err) {
      lastError = err;
      if (!(err instanceof NotFoundError)) break;
    }
  }
  throw lastError;
}

/** How {@linkcode pullFirstFound} pulls. */
export interface PullFirstFoundOptions {
  platform?: Platform;
  /** Verify TLS (default true). */
  tlsVerify?: boolean;
}

/**
 * Pulls `name` into an open store from the first registry that has it (a short name is tried
 * on each search registry in turn) and returns the reference pulled with what was stored.
 * `begin` is called before each attempt for the progress display of that attempt, which is
 * finished (`done`) when the attempt ends. This is what a container's pull-if-missing calls.
 *
 * @example
 * ```ts ignore
 * const { result } = await pullFirstFound(store, "busybox", {}, () => quietProgress());
 * ```
 */
export async function pullFirstFound(
  store: Store,
  name: string,
  opts: PullFirstFoundOptions,
  begin: (ref: ImageReference) => Progress | Promise<Progress>,
  connect: PullRegistryFactory = registryClient,
): Promise<{ ref: ImageReference; result: PullResult }> {
  return await firstFound(name, async (ref) => {
    const progress = await begin(ref);
    try {
      const client = connect(ref.registry, opts.tlsVerify !== false);
      const result = await pullImage(store, client, ref, { platform: opts.platform, progress });
      return { ref, result };
    } finally {
      progress.done();
    }
  });
}

/** What the caller of {@linkcode pullImageByName} is told, and where layer progress goes. */
export interface PullEvents {
  /**
   * A pull of `tag` (or a digest) from `repository` (as docker names it: `library/busybox`,
   * `localhost:5000/app`) begins; returns where its layer progress goes. The engine finishes
   * it (`done`) when the attempt ends.
   */
  pulling(tag: string, repository: string): Progress;
  /** With `allTags`: the pull of one more tag begins; its progress is finished likewise. */
  pullingTag(tag: string): Progress;
  /** With `allTags`: `tag` is stored, under this manifest digest. */
  pulledTag(tag: string, manifestDigest: string): void;
}

/**
 * Pulls an image, or with `allTags` every tag of a repository in order, telling `events` as
 * each pull begins and ends.
 *
 * @example
 * ```ts ignore
 * const report = await pullImageByName({}, { name: "busybox" }, {
 *   pulling: () => quietProgress(),
 *   pullingTag: () => quietProgress(),
 *   pulledTag: () => {},
 * });
 * ```
 */
export async function pullImageByName(
  where: StoreOptions,
  opts: ImagePullOptions,
  events: PullEvents,
  connect: PullRegistryFactory = registryClient,
): Promise<ImagePullReport> {
  const name = opts.name;
  const platform = opts.platform ? parsePlatform(opts.platform) : undefined;
  const tagGiven = /:[^/]*$/.test(name.split("@")[0]) || name.includes("@");
  if (opts.allTags && tagGiven) {
    throw new InvalidArgumentError("tag can't be used with --all-tags/-a");
  }
  const store = await openStore(where);
  const pulling = (ref: ImageReference) =>
    events.pulling(ref.tag ?? ref.digest ?? "latest", familiarRepoOf(ref));
  if (opts.allTags) {
    return await firstFound(name, async (ref) => {
      pulling(ref).done();
      const client = connect(ref.registry, opts.tlsVerify !== false);
      await pullAllTags(store, client, ref, platform, events);
      return { allTags: true, repository: ref.name };
    });
  }
  const { ref, result } = await pullFirstFound(
    store,
    name,
    { platform, tlsVerify: opts.tlsVerify },
    pulling,
    connect,
  );
  await emitImageEvent(store, "pull", familiarName(ref), familiarRepoOf(ref));
  return {
    allTags: false,
    reference: ref.toString(),
    familiar: familiarName(ref),
    manifestDigest: result.manifestDigest,
    changed: result.changed,
  };
}

/** `pull -a`: every tag of the repository, in order, one after the other, as docker does. */
async function pullAllTags(
  store: Store,
  client: PullRegistry,
  ref: ImageReference,
  platform: Platform | undefined,
  events: PullEvents,
): Promise<void> {
  for (const tag of (await client.tags(ref.repository)).sort()) {
    const p = events.pullingTag(tag);
    const result = await pullImage(store, client, ref.withTag(tag), { platform, progress: p });
    p.done();
    await emitImageEvent(store, "pull", familiarName(ref.withTag(tag)), familiarRepoOf(ref));
    events.pulledTag(tag, result.manifestDigest);
  }
}
