/**
 * `load`: images from a docker-archive (`manifest.json`) or an OCI image
 * layout tar (`index.json`), read from a file or a pipe, the archive itself
 * plain, gzip or zstd.
 *
 * The archive is read once with tar-stream and every entry is spooled to a
 * scratch directory in the store (`tmp/load-*`), each file under a numbered
 * name, so no archive path ever becomes a host path; symlinks and hard links
 * between entries (old `docker save` links repeated layers) are resolved
 * inside that name table. Only then are the manifests read, since
 * `manifest.json` often comes after the layers. Every layer is checked
 * against the diff ID in its config, and every OCI blob against its
 * descriptor's digest and size. All images are stored before any is recorded
 * or tagged, so a bad archive adds no image and no tag.
 *
 * @module
 */
import { z } from "zod";
import { DigestMismatchError, InvalidArgumentError, wrap } from "../errors.ts";
import { randomSuffix } from "../store/atomic.ts";
import { createHasher } from "../store/hash.ts";
import type { Store } from "../store/store.ts";
import {
  discardPrepared,
  type LayerSource,
  type PreparedImage,
  prepareImage,
  recordImage,
} from "./commit_image.ts";
import { decompressStream } from "./decompress.ts";
import { feedExtract } from "./tar_feed.ts";
import {
  checkImageDescriptors,
  type Descriptor,
  type ImageManifest,
  parseImageIndex,
  parseManifest,
} from "./manifest.ts";
import { hostPlatform, selectManifest } from "./platform.ts";
import { familiarName, parseReference } from "./reference.ts";

/** One image an archive held, as `load` reports it. */
export interface LoadedImage {
  /** Image id (config digest). */
  id: string;
  /** Familiar names it was tagged with (`busybox:latest`); empty when untagged. */
  names: string[];
}

/** An entry of the archive: a spooled file, or a link to another entry. */
type ArchiveEntry =
  | { kind: "file"; path: string; size: number }
  | { kind: "dir" }
  | { kind: "symlink"; target: string }
  | { kind: "link"; target: string };

/** The spooled archive: entries by cleaned path. */
class SpooledArchive {
  readonly entries = new Map<string, ArchiveEntry>();
  constructor(readonly dir: string) {}

  /** Follows links (at most 40) to the spooled file for `name`. */
  resolve(name: string): { path: string; size: number } {
    let parts = cleanArchivePath(name);
    for (let hops = 0; hops < 40; hops++) {
      let changed = false;
      for (let i = 1; i <= parts.length; i++) {
        const prefix = parts.slice(0, i).join("/");
        const e = this.entries.get(prefix);
        if (!e || e.kind === "file" || e.kind === "dir") continue;
        const base = e.kind === "symlink" && !e.target.startsWith("/")
          ? parts.slice(0, i - 1).join("/") + "/"
          : "";
        parts = [...cleanArchivePath(base + e.target), ...parts.slice(i)];
        changed = true;
        break;
      }
      if (!changed) {
        const e = this.entries.get(parts.join("/"));
        if (e?.kind === "file") return { path: e.path, size: e.size };
        throw new InvalidArgumentError(`invalid archive: ${name} not found in the archive`);
      }
    }
    throw new InvalidArgumentError(`invalid archive: too many links resolving ${name}`);
  }

  has(name: string): boolean {
    try {
      this.resolve(name);
      return true;
    } catch {
      return false;
    }
  }

  async read(name: string): Promise<Uint8Array> {
    return await Deno.readFile(this.resolve(name).path);
  }

  opener(name: string): () => Promise<ReadableStream<Uint8Array>> {
    const { path } = this.resolve(name);
    return async () => (await Deno.open(path)).readable;
  }
}

/**
 * Cleans an archive path into components; a `..` component or an empty
 * name is refused (archives are made by tools, which never need them).
 */
function cleanArchivePath(name: string): string[] {
  const out: string[] = [];
  for (const part of name.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      throw new InvalidArgumentError(`invalid archive: path "${name}" contains ".."`);
    }
    out.push(part);
  }
  return out;
}

/**
 * Loads every image in the archive `input` into the store, tags them, and
 * returns what was loaded, in archive order. Nothing is recorded unless every
 * image verified.
 *
 * @example
 * ```ts ignore
 * const loaded = await loadArchive(store, (await Deno.open("busybox.tar")).readable);
 * for (const img of loaded) console.log(img.names[0] ?? img.id);
 * ```
 */
