/**
 * Manifests, indexes and image configs: zod schemas for the OCI image spec
 * and Docker's schema 2, media type constants, and parsers that turn bad
 * documents into one-line InvalidArgumentErrors (never a zod dump).
 *
 * zod is heavy to load: import this module only where documents are read.
 *
 * @module
 */

import { z } from "zod";
import { InvalidArgumentError } from "../errors.ts";
import { isDigest } from "./digest.ts";

/** OCI image manifest media type. */
export const MEDIA_TYPE_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
/** OCI image index media type. */
export const MEDIA_TYPE_OCI_INDEX = "application/vnd.oci.image.index.v1+json";
/** OCI image config media type. */
export const MEDIA_TYPE_OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
/** OCI gzip-compressed layer media type. */
export const MEDIA_TYPE_OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
/** OCI zstd-compressed layer media type. */
export const MEDIA_TYPE_OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";
/** OCI uncompressed layer media type. */
export const MEDIA_TYPE_OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";
/** Docker schema 2 manifest media type. */
export const MEDIA_TYPE_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
/** Docker schema 2 manifest list media type. */
export const MEDIA_TYPE_DOCKER_MANIFEST_LIST =
  "application/vnd.docker.distribution.manifest.list.v2+json";
/** Docker image config media type. */
export const MEDIA_TYPE_DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
/** Docker gzip-compressed layer media type. */
export const MEDIA_TYPE_DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";
/** Docker foreign (non-distributable) layer media type. */
export const MEDIA_TYPE_DOCKER_LAYER_FOREIGN =
  "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
/** Docker uncompressed layer media type (containerd's name for it). */
export const MEDIA_TYPE_DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar";
/** Docker zstd-compressed layer media type (containerd's name for it). */
export const MEDIA_TYPE_DOCKER_LAYER_ZSTD = "application/vnd.docker.image.rootfs.diff.tar.zstd";
/** Docker schema 1 manifest (unsupported). */
export const MEDIA_TYPE_DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json";
/** Docker signed schema 1 manifest (unsupported). */
export const MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED =
  "application/vnd.docker.distribution.manifest.v1+prettyjws";

/** The four manifest media types skiff accepts, for the `Accept` header. */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_DOCKER_MANIFEST_LIST,
  MEDIA_TYPE_OCI_MANIFEST,
  MEDIA_TYPE_DOCKER_MANIFEST,
];

/** True for an image manifest media type (OCI or Docker schema 2). */
export function isManifestMediaType(mediaType: string): boolean {
  return mediaType === MEDIA_TYPE_OCI_MANIFEST || mediaType === MEDIA_TYPE_DOCKER_MANIFEST;
}

/** True for an index / manifest list media type (OCI or Docker). */
export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === MEDIA_TYPE_OCI_INDEX || mediaType === MEDIA_TYPE_DOCKER_MANIFEST_LIST;
}

/** Layer media types an image may use (OCI, its deprecated non-distributable ones, Docker). */
const LAYER_MEDIA_TYPES: ReadonlySet<string> = new Set([
  MEDIA_TYPE_OCI_LAYER,
  MEDIA_TYPE_OCI_LAYER_GZIP,
  MEDIA_TYPE_OCI_LAYER_ZSTD,
  "application/vnd.oci.image.layer.nondistributable.v1.tar",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
  MEDIA_TYPE_DOCKER_LAYER,
  MEDIA_TYPE_DOCKER_LAYER_GZIP,
  MEDIA_TYPE_DOCKER_LAYER_ZSTD,
  MEDIA_TYPE_DOCKER_LAYER_FOREIGN,
]);

/** True for a media type that names an image layer (a tar, plain or compressed). */
export function isLayerMediaType(mediaType: string): boolean {
  return LAYER_MEDIA_TYPES.has(mediaType);
}

/** True for an image config media type (OCI or Docker). */
export function isConfigMediaType(mediaType: string): boolean {
  return mediaType === MEDIA_TYPE_OCI_CONFIG || mediaType === MEDIA_TYPE_DOCKER_CONFIG;
}

const digestSchema = z.string().refine(isDigest, { message: "invalid digest" });
const annotations = z.record(z.string(), z.string());

/** Platform of an index entry (OCI `platform` object). */
export const platformSchema = z.object({
  architecture: z.string(),
  os: z.string(),
  "os.version": z.string().optional(),
  "os.features": z.array(z.string()).optional(),
  variant: z.string().optional(),
  features: z.array(z.string()).optional(),
}).passthrough();

