/**
 * Manifest lists as `docker manifest` builds them: an entry from an image in a registry (or,
 * as Podman allows, from the local store), Docker's allowed os/arch pairs, the list document
 * (an OCI image index, or a Docker manifest list when every entry is a Docker manifest), and
 * a remote manifest fetched with its digest checked.
 *
 * zod is loaded with this module (through manifest.ts): commands import it lazily.
 *
 * @module
 */
import { DigestMismatchError, InvalidArgumentError, NotFoundError } from "../errors.ts";
import { hasBlob, readBlob } from "../store/blobs.ts";
import type { Store } from "../store/store.ts";
import { sha256Digest } from "./digest.ts";
import {
  MEDIA_TYPE_DOCKER_MANIFEST,
  MEDIA_TYPE_DOCKER_MANIFEST_LIST,
  MEDIA_TYPE_OCI_INDEX,
  type ParsedManifest,
  parseImageConfig,
  parseManifest,
} from "./manifest.ts";
import type { ListPlatform, ManifestListEntry, ManifestListRecord } from "./manifest_list_store.ts";
import { toBase64 } from "./manifest_list_store.ts";
import type { ImageReference } from "./reference.ts";
import type { FetchedManifest } from "./registry_manifests.ts";
import { resolveLocalImage } from "./resolve.ts";

/** What building a list needs from a registry (RegistryClient provides it). */
export interface ManifestSource {
  getManifest(repo: string, ref: string): Promise<FetchedManifest>;
  getBlobBytes(repo: string, digest: string, maxBytes?: number): Promise<Uint8Array>;
}

/** Largest image config read for an entry's platform. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** Most entries a list may have (a registry's index is at most 4 MiB anyway). */
export const MAX_LIST_ENTRIES = 1000;

/**
 * Fetches `ref`'s manifest from its registry and checks its digest twice over: against the
 * digest asked for, and against the `Docker-Content-Digest` the registry sent.
 *
 * @example
 * ```ts ignore
 * const { fetched, parsed } = await fetchRemoteManifest(client, parseReference("host/app:1"));
 * ```
 */
export async function fetchRemoteManifest(
  source: ManifestSource,
  ref: ImageReference,
): Promise<{ fetched: FetchedManifest; parsed: ParsedManifest }> {
  let fetched: FetchedManifest;
  try {
    fetched = await source.getManifest(ref.repository, ref.tagOrDigest);
  } catch (err) {
    // docker's words for an image the registry does not have
    if (err instanceof NotFoundError) {
      throw new NotFoundError(`no such manifest: ${ref}`, { cause: err });
    }
    throw err;
  }
  const header = fetched.headerDigest;
  if (header && header.startsWith("sha256:") && header !== fetched.digest) {
    throw new DigestMismatchError(
      `digest mismatch for ${ref}: the registry says ${header}, the manifest hashes to ${fetched.digest}`,
    );
  }
  const parsed = parseManifest(fetched.bytes, fetched.mediaType);
  if (parsed.kind === "index" && parsed.index.manifests.length > MAX_LIST_ENTRIES) {
    throw new InvalidArgumentError(
      `manifest list ${ref} has ${parsed.index.manifests.length} entries (at most ${MAX_LIST_ENTRIES})`,
    );
  }
  return { fetched, parsed };
}

function platformOf(config: Uint8Array): ListPlatform {
  const c = parseImageConfig(config);
  const p: ListPlatform = { architecture: c.architecture, os: c.os };
  if (c["os.version"]) p["os.version"] = c["os.version"];
  if (c["os.features"]?.length) p["os.features"] = [...c["os.features"]];
  if (c.variant) p.variant = c.variant;
  return p;
}

/**
 * A list entry for the image `ref` in its registry: its manifest (which must be one image,
 * not a list) and the platform its config names.
 *
 * @example
 * ```ts ignore
 * const entry = await remoteEntry(client, parseReference("host/app:amd64"));
 * ```
 */
export async function remoteEntry(
  source: ManifestSource,
  ref: ImageReference,
): Promise<ManifestListEntry> {
  const { fetched, parsed } = await fetchRemoteManifest(source, ref);
  if (parsed.kind === "index") throw new InvalidArgumentError(`${ref} is a manifest list`);
  const config = parsed.manifest.config;
  const bytes = await source.getBlobBytes(ref.repository, config.digest, MAX_CONFIG_BYTES);
  return {
    image: ref.toString(),
    digest: fetched.digest,
    mediaType: parsed.mediaType,
    size: fetched.bytes.length,
    platform: platformOf(bytes),
    raw: toBase64(fetched.bytes),
  };
}

/**
 * A list entry for a local image (Podman's `manifest create` takes those too): its stored
 * manifest, and the platform its record has; it is pushed along with the list.
 *
 * @example
 * ```ts ignore
 * const entry = await localEntry(store, parseReference("localhost:5000/app:1"));
 * ```
 */
