/**
 * Stored registry credentials: skiff's auth file (Docker's `config.json`
 * shape), with a read-only fallback to Docker's own config.
 *
 * skiff's file is `$SKIFF_AUTH_FILE`, else `$XDG_RUNTIME_DIR/skiff/auth.json`,
 * else `$XDG_CONFIG_HOME/skiff/auth.json` (`~/.config/skiff/auth.json`):
 *
 * ```json
 * { "auths": { "localhost:5000": { "auth": "base64(user:password)" } } }
 * ```
 *
 * Lookups then fall back to `$DOCKER_CONFIG/config.json` and
 * `~/.docker/config.json` (only inline `auths`; credential helpers are not
 * run). Docker Hub may be keyed `docker.io`, `index.docker.io` or
 * `https://index.docker.io/v1/`.
 *
 * As Docker's CLI does, `--config DIR` (see {@linkcode useConfigDir}), or
 * `$DOCKER_CONFIG` when `$SKIFF_AUTH_FILE` is not set, makes `DIR/config.json`
 * the one file credentials are read from and written to.
 *
 * This module talks to no registry; `auth.ts` adds `login`, which does.
 *
 * @module
 */

import { InvalidArgumentError } from "../errors.ts";
import { configDir as skiffConfigDir } from "../store/paths.ts";

/** A user name and password (or token) for one registry. */
export interface Credentials {
  /** User name. */
  username: string;
  /** Password or access token. */
  password: string;
}

/**
 * `user:password` in UTF-8 and base64: the auth file's `auth` field, and the
 * value of an HTTP basic `Authorization` header after `Basic `.
 *
 * @example
 * ```ts
 * encodeCredentials({ username: "u", password: "p" }); // "dTpw"
 * ```
 */
export function encodeCredentials(creds: Credentials): string {
  const bytes = new TextEncoder().encode(`${creds.username}:${creds.password}`);
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return btoa(s);
}

/** `--config DIR` of this invocation, if given. */
let configDir: string | undefined;

/**
 * Makes `DIR/config.json` (Docker's client config) the only file credentials are read from
 * and written to, for the rest of this process: the global `--config DIR` flag.
 *
 * @example
 * ```ts
 * useConfigDir("/tmp/ci-docker");
 * authFilePath(); // "/tmp/ci-docker/config.json"
 * useConfigDir(undefined);
 * ```
 */
export function useConfigDir(dir: string | undefined): void {
  configDir = dir === undefined ? undefined : dir.replace(/(.)\/+$/, "$1");
}

/** Whether the auth file is a Docker client config (`--config`, `$DOCKER_CONFIG`). */
function isDockerConfig(): boolean {
  return configDir !== undefined ||
    (!Deno.env.get("SKIFF_AUTH_FILE") && !!Deno.env.get("DOCKER_CONFIG"));
}

/**
 * Path of skiff's auth file.
 *
 * @example
 * ```ts
 * authFilePath(); // "/run/user/1000/skiff/auth.json"
 * ```
 */
export function authFilePath(): string {
  if (configDir !== undefined) return `${configDir}/config.json`;
  const explicit = Deno.env.get("SKIFF_AUTH_FILE");
  if (explicit) return explicit;
  const dockerConfig = Deno.env.get("DOCKER_CONFIG");
  if (dockerConfig) return `${dockerConfig}/config.json`;
  const runtime = Deno.env.get("XDG_RUNTIME_DIR");
  if (runtime) return `${runtime}/skiff/auth.json`;
  return `${skiffConfigDir()}/auth.json`;
}

/**
 * The key a registry is stored under: scheme and path stripped,
 * Docker Hub's aliases folded to `docker.io`.
 *
 * @example
 * ```ts
 * normalizeAuthKey("https://index.docker.io/v1/"); // "docker.io"
 * ```
 */
export function normalizeAuthKey(registry: string): string {
  let key = registry.trim().replace(/^[a-z]+:\/\//i, "");
  const slash = key.indexOf("/");
  if (slash !== -1) key = key.slice(0, slash);
  key = key.toLowerCase();
  if (
    key === "index.docker.io" || key === "registry-1.docker.io" || key === "registry.hub.docker.com"
  ) {
    return "docker.io";
  }
  return key;
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  [k: string]: unknown;
}
interface AuthFile {
  auths?: Record<string, AuthEntry>;
  [k: string]: unknown;
}

async function readAuthFile(path: string): Promise<AuthFile | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.PermissionDenied) {
      return undefined;
    }
    throw e;
  }
  if (text.trim() === "") return {};
  try {
    const doc = JSON.parse(text);
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new Error();
    return doc as AuthFile;
  } catch {
    throw new InvalidArgumentError(`invalid auth file ${path}: not a JSON object`);
  }
}

