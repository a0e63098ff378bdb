/**
 * Runs the `skiff` CLI (`bin/skiff` in this repository) against a per-test temporary store.
 *
 * ```ts
 * import { skiff, tempStore } from "./skiff.ts";
 * const store = await tempStore();
 * try {
 *   const r = await skiff(["images", "-q"], store);
 *   // r.code, r.stdout, r.stderr
 * } finally {
 *   await store.cleanup();
 * }
 * ```
 *
 * @module
 */

/** The skiff command run by {@linkcode skiff}: `$SKIFF_BIN`, else `bin/skiff` in this checkout. */
export const SKIFF_BIN: string = Deno.env.get("SKIFF_BIN") ??
  new URL("../../bin/skiff", import.meta.url).pathname;

/**
 * The cgroup parent of every container the tests run (`$SKIFF_TEST_CGROUP_PARENT`, else
 * `skiff-test-XXXXXXXX`, new for each test process), so that tests never read or leave cgroups
 * in the parent real containers use. {@linkcode skiff} adds `--cgroup-parent` with it to `run`
 * and `create`; it is removed when the test process ends, if empty.
 */
export const TEST_CGROUP_PARENT: string = Deno.env.get("SKIFF_TEST_CGROUP_PARENT") ??
  `skiff-test-${crypto.randomUUID().slice(0, 8)}`;

let parentCleanup = false;

/**
 * `args` with `--cgroup-parent TEST_CGROUP_PARENT` after a `run` or `create` (also
 * `container run`/`container create`) that names no parent of its own.
 *
 * @example
 * ```ts
 * withTestCgroupParent(["run", "busybox", "true"]);
 * // ["run", "--cgroup-parent", TEST_CGROUP_PARENT, "busybox", "true"]
 * ```
 */
export function withTestCgroupParent(args: string[]): string[] {
  const at = args[0] === "container" ? 1 : 0;
  if (!["run", "create"].includes(args[at])) return args;
  if (args.some((a) => a === "--cgroup-parent" || a.startsWith("--cgroup-parent="))) return args;
  if (!parentCleanup) {
    parentCleanup = true;
    globalThis.addEventListener("unload", removeTestCgroupParent);
  }
  return [...args.slice(0, at + 1), "--cgroup-parent", TEST_CGROUP_PARENT, ...args.slice(at + 1)];
}

/**
 * Removes the tests' cgroup parent from every hierarchy where it is empty (synchronously: it
 * runs when the test process ends). A parent still holding a container's cgroup is left.
 */
export function removeTestCgroupParent(): void {
  const roots = new Set<string>();
  const mountinfo = (() => {
    try {
      return Deno.readTextFileSync("/proc/self/mountinfo");
    } catch {
      return "";
    }
  })();
  for (const line of mountinfo.split("\n")) {
    const [before, after] = line.split(" - ");
    if (after === undefined) continue;
    if (after.startsWith("cgroup2 ") || after.startsWith("cgroup ")) {
      roots.add(unescapeMountPath(before.split(" ")[4]));
    }
  }
  for (const root of roots) {
    try {
      Deno.removeSync(`${root}/${TEST_CGROUP_PARENT}`);
    } catch {
      // not made in this hierarchy, or not empty
    }
  }
}

/** A temporary store: pass it to {@linkcode skiff}; call `cleanup` when done. */
export interface TempStore {
  root: string;
  runroot: string;
  /** Unmounts anything mounted under the store (lazily), then deletes it. */
  cleanup(): Promise<void>;
}

/** Options for {@linkcode skiff}. */
export interface SkiffOptions {
  /** `--root` (omitted when not given). */
  root?: string;
  /** `--runroot` (omitted when not given). */
  runroot?: string;
  /** Written to the command's stdin, which is then closed; stdin is /dev/null otherwise. */
  stdin?: string | Uint8Array;
  /** Extra environment variables (added to the inherited environment). */
  env?: Record<string, string>;
  /** Working directory for the command. */
  cwd?: string;
  /** Kill the command (SIGKILL) after this many milliseconds; the default is no limit. */
  timeoutMs?: number;
}

/** What a skiff invocation produced. */
export interface SkiffResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Creates a temporary store (`root` and `runroot` under one temp directory).
 *
 * @example
 * ```ts
 * const store = await tempStore();
 * await store.cleanup();
 * ```
 */