/** OCI content descriptor (also Docker schema 2's). */
export const descriptorSchema = z.object({
  mediaType: z.string(),
  digest: digestSchema,
  size: z.number().int().nonnegative(),
  urls: z.array(z.string()).optional(),
  annotations: annotations.optional(),
  platform: platformSchema.optional(),
  artifactType: z.string().optional(),
}).passthrough();

/** OCI image manifest (schemaVersion 2), also accepting Docker schema 2. */
export const imageManifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
  subject: descriptorSchema.optional(),
  annotations: annotations.optional(),
}).passthrough();

/** OCI image index, also accepting a Docker manifest list. */
export const imageIndexSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  manifests: z.array(descriptorSchema),
  subject: descriptorSchema.optional(),
  annotations: annotations.optional(),
}).passthrough();

const stringMap = z.record(z.string(), z.object({}).passthrough());

/** The container defaults in an image config (`config` object). */
export const containerConfigSchema = z.object({
  User: z.string().optional(),
  ExposedPorts: stringMap.nullish(),
  Env: z.array(z.string()).nullish(),
  Entrypoint: z.array(z.string()).nullish(),
  Cmd: z.array(z.string()).nullish(),
  Volumes: stringMap.nullish(),
  WorkingDir: z.string().optional(),
  Labels: z.record(z.string(), z.string()).nullish(),
  StopSignal: z.string().optional(),
  ArgsEscaped: z.boolean().optional(),
  Shell: z.array(z.string()).nullish(),
  Healthcheck: z.object({}).passthrough().nullish(),
  OnBuild: z.array(z.string()).nullish(),
}).passthrough();

/** An entry of an image config's `history`. */
export const historySchema = z.object({
  created: z.string().optional(),
  created_by: z.string().optional(),
  author: z.string().optional(),
  comment: z.string().optional(),
  empty_layer: z.boolean().optional(),
}).passthrough();

/** OCI / Docker image config. */
export const imageConfigSchema = z.object({
  created: z.string().optional(),
  author: z.string().optional(),
  architecture: z.string(),
  os: z.string(),
  "os.version": z.string().optional(),
  "os.features": z.array(z.string()).optional(),
  variant: z.string().optional(),
  config: containerConfigSchema.nullish(),
  rootfs: z.object({
    type: z.literal("layers"),
    diff_ids: z.array(digestSchema),
  }).passthrough(),
  history: z.array(historySchema).nullish(),
}).passthrough();

/** An OCI descriptor. */
export type Descriptor = z.infer<typeof descriptorSchema>;
/** An index entry's platform. */
export type ManifestPlatform = z.infer<typeof platformSchema>;
/** An image manifest (OCI or Docker schema 2). */
export type ImageManifest = z.infer<typeof imageManifestSchema>;
/** An image index (OCI index or Docker manifest list). */
export type ImageIndex = z.infer<typeof imageIndexSchema>;
/** An image config. */
export type ImageConfig = z.infer<typeof imageConfigSchema>;
/** The `config` object of an image config. */
export type ContainerConfig = z.infer<typeof containerConfigSchema>;

/** A parsed manifest document: a single-platform manifest or an index. */
export type ParsedManifest =
  | { kind: "manifest"; mediaType: string; manifest: ImageManifest }
  | { kind: "index"; mediaType: string; index: ImageIndex };

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid document";
  const path = issue.path.length ? issue.path.join(".") : "(root)";
  let msg = issue.message;
  if (issue.code === "invalid_type") {
    msg = issue.received === "undefined"
      ? "required"
      : `expected ${issue.expected}, got ${issue.received}`;
  }
  return `${path}: ${msg}`;
}

function parseJson(bytes: Uint8Array | string, what: string): unknown {
  const text = typeof bytes === "string" ? bytes : new TextDecoder().decode(bytes);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InvalidArgumentError(
      `invalid ${what}: not valid JSON (${(e as Error).message.split("\n")[0]})`,
    );
  }
}

function validate<T>(schema: z.ZodType<T>, doc: unknown, what: string): T {
  const r = schema.safeParse(doc);
  if (!r.success) throw new InvalidArgumentError(`invalid ${what}: ${describeIssue(r.error)}`);
  return r.data;
}

function baseMediaType(contentType: string | null | undefined): string | undefined {
  const t = contentType?.split(";")[0].trim().toLowerCase();
  return t ? t : undefined;
}