export async function localEntry(store: Store, ref: ImageReference): Promise<ManifestListEntry> {
  const { record } = await resolveLocalImage(store, ref.toString());
  if (!record.manifestDigest || !(await hasBlob(store, record.manifestDigest))) {
    throw new NotFoundError(`image ${ref} has no stored manifest`);
  }
  const bytes = await readBlob(store, record.manifestDigest);
  const parsed = parseManifest(bytes, record.manifestMediaType);
  if (parsed.kind !== "manifest") throw new InvalidArgumentError(`${ref} is a manifest list`);
  const platform: ListPlatform = { architecture: record.architecture, os: record.os };
  if (record.variant) platform.variant = record.variant;
  return {
    image: ref.toString(),
    digest: await sha256Digest(bytes),
    mediaType: parsed.mediaType,
    size: bytes.length,
    platform,
    raw: toBase64(bytes),
    localId: record.id,
  };
}

/** os/architecture pairs Docker's `manifest annotate` accepts. */
const VALID_OS_ARCH: Readonly<Record<string, readonly string[]>> = {
  aix: ["ppc64"],
  android: ["386", "amd64", "arm", "arm64"],
  darwin: ["386", "amd64", "arm", "arm64"],
  dragonfly: ["amd64"],
  freebsd: ["386", "amd64", "arm", "arm64"],
  illumos: ["amd64"],
  ios: ["arm64"],
  js: ["wasm"],
  linux: [
    "386",
    "amd64",
    "arm",
    "arm64",
    "loong64",
    "mips",
    "mipsle",
    "mips64",
    "mips64le",
    "ppc64",
    "ppc64le",
    "riscv64",
    "s390x",
  ],
  netbsd: ["386", "amd64", "arm", "arm64"],
  openbsd: ["386", "amd64", "arm", "arm64"],
  plan9: ["386", "amd64", "arm"],
  solaris: ["amd64"],
  windows: ["386", "amd64", "arm", "arm64"],
};

/**
 * True when Docker knows the os/architecture pair.
 *
 * @example
 * ```ts
 * isValidOsArch("linux", "arm64"); // true
 * isValidOsArch("linux", "z80"); // false
 * ```
 */
export function isValidOsArch(os: string, arch: string): boolean {
  return VALID_OS_ARCH[os]?.includes(arch) ?? false;
}

/** What `manifest annotate` changes on an entry's platform. */
export interface PlatformChanges {
  arch?: string;
  os?: string;
  osVersion?: string;
  osFeatures?: string[];
  variant?: string;
}

/**
 * Applies `manifest annotate`'s changes to a platform: given fields replace, os features are
 * added once each; the os/arch pair must be one Docker knows.
 *
 * @example
 * ```ts
 * annotatePlatform({ os: "linux", architecture: "amd64" }, { arch: "arm64", variant: "v8" });
 * // { os: "linux", architecture: "arm64", variant: "v8" }
 * ```
 */
export function annotatePlatform(
  current: ListPlatform | undefined,
  changes: PlatformChanges,
): ListPlatform {
  const p: ListPlatform = current
    ? { ...current, "os.features": current["os.features"] && [...current["os.features"]] }
    : { architecture: "", os: "" };
  if (!p["os.features"]) delete p["os.features"];
  if (changes.os) p.os = changes.os;
  if (changes.arch) p.architecture = changes.arch;
  if (changes.variant) p.variant = changes.variant;
  if (changes.osVersion) p["os.version"] = changes.osVersion;
  for (const f of changes.osFeatures ?? []) {
    const list = p["os.features"] ??= [];
    if (!list.includes(f)) list.push(f);
  }
  if (!isValidOsArch(p.os, p.architecture)) {
    throw new InvalidArgumentError(
      `manifest entry for image has unsupported os/arch combination: ${p.os}/${p.architecture}`,
    );
  }
  return p;
}

/**
 * The media type a list is pushed as: a Docker manifest list when every entry is a Docker
 * schema 2 manifest (as docker's own lists are), else an OCI image index.
 *
 * @example
 * ```ts ignore
 * listMediaType(record); // "application/vnd.oci.image.index.v1+json"
 * ```
 */
export function listMediaType(record: ManifestListRecord): string {
  const docker = record.entries.length > 0 &&
    record.entries.every((e) => e.mediaType === MEDIA_TYPE_DOCKER_MANIFEST);
  return docker ? MEDIA_TYPE_DOCKER_MANIFEST_LIST : MEDIA_TYPE_OCI_INDEX;
}

/**
 * The list document: schema 2, its media type, one descriptor per entry with its platform.
 *
 * @example
 * ```ts ignore
 * const bytes = new TextEncoder().encode(JSON.stringify(listDocument(record)));
 * ```
 */
export function listDocument(record: ManifestListRecord): Record<string, unknown> {
  return {
    schemaVersion: 2,
    mediaType: listMediaType(record),
    manifests: record.entries.map((e) => {
      const d: Record<string, unknown> = { mediaType: e.mediaType, digest: e.digest, size: e.size };
      if (e.platform) d.platform = e.platform;
      return d;
    }),
  };
}
