/**
 * The id mapping seam: which container ids map to which host ids when the container gets a
 * user namespace (rootless: the caller's subordinate ranges). Running as root, skiff maps
 * nothing and creates no user namespace, as Docker does without userns-remap.
 */
import type { ContainerRecord } from "./container_store.ts";

/** uid and gid maps, one "containerId hostId size" line per range. */
export interface IdMappings {
  uid: string[];
  gid: string[];
}

/** Decides a container's id maps. */
export interface IdMapper {
  /** The maps for a user namespace, or undefined for none (the host's ids). */
  mappings(rec: ContainerRecord): Promise<IdMappings | undefined>;
}

/**
 * No user namespace: the container's ids are the host's.
 *
 * @example
 * ```ts ignore
 * await hostIds.mappings(rec); // undefined
 * ```
 */
export const hostIds: IdMapper = {
  mappings: () => Promise.resolve(undefined),
};
