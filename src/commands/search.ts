/**
 * `skiff search`: Docker Hub's search API for `docker.io`, and for another
 * registry (`host/term`) its catalog filtered by the term.
 */
import type { CommandContext } from "../cli/spec.ts";
import { renderList } from "../cli/format.ts";
import { InvalidArgumentError, UnavailableError } from "../errors.ts";

/** One search result, with docker's format field names. */
export interface SearchResult {
  Name: string;
  Description: string;
  StarCount: number;
  IsOfficial: boolean;
  IsAutomated: boolean;
}

/** The parsed arguments of `skiff search`. */
export interface SearchArgs {
  /** `docker.io` or the registry named before the first slash. */
  registry: string;
  term: string;
  limit: number;
}

/**
 * Splits `TERM` into registry and term as docker does: a first component
 * with `.` or `:`, or `localhost`, names a registry.
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
async function searchHub(term: string, limit: number): Promise<SearchResult[]> {
  const url = `https://index.docker.io/v1/search?q=${encodeURIComponent(term)}&n=${limit}`;
  let doc: { results?: Record<string, unknown>[] };
  try {
    const res = await fetch(url, {
      headers: { "user-agent": "skiff" },
      signal: AbortSignal.timeout(15_000),
    });
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`${res.status} ${res.statusText}`.trim());
    }
    doc = await res.json();
  } catch (err) {
    // Deno's fetch says "fetch failed"; the reason (DNS, refused, TLS) is in the cause.
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
    let msg = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
    if (err instanceof DOMException && err.name === "TimeoutError") msg = "timed out";
    msg = msg.replace(/^error sending request for url \([^)]*\): /, "");
    throw new UnavailableError(`cannot search Docker Hub (index.docker.io): ${msg}`);
  }
  return (doc.results ?? []).slice(0, limit).map((r) => ({
    Name: String(r.name ?? ""),
    Description: String(r.description ?? ""),
    StarCount: Number(r.star_count ?? 0),
    IsOfficial: r.is_official === true,
    IsAutomated: r.is_automated === true,
  }));
}

/** Lists a registry's catalog and keeps the repositories whose name contains the term. */
async function searchCatalog(
  registry: string,
  term: string,
  limit: number,
  tlsVerify: boolean,
): Promise<SearchResult[]> {
  const { RegistryClient } = await import("../image/registry.ts");
  const client = new RegistryClient(registry, { tlsVerify });
  const repos = await client.catalog();
  const needle = term.toLowerCase();
  return repos.filter((r) => r.toLowerCase().includes(needle)).slice(0, limit).map((r) => ({
    Name: `${registry}/${r}`,
    Description: "",
    StarCount: 0,
    IsOfficial: false,
    IsAutomated: false,
  }));
}

function ellipsis(s: string, max: number): string {
  const chars = [...s];
  return chars.length > max ? chars.slice(0, max - 1).join("") + "…" : s;
}

/** Runs `skiff search [OPTIONS] TERM`. */
export default async function search(ctx: CommandContext): Promise<number> {
  const limit = typeof ctx.flags.limit === "number" ? ctx.flags.limit : 25;
  const a = parseSearchArgs(ctx.args[0], limit);
  const results = a.registry === "docker.io"
    ? await searchHub(a.term, a.limit)
    : await searchCatalog(a.registry, a.term, a.limit, ctx.flags["tls-verify"] !== false);
  const noTrunc = ctx.flags["no-trunc"] === true;
  const okOrEmpty = (b: boolean) => (b ? "[OK]" : "");
  const out = renderList(results, {
    format: ctx.flags.format as string | undefined,
    columns: [
      { field: "Name", header: "NAME" },
      {
        field: "Description",
        header: "DESCRIPTION",
        value: (r) => {
          const d = r.Description.replace(/[\r\n]+/g, " ");
          return noTrunc ? d : ellipsis(d, 45);
        },
      },
      { field: "StarCount", header: "STARS" },
      { field: "IsOfficial", header: "OFFICIAL", value: (r) => okOrEmpty(r.IsOfficial) },
      { field: "IsAutomated", header: "AUTOMATED", value: (r) => okOrEmpty(r.IsAutomated) },
    ],
    defaultTable: "table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}",
  });
  await Deno.stdout.write(new TextEncoder().encode(out));
  return 0;
}
