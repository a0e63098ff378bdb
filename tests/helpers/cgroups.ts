/**
 * Cgroup paths in tests, read through the cgroup manager (`src/runtime/cgroups.ts`) so that the
 * same test runs on a v1 host (one hierarchy per controller) and a v2 host (the unified tree).
 *
 * @module
 */
import { type CgroupLimits, CgroupManager } from "../../src/runtime/cgroups.ts";
import { TEST_CGROUP_PARENT } from "./skiff.ts";

/**
 * The manager of the containers the tests run through {@linkcode skiff} (which gives them
 * the parent `TEST_CGROUP_PARENT`, never skiff's default `skiff`).
 */
export async function skiffCgroups(): Promise<CgroupManager> {
  return await CgroupManager.detect(undefined, { parent: TEST_CGROUP_PARENT });
}

/**
 * The directory of one controller of container `id` under `mgr`: on v1 that controller's
 * hierarchy, on v2 the container's one directory.
 *
 * @example
 * ```ts ignore
 * const pidsDir = controllerDir(await skiffCgroups(), id, "pids");
 * ```
 */
export function controllerDir(mgr: CgroupManager, id: string, controller: string): string {
  if (mgr.mode.version === 2) return `${mgr.mode.mountpoint}/${mgr.parent}/${id}`;
  const root = mgr.mode.controllers[controller];
  if (root === undefined) throw new Error(`the ${controller} cgroup controller is not mounted`);
  return `${root}/${mgr.parent}/${id}`;
}

/** A cgroup made for one test, under a parent of its own (never skiff's `skiff`). */
export interface TestCgroup {
  mgr: CgroupManager;
  id: string;
  /** Its directories (every v1 hierarchy, or the one v2 directory), for a plan's cgroupPaths. */
  paths: string[];
  /** Kills what is left in it, removes it and its parent. */
  remove(): Promise<void>;
}

/**
 * Creates a cgroup with `limits` under a parent of its own (`skiff-test-XXXXXXXX`).
 *
 * @example
 * ```ts ignore
 * const cg = await testCgroup({ memory: 16 << 20 });
 * try { plan.cgroupPaths = cg.paths; } finally { await cg.remove(); }
 * ```
 */
export async function testCgroup(limits: CgroupLimits = {}): Promise<TestCgroup> {
  const parent = `skiff-test-${crypto.randomUUID().slice(0, 8)}`;
  const mgr = await CgroupManager.detect(undefined, { parent });
  const id = "c";
  const paths = await mgr.create(id, limits);
  return {
    mgr,
    id,
    paths,
    remove: async () => {
      await mgr.destroy(id, { kill: true }).catch(() => {});
      for (const p of paths) await Deno.remove(p.slice(0, p.lastIndexOf("/"))).catch(() => {});
    },
  };
}

/**
 * The cgroup directory process `pid` is in for `controller` (any on v2), read from
 * `/proc/PID/cgroup` and placed under the host's mount of that hierarchy.
 *
 * @example
 * ```ts ignore
 * assertEquals(await cgroupOf(mgr, pid, "memory"), controllerDir(mgr, id, "memory"));
 * ```
 */
export async function cgroupOf(
  mgr: CgroupManager,
  pid: number,
  controller: string,
): Promise<string> {
  const lines = (await Deno.readTextFile(`/proc/${pid}/cgroup`)).trim().split("\n");
  for (const line of lines) {
    const [hierarchy, controllers, ...rest] = line.split(":");
    const path = rest.join(":");
    if (mgr.mode.version === 2) {
      if (hierarchy === "0" && controllers === "") return `${mgr.mode.mountpoint}${path}`;
    } else if (controllers.split(",").includes(controller)) {
      return `${mgr.mode.controllers[controller]}${path}`;
    }
  }
  throw new Error(`process ${pid} is in no ${controller} cgroup:\n${lines.join("\n")}`);
}
