import { ensurePrivateDir } from "../sys/private_dir.ts";

/**
 * Where the store lives: `/var/lib/skiff` and `/run/skiff` for root, XDG
 * directories rootless; `--root`/`--runroot` flags and the `SKIFF_ROOT` /
 * `SKIFF_RUNROOT` environment variables override them.
 */

/** The two roots of a store. */
export interface StorePaths {
  /** Persistent data: blobs, layers, images, containers, volumes. */
  root: string;
  /** Runtime state that must not survive a reboot: pids, sockets, exit files. */
  runroot: string;
}

/**
 * Resolves the store roots from flags, then environment, then defaults.
 * Rootless without XDG_RUNTIME_DIR, the run root lives under
 * `/tmp/skiff-run-<uid>`, which is created private or refused when another
 * user got there first (`checkPrivate`, for tests).
 *
 * @example
 * ```ts
 * resolveStorePaths({ root: "/tmp/s" }).root; // "/tmp/s"
 * ```
 */
export function resolveStorePaths(
  flags: { root?: string; runroot?: string },
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
  uid: number | null = Deno.uid(),
  checkPrivate: (dir: string, uid: number) => void = ensurePrivateDir,
): StorePaths {
  const rootless = uid !== 0;
  const home = env("HOME") ?? "/root";
  const dataHome = env("XDG_DATA_HOME") || `${home}/.local/share`;
  const runtimeDir = env("XDG_RUNTIME_DIR") || `/tmp/skiff-run-${uid}`;
  const root = flags.root ?? env("SKIFF_ROOT") ??
    (rootless ? `${dataHome}/skiff` : "/var/lib/skiff");
  let runroot = flags.runroot ?? env("SKIFF_RUNROOT");
  if (runroot === undefined && rootless) {
    if (!env("XDG_RUNTIME_DIR")) checkPrivate(runtimeDir, uid ?? 0);
    runroot = `${runtimeDir}/skiff`;
  }
  runroot ??= "/run/skiff";
  return { root: absolute(root), runroot: absolute(runroot) };
}

/**
 * The user's skiff configuration directory: `$XDG_CONFIG_HOME/skiff`, else
 * `~/.config/skiff` (auth.json lives there when no run directory is set).
 *
 * @example
 * ```ts
 * configDir((n) => ({ HOME: "/home/u" } as Record<string, string>)[n]); // "/home/u/.config/skiff"
 * ```
 */
export function configDir(
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): string {
  const home = env("HOME") ?? "/root";
  return `${env("XDG_CONFIG_HOME") || `${home}/.config`}/skiff`;
}

function absolute(path: string): string {
  if (path.startsWith("/")) return path.replace(/\/+$/, "") || "/";
  return `${Deno.cwd()}/${path}`.replace(/\/+$/, "");
}
