/**
 * The listing endpoints: `GET /v2/_catalog` and `GET /v2/<repo>/tags/list`,
 * following `Link: <...>; rel="next"` pagination.
 *
 * @module
 */

import { UnavailableError } from "../errors.ts";
import type { RegistryApi } from "./registry_api.ts";
import { pullScope } from "./registry_auth.ts";
import { responseError } from "./registry_errors.ts";

/**
 * The `rel="next"` target of a `Link` header, if any.
 *
 * @example
 * ```ts
 * parseNextLink('</v2/_catalog?last=b&n=2>; rel="next"'); // "/v2/_catalog?last=b&n=2"
 * ```
 */
export function parseNextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(",")) {
    const m = /<([^>]*)>\s*;(.*)/.exec(part.trim());
    if (m && /rel="?next"?/i.test(m[2])) return m[1];
  }
  return undefined;
}

/** Collects the string items under `key` of every page from `path` on. */
async function paginate(
  api: RegistryApi,
  path: string,
  key: string,
  scope: string,
  what: string,
): Promise<string[]> {
  const out: string[] = [];
  let next: string | undefined = path;
  const base = await api.baseUrl();
  for (let pages = 0; next && pages < 10_000; pages++) {
    const res = await api.request("GET", new URL(next, base).href, { scopes: [scope], what });
    if (!res.ok) throw await responseError(res, what);
    let doc: Record<string, unknown>;
    try {
      doc = await res.json();
    } catch {
      throw new UnavailableError(`${what}: registry sent invalid JSON`);
    }
    const items = doc?.[key];
    if (Array.isArray(items)) out.push(...items.filter((x) => typeof x === "string"));
    next = parseNextLink(res.headers.get("link"));
  }
  return out;
}

/**
 * All repository names (`GET /v2/_catalog`, following pagination).
 *
 * @example
 * ```ts ignore
 * await catalog(api); // ["library/busybox", "me/app"]
 * ```
 */
export function catalog(api: RegistryApi): Promise<string[]> {
  return paginate(api, "/v2/_catalog", "repositories", "registry:catalog:*", api.registry);
}

/**
 * All tags of a repository (`GET /v2/<repo>/tags/list`, following pagination).
 *
 * @example
 * ```ts ignore
 * await tags(api, "library/busybox"); // ["1.36", "latest"]
 * ```
 */
export function tags(api: RegistryApi, repo: string): Promise<string[]> {
  return paginate(api, `/v2/${repo}/tags/list`, "tags", pullScope(repo), `${api.registry}/${repo}`);
}
