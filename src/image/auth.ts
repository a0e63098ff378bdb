/**
 * Registry credentials and `login`: the stored credentials
 * (`registry_credentials.ts`), `WWW-Authenticate` parsing
 * (`registry_auth.ts`), and a login that checks them against the registry.
 *
 * The credential and challenge functions are re-exported here for the
 * commands that import them from this module; this module imports the
 * registry client, which never imports it back.
 *
 * @module
 */

import { InvalidArgumentError } from "../errors.ts";
import type { RegistryClientOptions } from "./registry.ts";
import { saveCredentials } from "./registry_credentials.ts";

export {
  authFilePath,
  credentialFiles,
  type Credentials,
  getCredentials,
  logout,
  normalizeAuthKey,
  saveCredentials,
} from "./registry_credentials.ts";
export { type AuthChallenge, basicAuthHeader, parseWwwAuthenticate } from "./registry_auth.ts";

/** Options for {@linkcode login}. */
export interface LoginOptions {
  /** Passed to the registry client (e.g. `tlsVerify: false`, retries, timeouts). */
  client?: RegistryClientOptions;
}

/**
 * Checks `user`/`password` against `registry` (`GET /v2/` through the
 * registry's auth flow) and saves them. Throws the registry's error
 * (`unauthorized: ...`) when they are refused.
 *
 * @example
 * ```ts ignore
 * await login("localhost:5000", "alice", "secret");
 * ```
 */
export async function login(
  registry: string,
  user: string,
  password: string,
  opts: LoginOptions = {},
): Promise<void> {
  if (!user) throw new InvalidArgumentError("username is required");
  if (!password) throw new InvalidArgumentError("password is required");
  const { RegistryClient }: typeof import("./registry.ts") = await import(
    new URL("./registry.ts", import.meta.url).href
  );
  const creds = { username: user, password };
  const client = new RegistryClient(registry, { ...opts.client, credentials: () => creds });
  await client.ping();
  await saveCredentials(registry, creds);
}
