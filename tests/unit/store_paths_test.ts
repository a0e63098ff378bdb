/** Store roots: flags, environment and defaults, and which run root must be checked as private. */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { resolveStorePaths } from "../../src/store/paths.ts";

function resolve(
  flags: { root?: string; runroot?: string },
  env: Record<string, string>,
  uid: number,
) {
  const checked: string[] = [];
  const paths = resolveStorePaths(flags, (n) => env[n], uid, (dir, u) => {
    assertEquals(u, uid);
    checked.push(dir);
  });
  return { ...paths, checked };
}

Deno.test("store paths: root defaults, nothing to check", () => {
  assertEquals(resolve({}, {}, 0), {
    root: "/var/lib/skiff",
    runroot: "/run/skiff",
    checked: [],
  });
});

Deno.test("store paths: rootless without XDG_RUNTIME_DIR checks its /tmp directory", () => {
  assertEquals(resolve({}, { HOME: "/home/u" }, 1000), {
    root: "/home/u/.local/share/skiff",
    runroot: "/tmp/skiff-run-1000/skiff",
    checked: ["/tmp/skiff-run-1000"],
  });
  assertEquals(resolve({}, { HOME: "/home/u", XDG_RUNTIME_DIR: "/run/user/1000" }, 1000), {
    root: "/home/u/.local/share/skiff",
    runroot: "/run/user/1000/skiff",
    checked: [],
  });
  assertEquals(resolve({ runroot: "/r" }, { HOME: "/home/u" }, 1000).checked, []);
  assertEquals(resolve({}, { HOME: "/home/u", SKIFF_RUNROOT: "/r" }, 1000).runroot, "/r");
});