export async function tempStore(): Promise<TempStore> {
  const base = await shortTempDir();
  const root = `${base}/root`;
  const runroot = `${base}/run`;
  await Deno.mkdir(root);
  await Deno.mkdir(runroot);
  return {
    root,
    runroot,
    cleanup: async () => {
      await tearDownNetworks(root, runroot);
      await removeWithMounts(base);
    },
  };
}

/**
 * Removes what the store's networks made on the host (bridge devices, firewall rules): each
 * test store has a default network of its own, which nothing else removes.
 */
async function tearDownNetworks(root: string, runroot: string): Promise<void> {
  const dir = `${root}/networks`;
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) names.push(e.name);
  } catch {
    return; // no network was ever made
  }
  if (names.length === 0 || Deno.uid() !== 0) return;
  const { openStore } = await import("../../src/store/store.ts");
  const { listNetworks } = await import("../../src/network/network_store.ts");
  const { tearDownNetwork } = await import("../../src/network/bridge.ts");
  const store = await openStore({ root, runroot });
  for (const net of await listNetworks(store).catch(() => [])) {
    await tearDownNetwork(store, net).catch(() => {});
  }
}

/**
 * Creates `/tmp/skXXXXXX` (mode 0700). The name is kept short on purpose: unix socket paths
 * under the runroot (`run/containers/<64 hex>/attach`) must fit in 107 bytes, and
 * `Deno.makeTempDir` adds 16 random characters.
 */
async function shortTempDir(): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const bytes = crypto.getRandomValues(new Uint8Array(3));
    const name = `/tmp/sk${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
    try {
      await Deno.mkdir(name, { mode: 0o700 });
      return name;
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
  }
  throw new Error("Could not create a temporary directory under /tmp after 100 attempts");
}

/** Decodes the octal escapes (`\040` for space, ...) used in /proc/self/mountinfo. */
function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points at or under `dir`, deepest first. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const real = await Deno.realPath(dir).catch(() => dir);
  const text = await Deno.readTextFile("/proc/self/mountinfo");
  const found = new Set<string>();
  for (const line of text.split("\n")) {
    const fields = line.split(" ");
    if (fields.length < 5) continue;
    const mp = unescapeMountPath(fields[4]);
    for (const d of new Set([dir, real])) {
      if (mp === d || mp.startsWith(d.endsWith("/") ? d : d + "/")) found.add(mp);
    }
  }
  return [...found].sort((a, b) => b.length - a.length);
}

/**
 * Unmounts (lazily, `umount -l`) every mount at or under `dir`, then deletes `dir`.
 * Mounts are retried a few times, since unmounting a parent can reveal stacked mounts.
 */
export async function removeWithMounts(dir: string): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const mounts = await mountsUnder(dir);
    if (mounts.length === 0) break;
    for (const mp of mounts) {
      await new Deno.Command("umount", { args: ["-l", mp], stdout: "null", stderr: "null" })
        .output();
    }
  }
  // Immutable/append-only attributes are not expected; plain recursive removal suffices.
  await Deno.remove(dir, { recursive: true }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
}

/**
 * Runs `bin/skiff [--root R] [--runroot RR] ...args` and collects its exit code and output.
 *
 * @example
 * ```ts
 * const store = await tempStore();
 * const { code, stdout } = await skiff(["version"], store);
 * await store.cleanup();
 * ```
 */
export async function skiff(args: string[], opts: SkiffOptions = {}): Promise<SkiffResult> {
  const full: string[] = [];
  if (opts.root) full.push("--root", opts.root);
  if (opts.runroot) full.push("--runroot", opts.runroot);
  full.push(...withTestCgroupParent(args));
  const child = new Deno.Command(SKIFF_BIN, {
    args: full,
    env: opts.env,
    cwd: opts.cwd,
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Feed stdin while the output is being collected, so a large input cannot deadlock.
  let feeding: Promise<void> = Promise.resolve();
  if (opts.stdin !== undefined) {
    const data = typeof opts.stdin === "string" ? new TextEncoder().encode(opts.stdin) : opts.stdin;
    const w = child.stdin.getWriter();
    // A command that does not read its stdin may close it early; that is not our error.
    feeding = w.write(data).then(() => w.close()).catch(() => {});
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (opts.timeoutMs !== undefined) {
    timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* already exited */ }
    }, opts.timeoutMs);
  }
  try {
    const out = await child.output();
    await feeding;
    const td = new TextDecoder();
    return { code: out.code, stdout: td.decode(out.stdout), stderr: td.decode(out.stderr) };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
