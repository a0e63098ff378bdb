/**
 * Podman's `rm --depend`: the containers that depend on another (they join its network, pid
 * or ipc namespace with `container:NAME`) are removed before it, recursively.
 *
 * @module
 */
import { type ContainerRecord, listContainers } from "../runtime/container_store.ts";
import { resolveStorePaths } from "../store/paths.ts";
import { storeLayout } from "../store/store.ts";
import type { StoreOptions } from "./engine_types.ts";

/** The `container:X` references of a container's options (network, pid, ipc). */
function references(rec: ContainerRecord): string[] {
  const o = rec.Options as unknown as Record<string, unknown>;
  return ["network", "pid", "ipc"].flatMap((k) => {
    const v = o[k];
    return typeof v === "string" && v.startsWith("container:") ? [v.slice(10)] : [];
  });
}

/** Whether `ref` (a name, a full id or an id prefix) names `rec`. */
function names(rec: ContainerRecord, ref: string): boolean {
  const r = ref.startsWith("/") ? ref.slice(1) : ref;
  return rec.Name === r || (/^[0-9a-f]+$/.test(r) && rec.Id.startsWith(r));
}

/**
 * The targets in removal order: each target preceded by the full ids of the containers that
 * depend on it (their own dependents first), each container once.
 *
 * @example
 * ```ts ignore
 * await withDependents({}, ["db"]); // ["<id of the container on db's network>", "db"]
 * ```
 */
export async function withDependents(
  where: StoreOptions,
  targets: readonly string[],
): Promise<string[]> {
  const all = await listContainers(storeLayout(resolveStorePaths(where))).catch(() => []);
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (ref: string, given: string | undefined) => {
    const rec = all.find((r) => names(r, ref));
    if (rec) {
      if (seen.has(rec.Id)) return;
      seen.add(rec.Id);
      for (const dep of all) {
        if (dep.Id !== rec.Id && references(dep).some((x) => names(rec, x))) {
          visit(dep.Id, undefined);
        }
      }
    }
    out.push(given ?? ref);
  };
  for (const t of targets) visit(t, t);
  return out;
}
