/** `push`: a local image to a registry. */
import { emitImageEvent } from "./events.ts";
import { InvalidArgumentError, NotFoundError, UnavailableError } from "../errors.ts";
import { readTags } from "../store/images.ts";
import type { Progress } from "../image/progress.ts";
import { pushImage, type PushTarget } from "../image/push.ts";
import { familiarName, parseReference } from "../image/reference.ts";
import { RegistryClient } from "../image/registry.ts";
import { resolveLocalImage } from "../image/resolve.ts";
import { openStore } from "../store/store.ts";
import type { StoreOptions } from "./engine_types.ts";

/** What `push` was asked for. */
export interface ImagePushOptions {
  /** `NAME[:TAG]`: the local image, and where it goes. */
  name: string;
  /** Verify TLS (default true). */
  tlsVerify?: boolean;
}

/** How the engine reaches a registry to push (tests pass a fake). */
export type PushRegistryFactory = (registry: string, tlsVerify: boolean) => PushTarget;

const registryClient: PushRegistryFactory = (registry, tlsVerify) =>
  new RegistryClient(registry, { tlsVerify });

/** What a push uploaded. */
export interface ImagePushReport {
  /** The full reference pushed (`localhost:5000/app:1`). */
  reference: string;
  /** The tag pushed (`latest` when none was given). */
  tag: string;
  /** Digest and size in bytes of the manifest pushed. */
  digest: string;
  size: number;
}

/**
 * Pushes the local image `name` names to its registry. `pushing` is told the repository once
 * the image is found and returns where layer progress goes: it is finished when the push
 * succeeds, and the caller finishes it when the push fails. A registry's refusal says how to
 * log in.
 *
 * @example
 * ```ts ignore
 * const { digest } = await pushImageByName({}, { name: "localhost:5000/app:1" }, () => quietProgress());
 * ```
 */
export async function pushImageByName(
  where: StoreOptions,
  opts: ImagePushOptions,
  pushing: (repository: string) => Progress,
  connect: PushRegistryFactory = registryClient,
): Promise<ImagePushReport> {
  const ref = parseReference(opts.name);
  const store = await openStore(where);
  let record;
  try {
    ({ record } = await resolveLocalImage(store, ref.toString()));
  } catch (err) {
    if (err instanceof NotFoundError) {
      throw new NotFoundError(`An image does not exist locally with the tag: ${opts.name}`);
    }
    throw err;
  }
  const client = connect(ref.registry, opts.tlsVerify !== false);
  const progress = pushing(ref.name);
  try {
    const result = await pushImage(store, client, record, ref, { progress });
    await emitImageEvent(
      store,
      "push",
      familiarName(ref),
      familiarName(ref).replace(/:[^/:]*$/, ""),
    );
    return {
      reference: ref.toString(),
      tag: ref.tag ?? "latest",
      digest: result.digest,
      size: result.size,
    };
  } catch (err) {
    const m = err instanceof UnavailableError
      ? /(unauthorized|denied): ([^:]+)/.exec(err.message)
      : null;
    if (m) {
      throw new UnavailableError(
        `${m[1]}: ${m[2]}: push to ${ref.name} (log in with: skiff login ${ref.registry})`,
        { cause: err },
      );
    }
    throw err;
  }
}

/**
 * `push --all-tags`: the full names of every local tag of the repository `name` names (which
 * must have no tag), sorted; none is a NotFoundError as Docker words it.
 *
 * @example
 * ```ts ignore
 * await repositoryTags({}, "localhost:5000/app"); // ["localhost:5000/app:1", "localhost:5000/app:2"]
 * ```
 */
export async function repositoryTags(where: StoreOptions, name: string): Promise<string[]> {
  if (/:[^/]*$/.test(name) || name.includes("@")) {
    throw new InvalidArgumentError("tag can't be used with --all-tags/-a");
  }
  const repo = parseReference(name).name;
  const store = await openStore(where);
  const tags = Object.keys(await readTags(store))
    .filter((t) => !t.includes("@") && parseReference(t).name === repo)
    .sort();
  if (tags.length === 0) {
    throw new NotFoundError(`An image does not exist locally with the tag: ${name}`);
  }
  return tags;
}
