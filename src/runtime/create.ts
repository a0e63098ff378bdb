/**
 * Creating a container: everything about it is decided here, once (command line, environment,
 * working directory, user, hostname, labels, stop signal and timeout, cgroup limits and
 * parent), after every option was checked and before anything is written. `start` and the spec builder read
 * these decisions from the record; nothing runs yet.
 */
import { InvalidArgumentError } from "../errors.ts";
import { preciseNow, rfc3339Nano } from "../units.ts";
import type { ImageRecord } from "../store/images.ts";
import { readBlob } from "../store/blobs.ts";
import type { Store } from "../store/store.ts";
import { type Host, realHost } from "../sys/host.ts";
import { containerDir, type ContainerRecord, createContainerRecord } from "./container_store.ts";
import type { RunOptions } from "./run_options.ts";
import { parseSignal } from "./signals.ts";
import {
  cgroupLimits,
  commandLine,
  type CreatedContainer,
  type ImageRuntimeConfig,
  mergeEnv,
  userSpec,
} from "./spec.ts";
import {
  type CgroupLimits,
  checkCgroupParent,
  checkCgroupSupport,
  defaultCgroupns,
  normalizeLimits,
} from "./cgroups.ts";
import { resolveCapabilities } from "./capabilities.ts";
import { checkDuplicateTargets } from "./mounts.ts";
import { checkResourceOptions } from "./resource_options.ts";
import { checkNamespaceOptions } from "./namespace_options.ts";

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
 * The container's Config.Env as docker's daemon merges it: the user's values first, then each
 * of the image's whose name the user did not set. A user's repeated name keeps its last value.
 *
 * @example
 * ```ts ignore
 * configEnv(["PATH=/bin", "A=1"], ["A=2", "B=3"]); // ["A=2", "B=3", "PATH=/bin"]
 * ```
 */
function configEnv(image: readonly string[], user: readonly string[]): string[] {
  const key = (e: string) => e.split("=")[0];
  const set = new Set(user.map(key)); // a name without "=" removes the image's value
  return [...mergeEnv([], user), ...image.filter((e) => !set.has(key(e)))];
}

/**
 * Checks the run options that do not depend on the image, so that bad input is refused before
 * an image is pulled or anything is written: capability names, limits, the working directory,
 * mount targets, the stop signal.
 *
 * @example
 * ```ts ignore
 * checkRunOptions({ ...defaultRunOptions(), workdir: "rel" }); // throws InvalidArgumentError
 * ```
 */
export function checkRunOptions(o: RunOptions): void {
  // an unknown name is named with its list, as docker's daemon does ("invalid CapAdd: ...")
  for (const [list, names] of [["CapAdd", o.capAdd], ["CapDrop", o.capDrop]] as const) {
    try {
      resolveCapabilities(list === "CapAdd" ? names : [], list === "CapDrop" ? names : [], false);
    } catch (err) {
      if (err instanceof InvalidArgumentError) err.message = `invalid ${list}: ${err.message}`;
      throw err;
    }
  }
  resolveCapabilities(o.capAdd, o.capDrop, o.privileged);
  normalizeLimits(cgroupLimits(o)); // bad --memory/--memory-swap combinations
  checkResourceOptions(o.resources ?? {}, { nanoCpus: o.cpus, memory: o.memory });
  if (o.cgroupParent !== undefined) checkCgroupParent(o.cgroupParent);
  if (o.workdir !== undefined && !o.workdir.startsWith("/")) {
    throw new InvalidArgumentError(
      `the working directory '${o.workdir}' is invalid, it needs to be an absolute path`,
    );
  }
  checkDuplicateTargets(o.mounts);
  if (o.stopSignal !== undefined) parseSignal(o.stopSignal);
  checkNamespaceOptions(o.namespaces ?? {}, o);
}

