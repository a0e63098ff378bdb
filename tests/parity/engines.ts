/**
 * The two engines the parity suite compares: skiff (`bin/skiff` on a temporary store) and
 * docker 20.10 from Debian's `docker.io` (a dockerd of the suite's own on a private socket,
 * data root, exec root and pid file, so it never meets the system's dockerd or one a bench
 * starts). Both load the same busybox archive, so both see the same image id.
 *
 * ```ts ignore
 * const docker = await startDocker(archive);
 * try {
 *   const r = await docker.run(["ps", "-a"]);
 * } finally {
 *   await docker.stop();
 * }
 * ```
 *
 * @module
 */

import { removeWithMounts, SKIFF_BIN, tempStore, TEST_CGROUP_PARENT } from "../helpers/skiff.ts";

/** docker.io's client, the one that matches its dockerd (`/usr/local/bin/docker` may differ). */
export const DOCKER_CLIENT = "/usr/bin/docker";
/** docker.io's daemon. */
export const DOCKERD = "/usr/sbin/dockerd";

/** What one command printed and how it ended. */
export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** One side of the comparison. */
export interface Engine {
  /** "skiff" or "docker". */
  name: string;
  /** The store's (or data root's) directory, replaced by `<root>` in outputs. */
  root: string;
  /** A scratch directory for host files (`$TMP` in scenarios). */
  tmp: string;
  /** Runs the engine's CLI with `args` (stdin from `stdin`, else /dev/null). */
  run(args: string[], stdin?: string): Promise<Outcome>;
  /** Runs `sh -c script` on the host in `tmp` (`$E` is the engine's command line). */
  host(script: string): Promise<Outcome>;
  /** Removes every container, stops the daemon if any, and deletes all the engine made. */
  stop(): Promise<void>;
}

/** Whether docker.io's client and daemon are installed. */
export function haveDocker(): boolean {
  try {
    return Deno.statSync(DOCKERD).isFile && Deno.statSync(DOCKER_CLIENT).isFile;
  } catch {
    return false;
  }
}

const td = new TextDecoder();

/** Runs `cmd args` with a time limit, stdin from `stdin` (else /dev/null). */
async function exec(
  cmd: string,
  args: string[],
  opts: { stdin?: string; env?: Record<string, string>; cwd?: string } = {},
): Promise<Outcome> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: opts.env,
    cwd: opts.cwd,
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already ended
    }
  }, 30_000);
  if (opts.stdin !== undefined) {
    // fed while the output is collected; a command that does not read may close it early
    const w = child.stdin.getWriter();
    w.write(new TextEncoder().encode(opts.stdin)).then(() => w.close()).catch(() => {});
  }
  const out = await child.output();
  clearTimeout(timer);
  return { code: out.code, stdout: td.decode(out.stdout), stderr: td.decode(out.stderr) };
}

/**
 * `args` with `--cgroup-parent` after `run`/`create`, for both engines alike: skiff's tests
 * keep their containers under the tests' cgroup parent, and docker gets the same one so that
 * `inspect` shows the same `HostConfig.CgroupParent`.
 */
function withParent(args: string[]): string[] {
  const at = args[0] === "container" ? 1 : 0;
  if (!["run", "create"].includes(args[at])) return args;
  return [...args.slice(0, at + 1), "--cgroup-parent", TEST_CGROUP_PARENT, ...args.slice(at + 1)];
}

/** Runs host scripts in `tmp`, with `$TMP` and `$E` (the engine's command, for pipes). */
function hostRunner(
  tmp: string,
  cli: string,
  env: Record<string, string> = {},
): (script: string) => Promise<Outcome> {
  return (script) => exec("sh", ["-c", script], { cwd: tmp, env: { ...env, TMP: tmp, E: cli } });
}

/** skiff on a temporary store with `archive` loaded. */
export async function startSkiff(archive: string): Promise<Engine> {
  const store = await tempStore();
  const tmp = `${store.root}/../host`;
  await Deno.mkdir(tmp);
  const tmpReal = await Deno.realPath(tmp);
  const run = (args: string[], stdin?: string) =>
    exec(SKIFF_BIN, ["--root", store.root, "--runroot", store.runroot, ...withParent(args)], {
      stdin,
      cwd: tmpReal,
    });
  const loaded = await run(["load", "-q", "-i", archive]);
  if (loaded.code !== 0) throw new Error(`skiff load failed: ${loaded.stderr}`);
  return {
    name: "skiff",
    root: store.root,
    tmp: tmpReal,
    run,
    host: hostRunner(tmpReal, `${SKIFF_BIN} --root ${store.root} --runroot ${store.runroot}`),
    stop: async () => {
      const ids = await run(["ps", "-aq"]);
      const list = ids.stdout.split("\n").filter(Boolean);
      if (list.length) await run(["rm", "-f", ...list]);
      await store.cleanup();
    },
  };
}

/**
 * Starts dockerd on a private socket, data root, exec root and pid file under a new
 * directory (`--bridge=none --iptables=false --ip-masq=false`: it makes no device and no
 * firewall rule), waits until it answers, and loads `archive` into it.
 */
export async function startDocker(archive: string): Promise<Engine> {
  const base = await Deno.makeTempDir({ prefix: "pdk" }); // short: the socket path must fit
  const sock = `${base}/d.sock`;
  const env = { DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: `${base}/cfg` };
  await Deno.mkdir(`${base}/host`);
  // through sh, so that its output goes to a file (sh execs dockerd: the pid is dockerd's)
  const daemon = new Deno.Command("sh", {
    args: [
      "-c",
      'exec "$@" >"$0" 2>&1',
      `${base}/dockerd.log`,
      DOCKERD,
      "--data-root",
      `${base}/root`,
      "--exec-root",
      `${base}/x`,
      "--pidfile",
      `${base}/pid`,
      "-H",
      `unix://${sock}`,
      "--bridge=none",
      "--iptables=false",
      "--ip-masq=false",
      "--log-level",
      "error",
    ],
    stdin: "null",
  }).spawn();
  const run = (args: string[], stdin?: string) =>
    exec(DOCKER_CLIENT, withParent(args), { stdin, env, cwd: `${base}/host` });
  const stop = async () => {
    const ids = await run(["ps", "-aq"]).catch(() => undefined);
    const list = ids?.stdout.split("\n").filter(Boolean) ?? [];
    if (list.length) await run(["rm", "-f", ...list]).catch(() => {});
    try {
      daemon.kill("SIGTERM");
    } catch {
      // already ended
    }
    const killer = setTimeout(() => {
      try {
        daemon.kill("SIGKILL");
      } catch {
        // ended
      }
    }, 20_000);
    await daemon.status;
    clearTimeout(killer);
    await removeWithMounts(base);
  };
  try {
    let up = false;
    for (let i = 0; i < 150 && !up; i++) {
      up = (await run(["version"])).code === 0;
      if (!up) await new Promise((r) => setTimeout(r, 100));
    }
    if (!up) {
      throw new Error(`dockerd did not start: ${await Deno.readTextFile(`${base}/dockerd.log`)}`);
    }
    const loaded = await run(["load", "-q", "-i", archive]);
    if (loaded.code !== 0) throw new Error(`docker load failed: ${loaded.stderr}`);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    name: "docker",
    root: `${base}/root`,
    tmp: `${base}/host`,
    run,
    host: hostRunner(`${base}/host`, DOCKER_CLIENT, env),
    stop,
  };
}
