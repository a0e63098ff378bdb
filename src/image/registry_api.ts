/**
 * One registry's API as the endpoint modules see it: a path or URL plus
 * the token scopes it needs, sent through the transport with the
 * authorizer's credentials.
 *
 * @module
 */

import { UnavailableError } from "../errors.ts";
import type { RegistryAuthorizer } from "./registry_auth.ts";
import { type BlobData, networkErrorText, type RegistryTransport } from "./registry_transport.ts";

/** One API request. */
export interface ApiRequest {
  /** Headers besides `Authorization` and `User-Agent`. */
  headers?: Record<string, string>;
  /** Body; a stream is sent once and never retried. */
  body?: BlobData | null;
  /** Token scopes the request needs (`repository:<repo>:pull`). */
  scopes: string[];
  /** What the request is about, for error messages: `host/repo:tag`. */
  what: string;
}

/**
 * Requests to one registry, authenticated and retried.
 *
 * @example
 * ```ts ignore
 * const api = new RegistryApi("localhost:5000", transport, authorizer);
 * const res = await api.request("GET", "/v2/", { scopes: [], what: "localhost:5000" });
 * ```
 */
export class RegistryApi {
  /** The registry as named in references (`docker.io`, `localhost:5000`). */
  readonly registry: string;
  /** The transport, for reading bodies with its timeout. */
  readonly transport: RegistryTransport;
  #authorizer: RegistryAuthorizer;

  /** Joins a transport and an authorizer for `registry`. */
  constructor(registry: string, transport: RegistryTransport, authorizer: RegistryAuthorizer) {
    this.registry = registry;
    this.transport = transport;
    this.#authorizer = authorizer;
  }

  /** The base URL (`https://host` or `http://host`), chosen once. */
  baseUrl(): Promise<string> {
    return this.transport.baseUrl();
  }

  /**
   * Sends one API request (a path, or a URL such as an upload `Location`,
   * resolved against the base URL) with auth, retries and timeout. Returns
   * the response whatever its status; throws UnavailableError when the
   * registry cannot be reached.
   */
  async request(method: string, pathOrUrl: string, init: ApiRequest): Promise<Response> {
    const url = new URL(pathOrUrl, await this.baseUrl()).href;
    return await this.transport.send(url, {
      method,
      headers: init.headers,
      body: init.body,
      auth: this.#authorizer.forScopes(init.scopes),
      unreachable: (e) =>
        new UnavailableError(
          `cannot reach registry ${this.registry} (${init.what}): ${networkErrorText(e)}`,
          { cause: e },
        ),
    });
  }
}