function decodeEntry(entry: AuthEntry): Credentials | undefined {
  if (typeof entry.auth === "string" && entry.auth !== "") {
    let decoded: string;
    try {
      decoded = new TextDecoder().decode(
        Uint8Array.from(atob(entry.auth), (c) => c.charCodeAt(0)),
      );
    } catch {
      return undefined;
    }
    const colon = decoded.indexOf(":");
    if (colon === -1) return undefined;
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (typeof entry.username === "string" && typeof entry.password === "string") {
    return { username: entry.username, password: entry.password };
  }
  return undefined;
}

function findEntry(file: AuthFile | undefined, registry: string): Credentials | undefined {
  if (!file?.auths || typeof file.auths !== "object") return undefined;
  const want = normalizeAuthKey(registry);
  for (const [key, entry] of Object.entries(file.auths)) {
    if (normalizeAuthKey(key) === want && entry && typeof entry === "object") {
      const c = decodeEntry(entry);
      if (c) return c;
    }
  }
  return undefined;
}

/** Files searched by {@linkcode getCredentials}, in order. */
export function credentialFiles(): string[] {
  // a Docker config directory is the one place, as in Docker's CLI
  if (isDockerConfig()) return [authFilePath()];
  const files = [authFilePath()];
  const dockerConfig = Deno.env.get("DOCKER_CONFIG");
  if (dockerConfig) files.push(`${dockerConfig}/config.json`);
  const home = Deno.env.get("HOME");
  if (home) files.push(`${home}/.docker/config.json`);
  return files;
}

/**
 * Stored credentials for `registry`, from skiff's auth file, then
 * `$DOCKER_CONFIG/config.json`, then `~/.docker/config.json`.
 *
 * @example
 * ```ts
 * const creds = await getCredentials("localhost:5000");
 * ```
 */
export async function getCredentials(registry: string): Promise<Credentials | undefined> {
  for (const path of credentialFiles()) {
    const found = findEntry(await readAuthFile(path), registry);
    if (found) return found;
  }
  return undefined;
}

async function writeAuthFile(path: string, doc: AuthFile): Promise<void> {
  const dir = path.slice(0, path.lastIndexOf("/")) || "/";
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${crypto.randomUUID()}`;
  try {
    await Deno.writeTextFile(tmp, JSON.stringify(doc, null, "\t") + "\n", { mode: 0o600 });
    await Deno.chmod(tmp, 0o600);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/**
 * Saves credentials for `registry` in skiff's auth file (mode 0600,
 * written to a temporary name and renamed), without checking them.
 *
 * @example
 * ```ts
 * await saveCredentials("localhost:5000", { username: "u", password: "p" });
 * ```
 */
export async function saveCredentials(registry: string, creds: Credentials): Promise<void> {
  const path = authFilePath();
  const doc = (await readAuthFile(path)) ?? {};
  const auths: Record<string, AuthEntry> = { ...(doc.auths ?? {}) };
  const key = normalizeAuthKey(registry);
  for (const k of Object.keys(auths)) if (normalizeAuthKey(k) === key) delete auths[k];
  // Docker's own CLI looks Docker Hub up under its legacy index address
  const stored = key === "docker.io" && isDockerConfig() ? "https://index.docker.io/v1/" : key;
  auths[stored] = {
    auth: encodeCredentials(creds),
  };
  await writeAuthFile(path, { ...doc, auths });
}

/**
 * Removes `registry`'s credentials from skiff's auth file. Returns false
 * when there were none (Docker then prints `Not logged in to ...`).
 *
 * @example
 * ```ts
 * if (!await logout("localhost:5000")) console.log("Not logged in to localhost:5000");
 * ```
 */
export async function logout(registry: string): Promise<boolean> {
  const path = authFilePath();
  const doc = await readAuthFile(path);
  if (!doc?.auths) return false;
  const key = normalizeAuthKey(registry);
  const auths = { ...doc.auths };
  let removed = false;
  for (const k of Object.keys(auths)) {
    if (normalizeAuthKey(k) === key) {
      delete auths[k];
      removed = true;
    }
  }
  if (removed) await writeAuthFile(path, { ...doc, auths });
  return removed;
}