export async function loadArchive(
  store: Store,
  input: ReadableStream<Uint8Array>,
): Promise<LoadedImage[]> {
  const dir = `${store.tmp}/load-${randomSuffix()}`;
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const prepared: { image: PreparedImage; tags: string[]; names: string[] }[] = [];
  try {
    const archive = await spool(input, dir);
    let plans: ImagePlan[];
    if (archive.has("manifest.json")) plans = await planDockerArchive(archive);
    else if (archive.has("index.json")) plans = await planOciLayout(archive);
    else {
      throw new InvalidArgumentError(
        "invalid archive: neither manifest.json (docker-archive) nor index.json (OCI layout) found",
      );
    }
    if (plans.length === 0) throw new InvalidArgumentError("invalid archive: it holds no images");
    for (const plan of plans) {
      const image = await prepareImage(store, { config: plan.config, layers: plan.layers });
      prepared.push({ image, tags: plan.tags, names: plan.names });
    }
    for (const p of prepared) await recordImage(store, p.image, p.tags);
    return prepared.map((p) => ({ id: p.image.record.id, names: p.names }));
  } catch (err) {
    await discardPrepared(store, prepared.map((p) => p.image));
    throw err;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** What to store for one image of the archive. */
interface ImagePlan {
  config: Uint8Array;
  layers: LayerSource[];
  /** Fully qualified tags. */
  tags: string[];
  /** The same, in familiar form, for the report. */
  names: string[];
}

function namesFrom(refs: string[]): { tags: string[]; names: string[] } {
  const tags: string[] = [];
  const names: string[] = [];
  for (const r of refs) {
    let ref;
    try {
      ref = parseReference(r);
    } catch (err) {
      throw wrap(err, `invalid archive: image name "${r}"`);
    }
    if (ref.digest || !ref.tag) continue;
    if (tags.includes(ref.toString())) continue;
    tags.push(ref.toString());
    names.push(familiarName(ref));
  }
  return { tags, names };
}

// deno-lint-ignore no-explicit-any
type TarModule = any;

/** Reads the (possibly compressed) archive into `dir`, one numbered file per entry. */
async function spool(input: ReadableStream<Uint8Array>, dir: string): Promise<SpooledArchive> {
  const tar: TarModule = (await import("tar-stream")).default;
  const archive = new SpooledArchive(dir);
  const extract = tar.extract();
  let sawBytes = false;
  const feed = feedExtract(await decompressStream(input), extract, (c) => {
    if (c.length > 0) sawBytes = true;
  });
  let n = 0;
  let current = "";
  try {
    for await (const entry of extract) {
      const h = entry.header;
      current = h.name;
      const parts = cleanArchivePath(h.name);
      const name = parts.join("/");
      if (name === "") {
        entry.resume();
        continue;
      }
      switch (h.type) {
        case "file":
        case "contiguous-file": {
          const path = `${dir}/${n++}`;
          const file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
          let size = 0;
          try {
            for await (const chunk of entry) {
              size += chunk.length;
              let off = 0;
              while (off < chunk.length) off += await file.write(chunk.subarray(off));
            }
          } finally {
            file.close();
          }
          archive.entries.set(name, { kind: "file", path, size });
          break;
        }
        case "directory":
          archive.entries.set(name, { kind: "dir" });
          entry.resume();
          break;
        case "symlink":
          archive.entries.set(name, { kind: "symlink", target: h.linkname ?? "" });
          entry.resume();
          break;
        case "link":
          archive.entries.set(name, { kind: "link", target: h.linkname ?? "" });
          entry.resume();
          break;
        default:
          entry.resume(); // devices, FIFOs, PAX globals: not part of an image archive
      }
    }
    await feed.done;
  } catch (err) {
    await feed.stop();
    if (err instanceof InvalidArgumentError) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    if (/unexpected end|invalid tar|checksum|corrupt/i.test(msg)) {
      throw new InvalidArgumentError(`invalid archive: ${msg.split("\n")[0]}`, { cause: err });
    }
    throw wrap(err, current ? `invalid archive: reading entry "${current}"` : "invalid archive");
  }
  if (!sawBytes) throw new InvalidArgumentError("invalid archive: the input is empty");
  return archive;
}

const dockerManifestSchema = z.array(
  z.object({
    Config: z.string(),
    RepoTags: z.array(z.string()).nullish(),
    Layers: z.array(z.string()),
  }).passthrough(),
);

function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new InvalidArgumentError(
      `invalid archive: ${what} is not valid JSON (${(err as Error).message.split("\n")[0]})`,
    );
  }
}

