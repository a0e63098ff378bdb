/**
 * Creating a container: its record, its overlay directories, and the command
 * line resolved from the image and the flags. Nothing runs yet.
 */
import { InvalidArgumentError } from "../errors.ts";
import type { ImageRecord } from "../store/images.ts";
import { readBlob } from "../store/blobs.ts";
import type { Store } from "../store/store.ts";
import { containerDir, type ContainerRecord, createContainerRecord } from "./container_store.ts";
import type { RunOptions } from "./run_options.ts";
import { cgroupLimits, commandLine, type ImageRuntimeConfig, mergeEnv } from "./spec.ts";
import { normalizeLimits } from "./cgroups.ts";
import { parseSignal } from "./run_options.ts";
import { resolveCapabilities } from "./capabilities.ts";

/** A new random container id: 64 hex digits. */
export function newContainerId(): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(32)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

/** Reads the runtime part (`config`) of an image's config document. */
export async function imageRuntimeConfig(
  store: Store,
  image: ImageRecord,
): Promise<ImageRuntimeConfig> {
  const doc = JSON.parse(new TextDecoder().decode(await readBlob(store, image.id)));
  return (doc.config ?? {}) as ImageRuntimeConfig;
}

/**
 * Creates a container from a local image.
 *
 * @example
 * ```ts
 * const rec = await createContainer(store, image, "busybox", options, "web");
 * ```
 */
export async function createContainer(
  store: Store,
  image: ImageRecord,
  imageName: string,
  options: RunOptions,
  name?: string,
): Promise<ContainerRecord> {
  const config = await imageRuntimeConfig(store, image);
  const argv = commandLine(config, options);
  if (argv.length === 0) {
    throw new InvalidArgumentError("No command specified");
  }
  // Refuse bad capability names now, not at start, so nothing is created.
  resolveCapabilities(options.capAdd, options.capDrop, options.privileged);
  normalizeLimits(cgroupLimits(options)); // bad --memory/--memory-swap combinations too
  const id = newContainerId();
  const stopSignal = parseSignal(options.stopSignal ?? (config.StopSignal || "SIGTERM")).name;
  const dir = containerDir(store, id);
  await Deno.mkdir(`${dir}/upper`, { recursive: true, mode: 0o755 });
  await Deno.mkdir(`${dir}/work`, { recursive: true, mode: 0o700 });
  await Deno.mkdir(`${dir}/merged`, { recursive: true, mode: 0o700 });
  try {
    return await createContainerRecord(store, {
      Id: id,
      Image: image.id,
      ImageName: imageName,
      Created: new Date().toISOString(),
      Layers: image.layers.map((l) => l.chainId),
      Path: argv[0],
      Args: argv.slice(1),
      Env: mergeEnv(config.Env ?? [], options.env),
      WorkingDir: options.workdir ?? config.WorkingDir ?? "",
      User: options.user ?? config.User ?? "",
      Hostname: options.hostname ?? id.slice(0, 12),
      Labels: { ...(config.Labels ?? {}), ...options.labels },
      StopSignal: stopSignal,
      StopTimeout: options.stopTimeout ?? 10,
      Options: options,
      ImageConfig: config,
    }, name);
  } catch (err) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw err;
  }
}
