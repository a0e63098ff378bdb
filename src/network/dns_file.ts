/**
 * `--dns`, `--dns-search` and `--dns-option` applied to the resolv.conf a container would get
 * otherwise (the host's, with unreachable loopback servers replaced): each given list replaces
 * the matching lines; the result is written as Docker writes it (name servers, then `search`,
 * then `options`). `--dns-search .` means no search domain.
 */

/** The DNS flags of a container (empty or absent: keep what the base file says). */
export interface DnsOverrides {
  dns?: readonly string[];
  search?: readonly string[];
  options?: readonly string[];
}

/** Whether any DNS flag was given. */
export function hasDnsOverrides(o: DnsOverrides): boolean {
  return Boolean(o.dns?.length || o.search?.length || o.options?.length);
}

/**
 * The resolv.conf `base` with the overrides applied; `base` unchanged when there are none.
 *
 * @example
 * ```ts
 * applyDnsOverrides("nameserver 10.0.0.1\nsearch lan\n", { dns: ["9.9.9.9"], options: ["ndots:2"] });
 * // "nameserver 9.9.9.9\nsearch lan\noptions ndots:2\n"
 * ```
 */
export function applyDnsOverrides(base: string, o: DnsOverrides): string {
  if (!hasDnsOverrides(o)) return base;
  const servers: string[] = [];
  let search: string[] = [];
  const options: string[] = [];
  for (const raw of base.split("\n")) {
    const [key, ...rest] = raw.trim().split(/\s+/);
    if (key === "nameserver" && rest[0]) servers.push(rest[0]);
    else if (key === "search" || key === "domain") search = rest; // the last one wins
    else if (key === "options") options.push(...rest);
  }
  const ns = o.dns?.length ? o.dns : servers;
  const sr = o.search?.length ? o.search.filter((s) => s !== ".") : search;
  const op = o.options?.length ? o.options : options;
  const lines = ns.map((s) => `nameserver ${s}`);
  if (sr.length) lines.push(`search ${sr.join(" ")}`);
  if (op.length) lines.push(`options ${op.join(" ")}`);
  return lines.join("\n") + (lines.length ? "\n" : "");
}