async function planDockerArchive(archive: SpooledArchive): Promise<ImagePlan[]> {
  const doc = parseJson(await archive.read("manifest.json"), "manifest.json");
  const parsed = dockerManifestSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidArgumentError(
      `invalid archive: manifest.json: ${issue?.path.join(".") || "(root)"}: ${issue?.message}`,
    );
  }
  const plans: ImagePlan[] = [];
  for (const item of parsed.data) {
    const config = await archive.read(item.Config);
    const layers: LayerSource[] = item.Layers.map((path) => ({
      tar: archive.opener(path),
      name: path,
    }));
    plans.push({ config, layers, ...namesFrom(item.RepoTags ?? []) });
  }
  return plans;
}

function blobName(digest: string): string {
  const [alg, hex] = digest.split(":");
  return `blobs/${alg}/${hex}`;
}

/** Reads a small blob of the layout and checks it against its descriptor. */
async function readVerified(archive: SpooledArchive, desc: Descriptor): Promise<Uint8Array> {
  const name = blobName(desc.digest);
  if (!archive.has(name)) {
    throw new InvalidArgumentError(`invalid archive: blob ${desc.digest} is missing`);
  }
  const bytes = await archive.read(name);
  const hasher = await createHasher();
  hasher.update(bytes);
  const actual = hasher.digest();
  if (actual !== desc.digest) {
    throw new DigestMismatchError(
      `digest mismatch for ${desc.digest}: content hashes to ${actual}`,
    );
  }
  if (bytes.length !== desc.size) {
    throw new DigestMismatchError(
      `size mismatch for ${desc.digest}: expected ${desc.size} bytes, got ${bytes.length}`,
    );
  }
  return bytes;
}

/** Names for an index entry: containerd's full name, else a full `ref.name`. */
function ociNames(desc: Descriptor): string[] {
  const a = desc.annotations ?? {};
  const full = a["io.containerd.image.name"];
  if (full) return [full];
  const ref = a["org.opencontainers.image.ref.name"];
  // A bare tag (`latest`, as skopeo writes) names no repository: the image loads untagged.
  if (ref && (ref.includes("/") || ref.includes(":"))) return [ref];
  return [];
}

async function planOciLayout(archive: SpooledArchive): Promise<ImagePlan[]> {
  const index = parseImageIndex(await archive.read("index.json"));
  const plans: ImagePlan[] = [];
  const byManifest = new Map<string, ImagePlan>();
  for (const top of index.manifests) {
    let desc: Descriptor = top;
    let parsed = parseManifest(await readVerified(archive, desc), desc.mediaType);
    if (parsed.kind === "index") {
      desc = selectManifest(parsed.index, hostPlatform());
      parsed = parseManifest(await readVerified(archive, desc), desc.mediaType);
      if (parsed.kind === "index") {
        throw new InvalidArgumentError("invalid archive: nested image indexes are not supported");
      }
    }
    const names = namesFrom(ociNames(top));
    const existing = byManifest.get(desc.digest);
    if (existing) {
      for (let i = 0; i < names.tags.length; i++) {
        if (existing.tags.includes(names.tags[i])) continue;
        existing.tags.push(names.tags[i]);
        existing.names.push(names.names[i]);
      }
      continue;
    }
    const manifest: ImageManifest = parsed.manifest;
    checkImageDescriptors(manifest);
    const config = await readVerified(archive, manifest.config);
    const layers: LayerSource[] = manifest.layers.map((l) => {
      const name = blobName(l.digest);
      if (!archive.has(name)) {
        throw new InvalidArgumentError(`invalid archive: blob ${l.digest} is missing`);
      }
      return { tar: archive.opener(name), digest: l.digest, mediaType: l.mediaType, name };
    });
    const plan = { config, layers, ...names };
    byManifest.set(desc.digest, plan);
    plans.push(plan);
  }
  return plans;
}
