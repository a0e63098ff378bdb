/**
 * How images look to users and scripts: the rows of `images` and the
 * object of `image inspect`, with Docker's field names and types.
 */
import { compareStrings } from "../compare.ts";
import type { ImageRecord, TagMap } from "../store/images.ts";
import { readBlob } from "../store/blobs.ts";
import type { Store } from "../store/store.ts";
import { ago, humanSize } from "../units.ts";
import { familiarRepository, parseReference } from "./reference.ts";

/** One row of `skiff images`, as `docker images --format '{{json .}}'` prints it. */
export interface ImageRow {
  Containers: string;
  CreatedAt: string;
  CreatedSince: string;
  Digest: string;
  ID: string;
  Repository: string;
  SharedSize: string;
  Size: string;
  Tag: string;
  UniqueSize: string;
  VirtualSize: string;
}

/** Docker's `2023-05-19 20:15:37 +0000 UTC` time format. */
export function dockerTime(iso: string | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (isNaN(d.getTime())) return "";
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, " +0000 UTC").replace(
    /Z$/,
    " +0000 UTC",
  );
}

/** Splits a stored tag name into familiar repository and tag. */
export function splitTag(name: string): { repository: string; tag: string } {
  const ref = parseReference(name);
  return { repository: familiarRepository(ref), tag: ref.tag ?? "<none>" };
}

/**
 * Rows for `images`: one per tag, or one `<none>` row for an untagged image.
 *
 * @example
 * ```ts ignore
 * imageRows(records, tags, { noTrunc: false });
 * ```
 */
export function imageRows(
  records: ImageRecord[],
  tags: TagMap,
  opts: { noTrunc: boolean; now?: number },
): ImageRow[] {
  const byId = new Map<string, string[]>();
  for (const [name, id] of Object.entries(tags)) {
    const list = byId.get(id) ?? [];
    list.push(name);
    byId.set(id, list);
  }
  const rows: ImageRow[] = [];
  const sorted = [...records].sort((a, b) =>
    compareStrings(b.created ?? b.addedAt, a.created ?? a.addedAt)
  );
  for (const rec of sorted) {
    const names = (byId.get(rec.id) ?? []).sort();
    const id = opts.noTrunc ? rec.id : rec.id.slice(7, 19);
    const base = {
      Containers: "N/A",
      CreatedAt: dockerTime(rec.created ?? rec.addedAt),
      CreatedSince: rec.created ? ago(rec.created, opts.now) : "N/A",
      ID: id,
      SharedSize: "N/A",
      Size: humanSize(rec.size),
      UniqueSize: "N/A",
      VirtualSize: humanSize(rec.size),
    };
    const digestFor = (repo: string) => {
      const d = rec.repoDigests.find((r) => r.startsWith(`${repo}@`));
      return d ? d.slice(d.indexOf("@") + 1) : "<none>";
    };
    if (names.length === 0) {
      rows.push({
        ...base,
        Digest: rec.repoDigests[0]?.split("@")[1] ?? "<none>",
        Repository: "<none>",
        Tag: "<none>",
      });
      continue;
    }
    for (const name of names) {
      const ref = parseReference(name);
      rows.push({
        ...base,
        Digest: digestFor(ref.name),
        Repository: familiarRepository(ref),
        Tag: ref.tag ?? "<none>",
      });
    }
  }
  return rows;
}

/** Familiar `repo:tag` names of an image (Docker's RepoTags). */
export function repoTags(tags: TagMap, id: string): string[] {
  return Object.keys(tags).filter((t) => tags[t] === id).sort().map((t) => {
    const { repository, tag } = splitTag(t);
    return `${repository}:${tag}`;
  });
}

/** Familiar `repo@digest` names (Docker's RepoDigests). */
export function repoDigests(rec: ImageRecord): string[] {
  return rec.repoDigests.map((d) => {
    const [name, digest] = d.split("@");
    return `${familiarRepository(parseReference(name))}@${digest}`;
  });
}

// deno-lint-ignore no-explicit-any
type Json = any;

/** Docker's empty container config, filled from the image config. */
function containerConfig(c: Json): Json {
  return {
    Hostname: "",
    Domainname: "",
    User: c?.User ?? "",
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    ExposedPorts: c?.ExposedPorts,
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: c?.Env ?? null,
    Cmd: c?.Cmd ?? null,
    Healthcheck: c?.Healthcheck,
    ArgsEscaped: c?.ArgsEscaped || undefined,
    Image: "",
    Volumes: c?.Volumes ?? null,
    WorkingDir: c?.WorkingDir ?? "",
    Entrypoint: c?.Entrypoint ?? null,
    OnBuild: c?.OnBuild ?? null,
    Labels: c?.Labels ?? null,
    StopSignal: c?.StopSignal,
    Shell: c?.Shell,
  };
}

/** Drops the fields Docker leaves out when empty (`omitempty`): they are undefined here. */
function withoutUndefined(obj: Json): Json {
  for (const k of Object.keys(obj)) if (obj[k] === undefined) delete obj[k];
  return obj;
}

/** Reads an image's config document from the store. */
export async function readImageConfig(store: Store, rec: ImageRecord): Promise<Json> {
  return JSON.parse(new TextDecoder().decode(await readBlob(store, rec.id)));
}

/**
 * The object `skiff image inspect` prints for an image, in Docker's shape.
 */
export async function inspectImage(store: Store, rec: ImageRecord, tags: TagMap): Promise<Json> {
  const config = await readImageConfig(store, rec);
  const cfg = withoutUndefined(containerConfig(config.config));
  // The config of the container the image was committed from; empty for built images.
  const fromContainer = withoutUndefined(containerConfig(config.container_config ?? {}));
  if (config.container_config?.Image) fromContainer.Image = config.container_config.Image;
  const lowers = rec.layers.map((l) => `${store.layers}/${l.chainId.slice(7)}/diff`).reverse();
  return {
    Id: rec.id,
    RepoTags: repoTags(tags, rec.id),
    RepoDigests: repoDigests(rec),
    Parent: rec.parent ?? "",
    Comment: config.comment ?? "",
    Created: rec.created ?? rec.addedAt,
    Container: config.container ?? "",
    ContainerConfig: fromContainer,
    DockerVersion: config.docker_version ?? "",
    Author: config.author ?? "",
    Config: cfg,
    Architecture: rec.architecture,
    ...(rec.variant ? { Variant: rec.variant } : {}),
    Os: rec.os,
    Size: rec.size,
    VirtualSize: rec.size,
    GraphDriver: {
      Data: {
        LowerDir: lowers.slice(1).join(":") || undefined,
        UpperDir: lowers[0],
      },
      Name: "overlay",
    },
    RootFS: { Type: "layers", Layers: rec.layers.map((l) => l.diffId) },
    Metadata: { LastTagTime: rec.addedAt },
  };
}
