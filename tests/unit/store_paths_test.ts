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

Deno.test("store paths: flags over SKIFF_ROOT over XDG_DATA_HOME; relative paths from the cwd", () => {
  const env = { HOME: "/home/u", XDG_DATA_HOME: "/data", SKIFF_ROOT: "/env-root" };
  assertEquals(resolve({}, { HOME: "/home/u", XDG_DATA_HOME: "/data" }, 1000).root, "/data/skiff");
  assertEquals(resolve({}, env, 1000).root, "/env-root");
  assertEquals(resolve({ root: "/flag-root/" }, env, 1000).root, "/flag-root");
  assertEquals(resolve({ root: "/" }, {}, 0).root, "/");
  const cwd = Deno.cwd();
  assertEquals(resolve({ root: "store/", runroot: "run" }, {}, 0), {
    root: `${cwd}/store`,
    runroot: `${cwd}/run`,
    checked: [],
  });
});
