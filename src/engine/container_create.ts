/**
 * Creating a container: the image found locally or pulled as the pull policy says, the run
 * options checked, then the container record written by the runtime. `ensureImage` is also
 * what a build step uses for its base image.
 *
 * @module
 */
import { removeContainers } from "./container_lifecycle.ts";
import { emitContainerEvent } from "./events.ts";
import { AlreadyExistsError, InvalidArgumentError, NotFoundError, wrap } from "../errors.ts";
import { realHost } from "../sys/host.ts";
import { openStore, type Store } from "../store/store.ts";
import type { ImageRecord } from "../store/images.ts";
import { resolveLocalImage } from "../image/resolve.ts";
import type { Progress } from "../image/progress.ts";
import type { PullRegistryFactory } from "./image_pull.ts";
import { type ContainerRecord, findContainer, validateName } from "../runtime/container_store.ts";
import { checkRunOptions, createContainer as createRecord } from "../runtime/create.ts";
import { checkNetworkExists } from "./container_network.ts";
import { checkJoin, joinedName } from "./container_join.ts";
import type { RunOptions } from "../runtime/run_options.ts";
import { checkJoinTargets } from "../runtime/namespace_join.ts";
import { mountsWithVolumesFrom } from "../runtime/volumes_from.ts";
import type { StoreOptions } from "./engine_types.ts";

/** When to pull: `missing` (default), `always`, or `never`. */
export type PullPolicy = "always" | "missing" | "never" | "newer";

/** How an image is found or fetched. */
export interface ImagePullOptions {
  /** The pull policy as given (checked here). */
  pull?: string;
  /** `os/arch[/variant]` to pull. */
  platform?: string;
  /** Verify TLS certificates (default true). */
  tlsVerify?: boolean;
}

/** What the caller learns while an image is pulled. */
export interface PullEvents {
  /** A pull of `name` begins (it is not local); returns where its progress goes. */
  pulling(name: string): Progress | Promise<Progress>;
}

/**
 * Checks a pull policy.
 *
 * @example
 * ```ts ignore
 * parsePullPolicy("always"); // "always"
 * ```
 */
export function parsePullPolicy(policy = "missing"): PullPolicy {
  if (policy !== "always" && policy !== "missing" && policy !== "never" && policy !== "newer") {
    throw new InvalidArgumentError(
      `invalid pull policy "${policy}": expected always, missing, never or newer`,
    );
  }
  return policy;
}

/**
 * Finds the image locally, pulling it as the policy says (missing by default) from the first
 * registry that has it; `connect` replaces the registry client (tests). Also what a build step
 * calls for its base image.
 *
 * @example
 * ```ts ignore
 * const image = await ensureImage(store, "busybox", { pull: "missing" }, { pulling: () => quietProgress() });
 * ```
 */
export async function ensureImage(
  store: Store,
  name: string,
  opts: ImagePullOptions,
  events: PullEvents,
  connect?: PullRegistryFactory,
): Promise<ImageRecord> {
  const policy = parsePullPolicy(opts.pull);
  let local: ImageRecord | undefined;
  if (policy !== "always") {
    try {
      local = (await resolveLocalImage(store, name)).record;
    } catch (err) {
      if (!(err instanceof NotFoundError) || policy === "never") throw err;
    }
    if (local && policy !== "newer") return local;
  }
  // Registry code is loaded only now, so that a run of a local image does not pay for it.
  const { pullFirstFound }: typeof import("./image_pull.ts") = await import(
    new URL("./image_pull.ts", import.meta.url).href
  );
  const { parsePlatform }: typeof import("../image/platform.ts") = await import(
    new URL("../image/platform.ts", import.meta.url).href
  );
  const platform = opts.platform ? parsePlatform(opts.platform) : undefined;
  const pullOpts = { platform, tlsVerify: opts.tlsVerify };
  if (local) {
    // Podman's "newer": the registry's image when its digest differs from the local one's (the
    // pull then fetches only what is missing); the local image when the registry cannot answer
    const { quietProgress }: typeof import("../image/progress.ts") = await import(
      new URL("../image/progress.ts", import.meta.url).href
    );
    try {
      return (await pullFirstFound(store, name, pullOpts, quietProgress, connect)).result.record;
    } catch {
      return local;
    }
  }
  const begin = () => events.pulling(name);
  return (await pullFirstFound(store, name, pullOpts, begin, connect)).result.record;
}

