/**
 * `search`: Docker Hub's search API for `docker.io`, and for another registry (`host/term`)
 * its catalog filtered by the term.
 *
 * @module
 */
import { InvalidArgumentError, UnavailableError } from "../errors.ts";
import { parseFilters } from "./filters.ts";

/** One search result, with docker's format field names. */
export interface SearchResult {
  Name: string;
  Description: string;
  StarCount: number;
  IsOfficial: boolean;
  IsAutomated: boolean;
}

/** What `search` was asked for. */
export interface ImageSearchOptions {
  /** `TERM` or `REGISTRY/TERM`, as the user typed it. */
  term: string;
  /** At most this many results, 1 to 100 (default 25). */
  limit?: number;
  /** Verify TLS when listing a registry's catalog (default true). */
  tlsVerify?: boolean;
  /** `--filter`: stars=N, is-official=BOOL, is-automated=BOOL (applied after the limit). */
  filters?: readonly string[];
}

/**
 * Docker's search filters as one predicate; a bad key or value is refused before anything is
 * fetched.
 *
 * @example
 * ```ts
 * const keep = searchFilter(["stars=3", "is-official=true"]);
 * keep({ Name: "x", Description: "", StarCount: 5, IsOfficial: true, IsAutomated: false }); // true
 * ```
 */
export function searchFilter(list: readonly string[]): (r: SearchResult) => boolean {
  const f = parseFilters(list, ["stars", "is-official", "is-automated"]);
  const stars = (f.get("stars") ?? []).map((v) => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`invalid filter 'stars=${v}'`);
    return Number(v);
  });
  const bool = (key: string) =>
    (f.get(key) ?? []).map((v) => {
      if (["true", "1"].includes(v)) return true;
      if (["false", "0"].includes(v)) return false;
      throw new InvalidArgumentError(`invalid filter '${key}=${v}'`);
    });
  const official = bool("is-official"), automated = bool("is-automated");
  return (r) =>
    stars.every((n) => r.StarCount >= n) &&
    official.every((b) => r.IsOfficial === b) &&
    automated.every((b) => r.IsAutomated === b);
}

/** Where results come from (tests pass fakes). */
export interface SearchSources {
  /** Docker Hub's search API: the raw `results` entries for a term. */
  hub(term: string, limit: number): Promise<Record<string, unknown>[]>;
  /** A registry's repository names (`GET /v2/_catalog`). */
  catalog(registry: string, tlsVerify: boolean): Promise<string[]>;
}

/** `search`'s split of `TERM`: `docker.io` or the registry named before the first slash. */
export interface SearchArgs {
  registry: string;
  term: string;
  limit: number;
}

/**
 * Splits `TERM` into registry and term as docker does: a first component with `.` or `:`, or
 * `localhost`, names a registry.
 *
 * @example
 * ```ts
 * parseSearchArgs("localhost:5000/busy", 25); // { registry: "localhost:5000", term: "busy", limit: 25 }
 * ```
 */
export function parseSearchArgs(input: string, limit: number): SearchArgs {
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new InvalidArgumentError(`limit ${limit} is outside the range of [1, 100]`);
  }
  const slash = input.indexOf("/");
  const first = slash === -1 ? "" : input.slice(0, slash);
  let registry = "docker.io";
  let term = input;
  if (first && (/[.:]/.test(first) || first === "localhost")) {
    registry = first;
    term = input.slice(slash + 1);
  }
  if (registry === "index.docker.io" || registry === "registry-1.docker.io") registry = "docker.io";
  if (!term) throw new InvalidArgumentError(`invalid search term: "${input}"`);
  return { registry, term, limit };
}

/** Asks Docker Hub's search API (`index.docker.io/v1/search`). */
async function searchHub(term: string, limit: number): Promise<Record<string, unknown>[]> {
  const url = `https://index.docker.io/v1/search?q=${encodeURIComponent(term)}&n=${limit}`;
  try {
    const res = await fetch(url, {
      headers: { "user-agent": "skiff" },
      signal: AbortSignal.timeout(15_000),
    });
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`${res.status} ${res.statusText}`.trim());
    }
    const doc: { results?: Record<string, unknown>[] } = await res.json();
    return doc.results ?? [];
  } catch (err) {
    // Deno's fetch says "fetch failed"; the reason (DNS, refused, TLS) is in the cause.
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
    let msg = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
    if (err instanceof DOMException && err.name === "TimeoutError") msg = "timed out";
    msg = msg.replace(/^error sending request for url \([^)]*\): /, "");
    throw new UnavailableError(`cannot search Docker Hub (index.docker.io): ${msg}`);
  }
}

const networkSources: SearchSources = {
  hub: searchHub,
  async catalog(registry, tlsVerify) {
    const { RegistryClient }: typeof import("../image/registry.ts") = await import(
      new URL("../image/registry.ts", import.meta.url).href
    );
    return await new RegistryClient(registry, { tlsVerify }).catalog();
  },
};

/**
 * Searches Docker Hub, or a registry's catalog for repositories whose name contains the term
 * (named `REGISTRY/REPOSITORY`, no description or stars).
 *
 * @example
 * ```ts ignore
 * const results = await searchImages({ term: "localhost:5000/app", tlsVerify: false });
 * ```
 */
export async function searchImages(
  opts: ImageSearchOptions,
  sources: SearchSources = networkSources,
): Promise<SearchResult[]> {
  const keep = searchFilter(opts.filters ?? []);
  const a = parseSearchArgs(opts.term, opts.limit ?? 25);
  if (a.registry === "docker.io") {
    return (await sources.hub(a.term, a.limit)).slice(0, a.limit).map((r) => ({
      Name: String(r.name ?? ""),
      Description: String(r.description ?? ""),
      StarCount: Number(r.star_count ?? 0),
      IsOfficial: r.is_official === true,
      IsAutomated: r.is_automated === true,
    })).filter(keep);
  }
  const repos = await sources.catalog(a.registry, opts.tlsVerify !== false);
  const needle = a.term.toLowerCase();
  return repos.filter((r) => r.toLowerCase().includes(needle)).slice(0, a.limit).map((r) => ({
    Name: `${a.registry}/${r}`,
    Description: "",
    StarCount: 0,
    IsOfficial: false,
    IsAutomated: false,
  })).filter(keep);
}
