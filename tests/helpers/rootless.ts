/**
 * Runs skiff as an ordinary user, the way a developer meets it rootless: the users made by
 * `scripts/setup.sh` (`skiffuser` and `skiffuser2` with subordinate id ranges of their own,
 * `skiffnoids` with none), each session with a fresh home of its own under /tmp and its own
 * `XDG_RUNTIME_DIR`, and nothing of root's environment.
 *
 * The checkout may sit where the user cannot enter (a CI clone under a 0700 directory): every
 * command runs in a private mount namespace in which the checkout is bind-mounted at
 * {@linkcode SHARED_CHECKOUT} (see `other_user.ts`), and as the user through `setpriv` with the
 * user's own groups. Root's files are not made more readable for it.
 *
 * ```ts ignore
 * import { rootlessSession } from "./rootless.ts";
 * const s = await rootlessSession("skiffuser");
 * try {
 *   const r = await s.skiff(["images"]);
 * } finally {
 *   await s.cleanup();
 * }
 * ```
 *
 * @module
 */
import { CHECKOUT, SHARED_CHECKOUT, SHARED_SKIFF } from "./other_user.ts";
import { removeWithMounts, type SkiffResult } from "./skiff.ts";

/** The user with subordinate ranges (1000000, 65536 of them). */
export const ROOTLESS_USER = "skiffuser";
/** A second user with ranges of its own (1100000, 65536), for isolation tests. */
export const ROOTLESS_USER2 = "skiffuser2";
/** A user with no subordinate ranges at all. */
export const NO_IDS_USER = "skiffnoids";

/** An account from the password database. */
export interface Account {
  name: string;
  uid: number;
  gid: number;
}

/**
 * The account `name`, or undefined when the set-up did not make it.
 *
 * @example
 * ```ts ignore
 * account("skiffuser"); // { name: "skiffuser", uid: 1001, gid: 1001 }
 * ```
 */
export function account(name: string): Account | undefined {
  const line = Deno.readTextFileSync("/etc/passwd").split("\n").find((l) =>
    l.startsWith(`${name}:`)
  );
  if (!line) return undefined;
  const f = line.split(":");
  return { name, uid: Number(f[2]), gid: Number(f[3]) };
}

/** Whether the machine is ready for the rootless tests (users made, newuidmap installed). */
export function rootlessReady(): boolean {
  const have = (p: string) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  };
  return Deno.uid() === 0 && account(ROOTLESS_USER) !== undefined &&
    account(ROOTLESS_USER2) !== undefined && account(NO_IDS_USER) !== undefined &&
    have("/usr/bin/newuidmap") && have("/usr/bin/newgidmap");
}

/** Options of one command run as the user. */
export interface AsUserOptions {
  /** Added to the user's environment (after HOME, XDG_RUNTIME_DIR...). */
  env?: Record<string, string>;
  /** Written to stdin, which is then closed; /dev/null otherwise. */
  stdin?: string;
  /** Kill the command (SIGKILL) after this many milliseconds. */
  timeoutMs?: number;
}

/** A user's session: a fresh home and runtime directory, removed by `cleanup`. */
export interface RootlessSession {
  account: Account;
  /** The session's HOME (mode 0700, the user's). */
  home: string;
  /** Its XDG_RUNTIME_DIR (mode 0700, the user's). */
  runtimeDir: string;
  /** The environment every command gets. */
  env: Record<string, string>;
  /** Runs any command as the user (argv[0] looked up in PATH). */
  run(argv: string[], opts?: AsUserOptions): Promise<SkiffResult>;
  /** Runs `skiff args` as the user (this checkout's bin/skiff). */
  skiff(args: string[], opts?: AsUserOptions): Promise<SkiffResult>;
  /** Removes the user's containers, then the session's directories. */
  cleanup(): Promise<void>;
}