/**
 * Parses a manifest or index. The kind is taken from the document's
 * `mediaType`, else from `contentType` (the HTTP `Content-Type`), else from
 * its shape (`manifests` → index, `config` + `layers` → manifest). Schema 1
 * and malformed documents throw a one-line InvalidArgumentError.
 *
 * @example
 * ```ts ignore
 * const parsed = parseManifest(bytes, res.headers.get("content-type"));
 * if (parsed.kind === "index") selectManifest(parsed.index, hostPlatform());
 * ```
 */
export function parseManifest(
  bytes: Uint8Array | string,
  contentType?: string | null,
): ParsedManifest {
  const doc = parseJson(bytes, "manifest");
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new InvalidArgumentError("invalid manifest: not a JSON object");
  }
  const obj = doc as Record<string, unknown>;
  const declared = typeof obj.mediaType === "string" ? obj.mediaType : undefined;
  const header = baseMediaType(contentType);
  for (const t of [declared, header]) {
    if (t === MEDIA_TYPE_DOCKER_SCHEMA1 || t === MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED) {
      throw new InvalidArgumentError(
        `manifest schema 1 is not supported: ${t} (the image must be rebuilt or pushed with schema 2)`,
      );
    }
  }
  if (obj.schemaVersion === 1) {
    throw new InvalidArgumentError(
      "manifest schema 1 is not supported: schemaVersion 1 (the image must be rebuilt or pushed with schema 2)",
    );
  }
  let mediaType = declared ??
    (header && (isManifestMediaType(header) || isIndexMediaType(header)) ? header : undefined);
  if (mediaType === undefined) {
    if (Array.isArray(obj.manifests)) mediaType = MEDIA_TYPE_OCI_INDEX;
    else if ("config" in obj && "layers" in obj) mediaType = MEDIA_TYPE_OCI_MANIFEST;
    else throw new InvalidArgumentError("invalid manifest: unknown document type");
  }
  if (isIndexMediaType(mediaType)) {
    return { kind: "index", mediaType, index: validate(imageIndexSchema, doc, "image index") };
  }
  if (isManifestMediaType(mediaType)) {
    return {
      kind: "manifest",
      mediaType,
      manifest: validate(imageManifestSchema, doc, "image manifest"),
    };
  }
  throw new InvalidArgumentError(`unsupported manifest media type: ${mediaType}`);
}

/**
 * Parses and validates an image config blob (OCI or Docker).
 *
 * @example
 * ```ts ignore
 * const config = parseImageConfig(bytes);
 * config.rootfs.diff_ids; // ["sha256:…"]
 * ```
 */
export function parseImageConfig(bytes: Uint8Array | string): ImageConfig {
  return validate(imageConfigSchema, parseJson(bytes, "image config"), "image config");
}

/**
 * Parses and validates an OCI image index on its own (e.g. an OCI layout's
 * `index.json`, which may omit `mediaType`).
 *
 * @example
 * ```ts ignore
 * const index = parseImageIndex(await Deno.readFile("layout/index.json"));
 * ```
 */
export function parseImageIndex(bytes: Uint8Array | string): ImageIndex {
  return validate(imageIndexSchema, parseJson(bytes, "image index"), "image index");
}

/**
 * Checks that an image manifest's descriptors are what an image is made of:
 * its config an image config and each layer a known layer type. Anything
 * else (an artifact, a config that claims to be a layer, a layer of a type
 * skiff would have to guess at) is an InvalidArgumentError naming the
 * descriptor's digest and media type; nothing is fetched or unpacked first.
 *
 * @example
 * ```ts ignore
 * checkImageDescriptors(parsed.manifest); // throws on an unknown layer media type
 * ```
 */
export function checkImageDescriptors(manifest: ImageManifest): void {
  const { config } = manifest;
  if (!isConfigMediaType(config.mediaType)) {
    const what = isLayerMediaType(config.mediaType)
      ? "a layer's media type"
      : "a media type that is not an image config";
    throw new InvalidArgumentError(
      `invalid image manifest: config ${config.digest} has ${what}: ${
        JSON.stringify(config.mediaType)
      }`,
    );
  }
  manifest.layers.forEach((layer, i) => {
    if (isLayerMediaType(layer.mediaType)) return;
    throw new InvalidArgumentError(
      `invalid image manifest: layer ${i + 1} (${layer.digest}) has an unknown media type: ${
        JSON.stringify(layer.mediaType)
      }`,
    );
  });
}
