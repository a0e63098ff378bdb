/**
 * Platforms (`linux/amd64`, `linux/arm/v7`) and the build arguments BuildKit defines from
 * them without any ARG line in the global scope: BUILDPLATFORM, BUILDOS, BUILDOSVERSION,
 * BUILDARCH, BUILDVARIANT, TARGETPLATFORM, TARGETOS, TARGETOSVERSION, TARGETARCH,
 * TARGETVARIANT (and TARGETSTAGE).
 */

/** An OCI platform. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** `os/arch[/variant]`, as Docker prints it. */
export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter((x) => x).join("/");
}

const archAliases: Record<string, string> = {
  x86_64: "amd64",
  "x86-64": "amd64",
  aarch64: "arm64",
  armhf: "arm",
  armel: "arm",
  i386: "386",
  i686: "386",
};

/**
 * Reads `linux/amd64`, `linux/arm64/v8`, `linux/arm/v7` (or a bare architecture, taken as
 * linux), normalized as containerd does: `x86_64` is amd64, `aarch64` arm64, `arm64/v8` arm64.
 */
export function parsePlatform(text: string): Platform {
  const parts = text.toLowerCase().split("/");
  if (parts.length > 3 || parts.some((p) => p === "" || !/^[a-z0-9_.-]+$/.test(p))) {
    throw new Error(`${JSON.stringify(text)}: invalid platform specifier`);
  }
  let os = "linux";
  let arch: string;
  let variant: string | undefined;
  if (parts.length === 1) arch = parts[0];
  else [os, arch, variant] = parts;
  if (parts.length === 1 && ["linux", "windows", "darwin", "freebsd"].includes(arch)) {
    return { os: arch, architecture: "amd64" };
  }
  arch = archAliases[arch] ?? arch;
  if (arch === "arm64" && variant === "v8") variant = undefined;
  if (arch === "arm" && variant === undefined) variant = "v7";
  return variant ? { os, architecture: arch, variant } : { os, architecture: arch };
}

/** The host's platform as Docker names it. */
export function hostPlatform(): Platform {
  return parsePlatform(`${Deno.build.os}/${Deno.build.arch}`);
}

/**
 * The automatic arguments of the global scope, in BuildKit's order: the build and target
 * platforms (OS versions are empty on Linux) and TARGETSTAGE, the stage being built.
 */
export function platformArgs(
  build: Platform,
  target: Platform,
  targetStage = "default",
): Map<string, string> {
  return new Map([
    ["BUILDPLATFORM", formatPlatform(build)],
    ["BUILDOS", build.os],
    ["BUILDOSVERSION", ""],
    ["BUILDARCH", build.architecture],
    ["BUILDVARIANT", build.variant ?? ""],
    ["TARGETPLATFORM", formatPlatform(target)],
    ["TARGETOS", target.os],
    ["TARGETOSVERSION", ""],
    ["TARGETARCH", target.architecture],
    ["TARGETVARIANT", target.variant ?? ""],
    ["TARGETSTAGE", targetStage],
  ]);
}

/**
 * Build arguments Docker accepts without an ARG line (matched in any letter case); they
 * reach RUN only, never the image config, the history or the cache key.
 */
export const proxyArgs = ["http_proxy", "https_proxy", "ftp_proxy", "no_proxy", "all_proxy"];