/** Everything `create` needs: plain data, as the CLI and the API socket both give it. */
export interface CreateRequest extends ImagePullOptions {
  /** The image as the user named it. */
  image: string;
  /** The container's name (a random one if unset). */
  name?: string;
  options: RunOptions;
  /** --cidfile: a host file, which must not exist yet, that gets the new container's id. */
  cidFile?: string;
  /** Podman's --replace: a container that has the name already is removed (forced) first. */
  replace?: boolean;
}

/** A container create wrote, and the store it is in. */
export interface CreatedRecord {
  store: Store;
  rec: ContainerRecord;
}

/**
 * Creates a container: the options are checked before any image is pulled or anything is
 * written, then the image is found or pulled, then the record is written.
 *
 * @example
 * ```ts ignore
 * const { store, rec } = await createContainer({}, { image: "busybox", options }, events);
 * ```
 */
export async function createContainer(
  where: StoreOptions,
  req: CreateRequest,
  events: PullEvents,
): Promise<CreatedRecord> {
  parsePullPolicy(req.pull);
  if (req.options.cdiDevices?.length || req.options.gpus) {
    // CDI specs (and YAML) are read only by a container that asks for a CDI device
    const cdi: typeof import("../runtime/cdi_apply.ts") = await import(
      new URL("../runtime/cdi_apply.ts", import.meta.url).href
    );
    await cdi.applyCdiRequests(req.options);
  }
  checkRunOptions(req.options);
  if (req.name) validateName(req.name);
  if (req.replace && !req.name) {
    throw new InvalidArgumentError("cannot replace container without --name being set");
  }
  const store = await openStore(where);
  if (req.replace) await replaceNamed(where, req.name!);
  // claimed before anything is made, filled once the record is written, removed on failure
  if (req.cidFile) await claimCidFile(req.cidFile);
  try {
    const created = await createChecked(store, req, events);
    await emitContainerEvent(store, created.rec, "create");
    if (req.cidFile) await realHost.writeTextFile(req.cidFile, created.rec.Id);
    return created;
  } catch (err) {
    if (req.cidFile) await realHost.remove(req.cidFile).catch(() => {});
    throw err;
  }
}

/** `--replace`: removes (forcibly) the container that has the name, if there is one. */
async function replaceNamed(where: StoreOptions, name: string): Promise<void> {
  const [r] = await removeContainers(where, [name], { force: true, volumes: false });
  if (!r.ok && !(r.error instanceof NotFoundError)) throw r.error;
}

/** Creates the file `--cidfile` names; Docker's refusal when it exists. */
async function claimCidFile(path: string): Promise<void> {
  try {
    await realHost.writeTextFile(path, "", { createNew: true, mode: 0o644 });
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) {
      throw new AlreadyExistsError(
        `Container ID file found, make sure the other container isn't running or delete ${path}`,
      );
    }
    throw wrap(err, `create the container ID file ${path}`);
  }
}

/** The checks and the record of `createContainer`, once the cid file is claimed. */
async function createChecked(
  store: Store,
  req: CreateRequest,
  events: PullEvents,
): Promise<CreatedRecord> {
  await checkNetworkExists(store, req.options.network, req.options);
  await checkJoinTargets(store, req.options.namespaces ?? {});
  const joined = joinedName(req.options.network);
  // a container joining another's network has its hostname, as Docker gives it
  let options = joined === undefined
    ? req.options
    : { ...req.options, hostname: (await checkJoin(store, joined, req.options)).Hostname };
  if (options.volumesFrom?.length) {
    const mounts = await mountsWithVolumesFrom(store, options.volumesFrom, options.mounts);
    options = { ...options, mounts };
  }
  if (options.links?.length) {
    // --link: the target must exist now (it must run when this one starts)
    const links = await Promise.all(options.links.map(async (l) => {
      const target = await findContainer(store, l.container).catch((err) => {
        throw wrap(err, `could not get container for ${l.container}`);
      });
      return { container: target.Id, name: target.Name, alias: l.alias };
    }));
    options = { ...options, links };
  }
  const image = await ensureImage(store, req.image, req, events);
  return { store, rec: await createRecord(store, image, req.image, options, req.name) };
}
