/**
 * Registry authentication as Docker does it: `WWW-Authenticate` challenges,
 * bearer tokens from the challenge's realm (cached per scope set until they
 * expire), and HTTP basic auth once a registry asks for it.
 *
 * {@linkcode RegistryAuthorizer} is what the transport consults before each
 * request and after a 401; it fetches tokens through the same transport.
 *
 * @module
 */

import { UnavailableError } from "../errors.ts";
import { type Credentials, encodeCredentials, getCredentials } from "./registry_credentials.ts";
import { responseError } from "./registry_errors.ts";
import {
  networkErrorText,
  type RegistryTransport,
  type RequestAuth,
} from "./registry_transport.ts";

/** One challenge from a `WWW-Authenticate` header. */
export interface AuthChallenge {
  /** Lowercase scheme: `bearer`, `basic`. */
  scheme: string;
  /** Parameters with lowercase names: `realm`, `service`, `scope`, `error`. */
  params: Record<string, string>;
}

/**
 * Parses a `WWW-Authenticate` header into its challenges (RFC 7235):
 * several challenges, quoted strings with commas and escapes.
 *
 * @example
 * ```ts
 * parseWwwAuthenticate('Bearer realm="https://auth.io/token",service="reg"');
 * // [{ scheme: "bearer", params: { realm: "https://auth.io/token", service: "reg" } }]
 * ```
 */
