/**
 * `login` and `logout`: credentials for a registry, checked against it before they are stored,
 * and removed again.
 *
 * @module
 */
import { InvalidArgumentError, UnavailableError } from "../errors.ts";
import {
  getCredentials,
  login as checkAndSave,
  logout as removeCredentials,
  normalizeAuthKey,
} from "../image/auth.ts";

/** What `login` was given. */
export interface LoginOptions {
  /** The registry as typed (default `docker.io`). */
  server?: string;
  username?: string;
  password?: string;
  /** Verify TLS (default true). */
  tlsVerify?: boolean;
}

/** What `login` asks its caller for when the options and the stored credentials lack it. */
export interface LoginPrompts {
  /** Stored credentials are about to be used ("Authenticating with existing credentials..."). */
  usingStored?(): void;
  username(): Promise<string>;
  password(): Promise<string>;
}

/** Checks credentials against a registry and stores them (tests pass a fake). */
export type LoginCheck = (
  registry: string,
  username: string,
  password: string,
  opts: { client: { tlsVerify: boolean } },
) => Promise<void>;

/**
 * Logs in to `server`: with the given username and password, else the stored ones when neither
 * is given, else what `prompts` returns. The registry checks them before they are stored; a
 * refusal is `login to SERVER failed: unauthorized: incorrect username or password`.
 *
 * @example
 * ```ts ignore
 * await loginRegistry({ server: "localhost:5000", username: "u", password: "p" }, prompts);
 * ```
 */
export async function loginRegistry(
  opts: LoginOptions,
  prompts: LoginPrompts,
  check: LoginCheck = checkAndSave,
): Promise<void> {
  const server = opts.server ?? "docker.io";
  const registry = normalizeAuthKey(server);
  let { username, password } = opts;
  if (!username && password === undefined) {
    const stored = await getCredentials(registry);
    if (stored) {
      prompts.usingStored?.();
      username = stored.username;
      password = stored.password;
    }
  }
  if (!username) {
    username = (await prompts.username()).trim();
    if (!username) throw new InvalidArgumentError("Username is required");
  }
  if (password === undefined) password = await prompts.password();
  if (!password) throw new InvalidArgumentError("Password is required");
  try {
    await check(registry, username, password, { client: { tlsVerify: opts.tlsVerify !== false } });
  } catch (err) {
    if (err instanceof UnavailableError && /unauthorized|denied/.test(err.message)) {
      throw new UnavailableError(
        `login to ${server} failed: unauthorized: incorrect username or password`,
        { cause: err },
      );
    }
    throw err;
  }
}

/**
 * Removes the stored credentials for `server` (default `docker.io`); false when there were
 * none.
 *
 * @example
 * ```ts ignore
 * if (!await logoutRegistry("localhost:5000")) console.log("Not logged in to localhost:5000");
 * ```
 */
export async function logoutRegistry(server = "docker.io"): Promise<boolean> {
  return await removeCredentials(normalizeAuthKey(server));
}