/** `$0` the checkout, `$1` the user, then env assignments, `--`, the command. */
const SCRIPT = `set -e
m=${SHARED_CHECKOUT}
[ -d "$m" ] && [ ! -L "$m" ] || { rm -f "$m"; mkdir "$m"; }
chown 0:0 "$m"; chmod 755 "$m"
mount --bind "$0" "$m"
user=$1; shift
if ! setpriv --reuid="$user" --regid="$user" --init-groups test -x "$m/bin/skiff"; then
  echo "the checkout $0 is not readable by $user: make it (not its parents) mode 755" >&2
  exit 126
fi
# (the caller's directory may be one the user cannot enter: a CI clone under a 0700 directory)
cd "$m"
exec setpriv --reuid="$user" --regid="$user" --init-groups env -i "$@"`;

/**
 * The argv that runs `command` as `user` with exactly the environment `env`.
 *
 * @example
 * ```ts ignore
 * asUserArgv("skiffuser", { HOME: "/tmp/x" }, ["id", "-u"]);
 * ```
 */
export function asUserArgv(user: string, env: Record<string, string>, command: string[]): string[] {
  const assignments = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return [
    "unshare",
    "--mount",
    "--propagation",
    "private",
    "sh",
    "-c",
    SCRIPT,
    CHECKOUT,
    user,
    ...assignments,
    ...command,
  ];
}

async function runArgv(argv: string[], opts: AsUserOptions = {}): Promise<SkiffResult> {
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: opts.stdin !== undefined ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const timer = opts.timeoutMs
    ? setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }, opts.timeoutMs)
    : undefined;
  const out = await child.output();
  if (timer !== undefined) clearTimeout(timer);
  const td = new TextDecoder();
  return { code: out.code, stdout: td.decode(out.stdout), stderr: td.decode(out.stderr) };
}

/** Creates `/tmp/skrXXXXXX` owned by `acc`, mode 0700 (short: socket paths live under it). */
async function userTempDir(acc: Account): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const bytes = crypto.getRandomValues(new Uint8Array(3));
    const name = `/tmp/skr${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
    try {
      await Deno.mkdir(name, { mode: 0o700 });
    } catch (e) {
      if (e instanceof Deno.errors.AlreadyExists) continue;
      throw e;
    }
    await Deno.chown(name, acc.uid, acc.gid);
    return name;
  }
  throw new Error("Could not create a temporary directory under /tmp after 100 attempts");
}

/**
 * A fresh session for `user`: HOME a new private directory, XDG_RUNTIME_DIR `HOME/r`, PATH the
 * usual one, and `extraEnv` (XDG_DATA_HOME, XDG_CONFIG_HOME... when a test wants them).
 *
 * @example
 * ```ts ignore
 * const s = await rootlessSession("skiffuser");
 * ```
 */
export async function rootlessSession(
  user: string,
  extraEnv: Record<string, string> = {},
): Promise<RootlessSession> {
  const acc = account(user);
  if (!acc) throw new Error(`no user ${user}: run scripts/setup.sh`);
  const home = await userTempDir(acc);
  const runtimeDir = `${home}/r`;
  await Deno.mkdir(runtimeDir, { mode: 0o700 });
  await Deno.chown(runtimeDir, acc.uid, acc.gid);
  const env: Record<string, string> = {
    HOME: home,
    USER: user,
    LOGNAME: user,
    PATH: "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
    XDG_RUNTIME_DIR: runtimeDir,
    NO_COLOR: "1",
    ...extraEnv,
  };
  const run = (argv: string[], opts: AsUserOptions = {}) =>
    runArgv(asUserArgv(user, { ...env, ...(opts.env ?? {}) }, argv), opts);
  const skiff = (args: string[], opts: AsUserOptions = {}) => run([SHARED_SKIFF, ...args], opts);
  return {
    account: acc,
    home,
    runtimeDir,
    env,
    run,
    skiff,
    cleanup: async () => {
      const ids = (await skiff(["ps", "-aq", "--no-trunc"])).stdout.trim().split("\n")
        .filter(Boolean);
      if (ids.length > 0) await skiff(["rm", "-f", ...ids]);
      await removeWithMounts(home);
    },
  };
}