export function parseWwwAuthenticate(header: string): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  let i = 0;
  const n = header.length;
  const skipWs = () => {
    while (i < n && (header[i] === " " || header[i] === "\t")) i++;
  };
  const token = () => {
    const start = i;
    while (i < n && /[!#$%&'*+.^_`|~0-9A-Za-z-]/.test(header[i])) i++;
    return header.slice(start, i);
  };
  let current: AuthChallenge | undefined;
  while (i < n) {
    skipWs();
    if (header[i] === ",") {
      i++;
      continue;
    }
    const start = i;
    const name = token();
    if (!name) {
      i++; // skip a stray character
      continue;
    }
    skipWs();
    if (header[i] === "=" && current) {
      // auth-param
      i++;
      skipWs();
      let value = "";
      if (header[i] === '"') {
        i++;
        while (i < n && header[i] !== '"') {
          if (header[i] === "\\" && i + 1 < n) i++;
          value += header[i++];
        }
        i++; // closing quote
      } else {
        const vs = i;
        while (i < n && header[i] !== "," && header[i] !== " ") i++;
        value = header.slice(vs, i);
      }
      current.params[name.toLowerCase()] = value;
      continue;
    }
    // A new challenge: scheme, then maybe token68 or params.
    i = start + name.length;
    current = { scheme: name.toLowerCase(), params: {} };
    out.push(current);
  }
  return out;
}

/**
 * The `Authorization` value for HTTP basic auth (UTF-8, base64).
 *
 * @example
 * ```ts
 * basicAuthHeader({ username: "u", password: "p" }); // "Basic dTpw"
 * ```
 */
export function basicAuthHeader(creds: Credentials): string {
  return "Basic " + encodeCredentials(creds);
}

/**
 * The token scope for reading a repository.
 *
 * @example
 * ```ts
 * pullScope("library/busybox"); // "repository:library/busybox:pull"
 * ```
 */
export function pullScope(repo: string): string {
  return `repository:${repo}:pull`;
}

/**
 * The token scope for reading and writing a repository.
 *
 * @example
 * ```ts
 * pushScope("me/app"); // "repository:me/app:pull,push"
 * ```
 */
export function pushScope(repo: string): string {
  return `repository:${repo}:pull,push`;
}

/** Credentials, or a function to look them up by registry. */
export type CredentialSource =
  | Credentials
  | ((registry: string) => Credentials | undefined | Promise<Credentials | undefined>);

/** Options for {@linkcode RegistryAuthorizer}. */
export interface AuthorizerOptions {
  /**
   * Credentials, or a function to look them up by registry. Default: the
   * stored ones ({@linkcode getCredentials}). Only sent when challenged.
   */
  credentials?: CredentialSource;
  /** The clock token expiry is measured with, in ms (default `Date.now`). */
  now?: () => number;
}

interface CachedToken {
  token: string;
  expires: number;
}

/** The cache key of a scope set: order does not matter. */
function scopeKey(scopes: string[]): string {
  return [...scopes].sort().join(" ");
}

/**
 * Answers challenges for one registry and remembers what it learnt: a
 * bearer challenge (tokens fetched per scope set and cached) or basic auth
 * (credentials sent up front from then on). Nothing is sent before the
 * registry asks.
 *
 * @example
 * ```ts ignore
 * const transport = new RegistryTransport("localhost:5000");
 * const auth = new RegistryAuthorizer("localhost:5000", transport);
 * await transport.send(url, { method: "GET", auth: auth.forScopes([pullScope("app")]), unreachable });
 * ```
 */
export class RegistryAuthorizer {
  /** The registry as named in references, for messages and credential lookup. */
  readonly registry: string;
  #transport: Pick<RegistryTransport, "send">;
  #opts: AuthorizerOptions;
  #tokens = new Map<string, CachedToken>();
  #bearer?: AuthChallenge;
  #basic?: Credentials;
  #creds?: Promise<Credentials | undefined>;

  /** Creates an authorizer that fetches tokens through `transport`. */
  constructor(
    registry: string,
    transport: Pick<RegistryTransport, "send">,
    opts: AuthorizerOptions = {},
  ) {
    this.registry = registry;
    this.#transport = transport;
    this.#opts = opts;
  }

  #now(): number {
    return this.#opts.now ? this.#opts.now() : Date.now();
  }

  /** The credentials to offer, looked up once. */
  #credentials(): Promise<Credentials | undefined> {
    const c = this.#opts.credentials;
    this.#creds ??= Promise.resolve(
      typeof c === "function" ? c(this.registry) : c ?? getCredentials(this.registry),
    );
    return this.#creds;
  }

  /** The {@linkcode RequestAuth} for one request needing `scopes`. */
  forScopes(scopes: string[]): RequestAuth {
    return {
      header: () => this.authorization(scopes),
      refused: (res, sentAuth) => this.unauthorized(res, scopes, sentAuth),
    };
  }

  /**
   * The `Authorization` value for a request needing `scopes`: basic once
   * the registry asked for it, a bearer token (cached, else fetched) once it
   * sent a bearer challenge, else undefined.
   */
  async authorization(scopes: string[]): Promise<string | undefined> {
    if (this.#basic) {
      return basicAuthHeader(this.#basic);
    }
    if (this.#bearer) {
      const cached = this.#tokens.get(scopeKey(scopes));
      if (cached && cached.expires > this.#now()) return `Bearer ${cached.token}`;
      const token = await this.#fetchToken(this.#bearer, scopes);
      return `Bearer ${token}`;
    }
    return undefined;
  }

  async #fetchToken(challenge: AuthChallenge, scopes: string[]): Promise<string> {
    const realm = challenge.params.realm;
    if (!realm) {
      throw new UnavailableError(`${this.registry}: bearer challenge without a realm`);
    }
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new UnavailableError(`${this.registry}: invalid token realm: ${realm}`);
    }
    if (challenge.params.service) url.searchParams.set("service", challenge.params.service);
    for (const s of scopes) url.searchParams.append("scope", s);
    const headers: Record<string, string> = {};
    const creds = await this.#credentials();
    if (creds) headers.authorization = basicAuthHeader(creds);
    const res = await this.#transport.send(url.href, {
      method: "GET",
      headers,
      retryAfter: false,
      unreachable: (e) =>
        new UnavailableError(
          `cannot reach token service ${url.host} for ${this.registry}: ${networkErrorText(e)}`,
        ),
    });
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw new UnavailableError(
        creds
          ? `unauthorized: incorrect username or password: ${this.registry}`
          : `unauthorized: authentication required: ${this.registry}`,
      );
    }
    if (!res.ok) throw await responseError(res, `token for ${this.registry}`);
    let body: { token?: string; access_token?: string; expires_in?: number };
    try {
      body = await res.json();
    } catch {
      throw new UnavailableError(`${this.registry}: token service sent invalid JSON`);
    }
    const token = body.token ?? body.access_token;
    if (!token) throw new UnavailableError(`${this.registry}: token service sent no token`);
    const ttl = (typeof body.expires_in === "number" ? body.expires_in : 60) * 1000;
    // Refresh a little early.
    this.#tokens.set(scopeKey(scopes), {
      token,
      expires: this.#now() + Math.max(1000, ttl - 5000),
    });
    return token;
  }

  /**
   * Learns from a 401's challenges; true when a retry may now succeed.
   * `sentAuth` is false when the refused request carried no credentials
   * (a concurrent request may have learnt them meanwhile).
   */
  async unauthorized(res: Response, scopes: string[], sentAuth: boolean): Promise<boolean> {
    const challenges = parseWwwAuthenticate(res.headers.get("www-authenticate") ?? "");
    const bearer = challenges.find((c) => c.scheme === "bearer");
    if (bearer) {
      const had = this.#bearer !== undefined;
      this.#bearer = bearer;
      const wanted = bearer.params.scope ? bearer.params.scope.split(" ") : [];
      const all = [...new Set([...scopes, ...wanted])];
      const key = scopeKey(scopes);
      // A token we already had was refused: drop it and get a fresh one once.
      if (had) this.#tokens.delete(key);
      const token = await this.#fetchToken(bearer, all);
      if (all.length !== scopes.length) {
        this.#tokens.set(key, { token, expires: this.#now() + 60_000 });
      }
      return true;
    }
    if (challenges.some((c) => c.scheme === "basic")) {
      if (this.#basic) return !sentAuth;
      const creds = await this.#credentials();
      if (!creds) return false;
      this.#basic = creds;
      return true;
    }
    return false;
  }
}