/**
 * Decides what a container runs and how, from its image's config and the run options (checked
 * first): Docker's entrypoint/cmd rules, the image's environment with `-e` merged in, the user,
 * working directory, hostname, labels, stop signal and timeout, and the normalized limits.
 *
 * @example
 * ```ts ignore
 * deriveContainer(id, { Cmd: ["sh"] }, { ...defaultRunOptions(), env: ["A=1"] }).Args;
 * ```
 */
export function deriveContainer(
  id: string,
  config: ImageRuntimeConfig,
  options: RunOptions,
): CreatedContainer {
  checkRunOptions(options);
  const argv = commandLine(config, options);
  return {
    Path: argv[0],
    Args: argv.slice(1),
    Env: configEnv(config.Env ?? [], options.env),
    WorkingDir: options.workdir ?? config.WorkingDir ?? "",
    User: userSpec(config, options),
    Hostname: options.hostname ?? id.slice(0, 12),
    Labels: { ...(config.Labels ?? {}), ...options.labels },
    StopSignal: parseSignal(options.stopSignal ?? (config.StopSignal || "SIGTERM")).name,
    StopTimeout: options.stopTimeout ?? 10,
    Limits: normalizeLimits(cgroupLimits(options)),
    CgroupParent: options.cgroupParent ?? "",
  };
}

/**
 * What create decided for a container, for `start`. A record written before the limits were
 * kept in it gets them derived from its options, as create would have.
 *
 * @example
 * ```ts ignore
 * await mgr.create(rec.Id, createdContainer(rec).Limits);
 * ```
 */
export function createdContainer(rec: ContainerRecord): CreatedContainer {
  const limits: CgroupLimits = rec.Limits ?? normalizeLimits(cgroupLimits(rec.Options));
  return {
    Path: rec.Path,
    Args: rec.Args,
    Env: rec.Env,
    WorkingDir: rec.WorkingDir,
    User: rec.User,
    Hostname: rec.Hostname,
    Labels: rec.Labels,
    StopSignal: rec.StopSignal,
    StopTimeout: rec.StopTimeout,
    Limits: limits,
    CgroupParent: rec.CgroupParent ?? "",
  };
}

/**
 * Creates a container from a local image: decides everything (refusing bad input), then writes
 * its directories and record.
 *
 * @example
 * ```ts ignore
 * const rec = await createContainer(store, image, "busybox", options, "web");
 * ```
 */
export async function createContainer(
  store: Store,
  image: ImageRecord,
  imageName: string,
  options: RunOptions,
  name?: string,
  host: Host = realHost,
): Promise<ContainerRecord> {
  const config = await imageRuntimeConfig(store, image);
  const id = newContainerId();
  const decided = deriveContainer(id, config, options);
  await checkCgroupSupport(decided.Limits, host);
  // inspect shows the namespace mode Docker's daemon would have chosen (HostConfig.CgroupnsMode)
  const cgroupns = options.resources?.cgroupns ?? await defaultCgroupns(host);
  const recorded = cgroupns
    ? { ...options, resources: { ...options.resources, cgroupns } }
    : options;
  const dir = containerDir(store, id);
  // the overlay's directories are made with the record (see createContainerRecord)
  const overlayDirs = async (d: string) => {
    await host.mkdir(`${d}/upper`, { recursive: true, mode: 0o755 });
    await host.mkdir(`${d}/work`, { recursive: true, mode: 0o700 });
    await host.mkdir(`${d}/merged`, { recursive: true, mode: 0o700 });
  };
  try {
    return await createContainerRecord(
      store,
      {
        Id: id,
        Image: image.id,
        ImageName: imageName,
        Created: rfc3339Nano(preciseNow()), // with nanoseconds, as docker prints it
        Layers: image.layers.map((l) => l.chainId),
        ...decided,
        Options: recorded,
        ImageConfig: config,
      },
      name,
      host,
      overlayDirs,
    );
  } catch (err) {
    await host.remove(dir, { recursive: true }).catch(() => {});
    throw err;
  }
}
