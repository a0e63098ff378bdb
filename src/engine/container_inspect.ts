/**
 * `container inspect` and `inspect`: Docker's JSON object for each named container (with the
 * writable layer's size on request) or, for `inspect`, the image a name finds instead; one report
 * per name.
 *
 * @module
 */
import { InvalidArgumentError, NotFoundError } from "../errors.ts";
import { inspectNetworks } from "./networks.ts";
import { inspectVolumes } from "./volume_inspect.ts";
import { openStore } from "../store/store.ts";
import { getImage } from "../store/images.ts";
import { findContainer } from "../runtime/container_store.ts";
import { currentState } from "../runtime/state.ts";
import { inspectContainer } from "../runtime/views.ts";
import { writableLayerSize } from "../runtime/size.ts";
import { eachTarget, type StoreOptions, type TargetReport } from "./engine_types.ts";
import { inspectImages } from "./image_inspect.ts";
import { isBridgeNetwork } from "./container_network.ts";
import {
  configuredNetworkSettings,
  containerNetworkSettings,
  readEndpoints,
} from "../network/endpoint.ts";
import { containerNetworks } from "../network/attachments.ts";
import { isRunning } from "../runtime/status.ts";
import { realHost } from "../sys/host.ts";
import { activeBindings, containerExposedPorts } from "../network/port_record.ts";
import { portBindingsMap, portMap } from "../network/port_format.ts";

/**
 * Inspects each named container; with `size`, adds `SizeRw` (the writable layer) and
 * `SizeRootFs` (with the image).
 *
 * @example
 * ```ts ignore
 * const [web] = await inspectContainers({}, ["web"], { size: false }); // web.ok && web.value.Id
 * ```
 */
export async function inspectContainers(
  where: StoreOptions,
  names: readonly string[],
  opts: { size?: boolean } = {},
): Promise<TargetReport<Record<string, unknown>>[]> {
  const store = await openStore(where);
  return await eachTarget(names, async (name) => {
    const rec = await findContainer(store, name);
    const state = await currentState(store, rec);
    const obj = await inspectContainer(store, rec, state);
    const conns = containerNetworks(rec.Options);
    const eps = conns.length ? await readEndpoints(store, rec.Id) : [];
    const endpoint = eps.length > 0;
    if (conns.length) {
      // what was not started on yet shows what was asked for, without addresses
      obj.NetworkSettings = containerNetworkSettings(conns, eps, isRunning(state.Status));
    } else if (isBridgeNetwork(rec.Options.network)) {
      obj.NetworkSettings = configuredNetworkSettings(rec.Options); // every network disconnected
      (obj.NetworkSettings as { Networks: unknown }).Networks = {};
    }
    showPorts(
      obj,
      rec,
      endpoint && isRunning(state.Status)
        ? await activeBindings(store, rec.Id, realHost)
        : undefined,
    );
    if (opts.size) {
      const rw = await writableLayerSize(store, rec.Id);
      const image = await getImage(store, rec.Image).catch(() => undefined);
      obj.SizeRw = rw;
      obj.SizeRootFs = rw + (image?.size ?? 0);
    }
    return obj;
  });
}

/**
 * Docker's port fields of a container: `HostConfig.PortBindings` and `PublishAllPorts` (as
 * asked), `Config.ExposedPorts`, and `NetworkSettings.Ports` (what is in force: `active`
 * bindings of a running bridge container, else nothing).
 */
function showPorts(
  obj: Record<string, unknown>,
  rec: Awaited<ReturnType<typeof findContainer>>,
  active: Awaited<ReturnType<typeof activeBindings>> | undefined,
): void {
  const exposed = containerExposedPorts(rec);
  const hostConfig = obj.HostConfig as Record<string, unknown>;
  hostConfig.PortBindings = portBindingsMap(rec.Options.publish ?? []);
  hostConfig.PublishAllPorts = rec.Options.publishAll ?? false;
  if (exposed.length) {
    (obj.Config as Record<string, unknown>).ExposedPorts = Object.fromEntries(
      exposed.map((k) => [k, {}]),
    );
  }
  (obj.NetworkSettings as Record<string, unknown>).Ports = active ? portMap(exposed, active) : {};
}

/** What `inspect --type` takes. */
export type InspectType = "container" | "image" | "network" | "volume";

/**
 * Checks `--type` (empty: every kind, in Docker's order).
 *
 * @example
 * ```ts
 * inspectType("volume"); // "volume"
 * ```
 */
export function inspectType(value: string | undefined): InspectType | undefined {
  if (value === undefined || value === "") return undefined;
  if (["container", "image", "network", "volume"].includes(value)) return value as InspectType;
  throw new InvalidArgumentError(`"${value}" is not a valid value for --type`);
}

/**
 * `inspect`: each name as a container, an image, a network or a volume, the first kind that
 * has it (Docker's order), or only the kind `type` names; `size` adds a container's sizes.
 *
 * @example
 * ```ts ignore
 * const [r] = await inspectObjects({}, ["data"], { type: "volume" });
 * ```
 */
export async function inspectObjects(
  where: StoreOptions,
  names: readonly string[],
  opts: { type?: InspectType; size?: boolean } = {},
): Promise<TargetReport<unknown>[]> {
  const kinds: Record<InspectType, (name: string) => Promise<TargetReport<unknown>>> = {
    container: async (n) => (await inspectContainers(where, [n], { size: opts.size }))[0],
    image: async (n) => (await inspectImages(where, [n]))[0],
    network: async (n) => (await inspectNetworks(where, [n]))[0],
    volume: async (n) => (await inspectVolumes(where, [n]))[0],
  };
  const order: InspectType[] = opts.type
    ? [opts.type]
    : ["container", "image", "network", "volume"];
  return await eachTarget(names, async (name) => {
    for (const kind of order) {
      const r = await kinds[kind](name);
      if (r.ok) return r.value;
      if (!(r.error instanceof NotFoundError)) throw r.error;
      if (opts.type) throw new NotFoundError(`No such ${kind}: ${name}`);
    }
    throw new NotFoundError(`No such object: ${name}`);
  });
}
