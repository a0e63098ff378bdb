/**
 * `container inspect` and `inspect`: Docker's JSON object for each named container (with the
 * writable layer's size on request) or, for `inspect`, the image a name finds instead; one report
 * per name.
 *
 * @module
 */
import { NotFoundError } from "../errors.ts";
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

/**
 * `inspect` without a type: for each name, the container it names, else the image, else
 * Docker's "No such object" error.
 *
 * @example
 * ```ts ignore
 * const [r] = await inspectObjects({}, ["busybox"]); // the image, unless a container is named so
 * ```
 */
export async function inspectObjects(
  where: StoreOptions,
  names: readonly string[],
): Promise<TargetReport<unknown>[]> {
  return await eachTarget(names, async (name) => {
    const [container] = await inspectContainers(where, [name]);
    if (container.ok) return container.value;
    if (!(container.error instanceof NotFoundError)) throw container.error;
    const [image] = await inspectImages(where, [name]);
    if (image.ok) return image.value;
    if (image.error instanceof NotFoundError) throw new NotFoundError(`No such object: ${name}`);
    throw image.error;
  });
}
