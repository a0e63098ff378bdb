/**
 * Platforms (`linux/amd64`, `linux/arm64/v8`): the host's, parsing and
 * normalizing user input as containerd does, and choosing a manifest from
 * an index.
 *
 * Deliberately free of zod: it works on the structural shape of an index.
 *
 * @module
 */

import { InvalidArgumentError, NotFoundError } from "../errors.ts";

/** An OCI platform: os, architecture and optional variant. */
export interface Platform {
  /** `linux`, `windows`, ... */
  os: string;
  /** GOARCH-style architecture: `amd64`, `arm64`, `arm`, `386`, ... */
  architecture: string;
  /** CPU variant: `v7` for arm, `v8` for arm64. */
  variant?: string;
  /** OS version (Windows images). */
  "os.version"?: string;
}

/** The minimal index shape {@linkcode selectManifest} needs. */
export interface PlatformIndex<D extends { platform?: Platform } = { platform?: Platform }> {
  /** Entries, each with an optional platform. */
  manifests: D[];
}

const ARCH_ALIASES: Record<string, [string, string?]> = {
  "x86_64": ["amd64"],
  "x86-64": ["amd64"],
  "amd64": ["amd64"],
  "aarch64": ["arm64"],
  "arm64": ["arm64"],
  "armhf": ["arm", "v7"],
  "armel": ["arm", "v6"],
  "arm": ["arm"],
  "i386": ["386"],
  "i686": ["386"],
  "386": ["386"],
  "ppc64le": ["ppc64le"],
  "s390x": ["s390x"],
  "riscv64": ["riscv64"],
  "mips64le": ["mips64le"],
  "loong64": ["loong64"],
};

/**
 * Normalizes a platform as containerd does: architecture aliases
 * (`x86_64` → `amd64`, `aarch64` → `arm64`), lowercase, `v8` as arm64's
 * default variant, `v7` as arm's, and variant `8` → `v8`.
 *
 * @example
 * ```ts
 * normalizePlatform({ os: "Linux", architecture: "aarch64" }); // linux/arm64/v8
 * ```
 */
export function normalizePlatform(p: Platform): Platform {
  const os = p.os.toLowerCase();
  const arch = p.architecture.toLowerCase();
  const alias = ARCH_ALIASES[arch];
  const architecture = alias ? alias[0] : arch;
  let variant = p.variant?.toLowerCase() || alias?.[1];
  if (variant && /^\d+$/.test(variant)) variant = `v${variant}`;
  if (architecture === "arm64" && !variant) variant = "v8";
  if (architecture === "arm" && !variant) variant = "v7";
  if (architecture === "amd64" && variant === "v1") variant = undefined;
  const out: Platform = { os, architecture };
  if (variant) out.variant = variant;
  if (p["os.version"]) out["os.version"] = p["os.version"];
  return out;
}

/**
 * The host's platform, from `Deno.build`.
 *
 * @example
 * ```ts
 * hostPlatform(); // { os: "linux", architecture: "amd64" }
 * ```
 */
export function hostPlatform(): Platform {
  return normalizePlatform({ os: Deno.build.os, architecture: Deno.build.arch });
}

/**
 * Parses `os/arch[/variant]` (or just an architecture, taking the host os),
 * normalized. Throws InvalidArgumentError on malformed input.
 *
 * @example
 * ```ts
 * parsePlatform("linux/arm64/v8"); // { os: "linux", architecture: "arm64", variant: "v8" }
 * ```
 */
export function parsePlatform(s: string): Platform {
  const parts = s.trim().split("/");
  if (parts.length > 3 || parts.some((x) => !/^[A-Za-z0-9_.-]+$/.test(x))) {
    throw new InvalidArgumentError(
      `invalid platform: "${s}" (expected os/arch[/variant], e.g. linux/arm64)`,
    );
  }
  if (parts.length === 1) {
    const known = ARCH_ALIASES[parts[0].toLowerCase()];
    if (known) return normalizePlatform({ os: Deno.build.os, architecture: parts[0] });
    return normalizePlatform({ os: parts[0], architecture: hostPlatform().architecture });
  }
  return normalizePlatform({ os: parts[0], architecture: parts[1], variant: parts[2] });
}

/**
 * `os/arch[/variant]`.
 *
 * @example
 * ```ts
 * formatPlatform({ os: "linux", architecture: "arm", variant: "v7" }); // "linux/arm/v7"
 * ```
 */
export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter((x) => x).join("/");
}

/**
 * How well `have` serves `want`: 0 for an exact match, higher for a
 * compatible fallback (arm v6 for a v7 host, amd64 without variant), or
 * `undefined` when it cannot run.
 */
function rank(want: Platform, have: Platform): number | undefined {
  const w = normalizePlatform(want);
  const h = normalizePlatform(have);
  if (w.os !== h.os || w.architecture !== h.architecture) return undefined;
  if (w.variant === h.variant) return 0;
  if (w.architecture === "arm" && w.variant && h.variant) {
    const wv = Number(w.variant.slice(1));
    const hv = Number(h.variant.slice(1));
    if (hv < wv) return wv - hv;
    return undefined;
  }
  if (w.architecture === "amd64") {
    // v2/v3/v4 microarchitecture levels: a lower level runs on a higher host.
    const wv = Number(w.variant?.slice(1) ?? 1);
    const hv = Number(h.variant?.slice(1) ?? 1);
    return hv <= wv ? wv - hv : undefined;
  }
  return undefined;
}

/**
 * True when an image built for `have` runs on `want`.
 *
 * @example
 * ```ts
 * platformMatches(parsePlatform("linux/arm/v7"), parsePlatform("linux/arm/v6")); // true
 * ```
 */
export function platformMatches(want: Platform, have: Platform): boolean {
  return rank(want, have) !== undefined;
}

/**
 * Chooses the index entry for `platform` (exact match first, then the best
 * compatible one). Throws NotFoundError listing the platforms available
 * when nothing matches. Entries without a platform or with `unknown/unknown`
 * (attestations) are ignored.
 *
 * @example
 * ```ts ignore
 * const desc = selectManifest(index, hostPlatform());
 * const m = await client.getManifest(repo, desc.digest);
 * ```
 */
export function selectManifest<D extends { platform?: Platform }>(
  index: PlatformIndex<D>,
  platform: Platform,
): D {
  let best: D | undefined;
  let bestRank = Infinity;
  const available: string[] = [];
  for (const entry of index.manifests) {
    const p = entry.platform;
    if (!p || p.os === "unknown" || p.architecture === "unknown") continue;
    available.push(formatPlatform(p));
    const r = rank(platform, p);
    if (r !== undefined && r < bestRank) {
      best = entry;
      bestRank = r;
    }
  }
  if (best) return best;
  const list = available.length ? available.join(", ") : "none";
  throw new NotFoundError(
    `no matching manifest for ${
      formatPlatform(normalizePlatform(platform))
    } in the manifest list entries (available: ${list})`,
  );
}
