/**
 * `skiff commit`: a new image from a container: the image's layers plus one
 * layer made of the container's overlay upper directory, and a config that
 * takes the container's command, environment, user, working directory and
 * labels (as docker does), then the `--change` instructions.
 */
import { FailedPreconditionError, NotFoundError } from "../errors.ts";
import { commitImage } from "../image/commit_image.ts";
import { applyChanges, type ChangeableConfig } from "../image/import_rootfs.ts";
import { diffLayerTar } from "../image/layer_diff.ts";
import { readBlob } from "../store/blobs.ts";
import { getImage, type ImageRecord } from "../store/images.ts";
import type { Store } from "../store/store.ts";
import { containerDir, type ContainerRecord } from "./container_store.ts";
import { containerFreezeControl, withFrozen } from "./freeze.ts";
import { currentState } from "./state.ts";
import { runtimeMountpoints } from "./diff.ts";
import { lowerDirs } from "./lower_dirs.ts";

/** Options of `commitContainer`. */
export interface CommitOptions {
  author?: string;
  message?: string;
  /** Dockerfile instructions (`ENV X=1`, `CMD ["sh"]`...). */
  changes?: string[];
  /** Fully qualified tag (`docker.io/library/mine:latest`), if any. */
  tag?: string;
  /** Freeze a running container while its changes are read (a failed freeze is an error). */
  pause?: boolean;
}

/**
 * The config (`config` object) of the committed image: the image's, with
 * what the container was created with, then the changes applied.
 *
 * @example
 * ```ts ignore
 * commitConfig(rec, imageConfig, ["ENV X=1"]).Env; // [...rec.Env, "X=1"]
 * ```
 */
export function commitConfig(
  rec: ContainerRecord,
  image: Record<string, unknown>,
  changes: string[],
): Record<string, unknown> {
  const o = rec.Options;
  const base: Record<string, unknown> = {
    ...image,
    Env: rec.Env,
    Cmd: o.cmd.length > 0 ? o.cmd : (image.Cmd ?? null),
    Entrypoint: o.entrypoint === undefined
      ? (image.Entrypoint ?? null)
      : (o.entrypoint === "" ? null : [o.entrypoint]),
    WorkingDir: rec.WorkingDir,
    User: rec.User,
    Labels: rec.Labels,
  };
  return { ...base, ...applyChanges(base as ChangeableConfig, changes) };
}

/**
 * Stores the container's changes as a new image and returns its record.
 *
 * @example
 * ```ts ignore
 * const img = await commitContainer(store, rec, { changes: ["ENV X=1"], tag: "docker.io/library/x:latest" });
 * console.log(img.id); // sha256:...
 * ```
 */
export async function commitContainer(
  store: Store,
  rec: ContainerRecord,
  opts: CommitOptions = {},
): Promise<ImageRecord> {
  const image = await getImage(store, rec.Image);
  if (!image) {
    throw new NotFoundError(`image ${rec.Image} of container ${rec.Name} is not in the store`);
  }
  const doc = JSON.parse(new TextDecoder().decode(await readBlob(store, image.id)));
  const state = await currentState(store, rec);
  if (state.Status === "removing" || state.Status === "dead") {
    throw new FailedPreconditionError(`container ${rec.Id} is ${state.Status}`);
  }
  const created = new Date().toISOString();
  const config: Record<string, unknown> = {
    architecture: doc.architecture,
    os: doc.os,
    ...(doc.variant ? { variant: doc.variant } : {}),
    created,
    ...(opts.author ? { author: opts.author } : {}),
    ...(opts.message ? { comment: opts.message } : {}),
    container: rec.Id,
    config: commitConfig(rec, doc.config ?? {}, opts.changes ?? []),
    rootfs: { type: "layers", diff_ids: [] },
    ...(Array.isArray(doc.history) ? { history: doc.history } : {}),
  };
  const upper = `${containerDir(store, rec.Id)}/upper`;
  const excludes = await runtimeMountpoints(upper, await lowerDirs(store, rec));
  const commit = () =>
    commitImage(store, {
      config,
      baseLayers: image.layers,
      layers: [{ tar: diffLayerTar(upper, { excludes }) }],
      history: [{
        created,
        created_by: [rec.Path, ...rec.Args].join(" "),
        ...(opts.author ? { author: opts.author } : {}),
        ...(opts.message ? { comment: opts.message } : {}),
      }],
      tags: opts.tag ? [opts.tag] : [],
      parent: image.id,
    });
  // the upper directory is read entry by entry from its parent's descriptor (diffLayerTar), so
  // even a container left running (--pause=false) cannot lead the read to a host file
  if (opts.pause !== true) return await commit();
  return await withFrozen(containerFreezeControl(store, rec), rec.Name, commit);
}
