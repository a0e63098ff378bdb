/**
 * Turning a `COPY`/`ADD` step's sources into source items: the build
 * context's or another root's files, heredoc bodies, downloads and
 * extracted archives. Flags are checked here, with BuildKit's messages.
 */
import { InvalidArgumentError } from "../../errors.ts";
import type { AddInstruction, CopyInstruction, InlineSource } from "../dockerfile/mod.ts";
import { IgnoreMatcher } from "../context/mod.ts";
import type { CopyOrigin } from "./types.ts";
import { extractArchive, isArchive } from "./archive.ts";
import { contextSources } from "./context_source.ts";
import { bytesContent, type CopyEntry, type SourceItem } from "./entry.ts";
import { rootSources, walkRoot } from "./root_source.ts";
import { download, isGitSource, isUrl, parseChecksum, urlFileName } from "./url.ts";

/** The `--exclude` patterns as a matcher; undefined when there are none. */
export function excludeMatcher(ins: CopyInstruction | AddInstruction): IgnoreMatcher | undefined {
  if (ins.excludes.length === 0) return undefined;
  return new IgnoreMatcher(ins.excludes, "--exclude");
}

/** Refuses what BuildKit refuses before copying anything: git sources, misplaced URLs and checksums. */
export function checkSources(ins: CopyInstruction | AddInstruction): void {
  for (const src of ins.sources) {
    if (ins.kind === "ADD" && isGitSource(src)) {
      throw new InvalidArgumentError(
        `ADD ${src}: adding a git repository is not supported by skiff build`,
      );
    }
    if (ins.kind === "COPY" && isUrl(src)) {
      throw new InvalidArgumentError(`source can't be a URL for COPY`);
    }
  }
  if (ins.kind === "ADD" && ins.checksum !== "") {
    parseChecksum(ins.checksum);
    if (ins.sources.some((s) => !isUrl(s))) {
      throw new InvalidArgumentError("checksum can't be specified for non-HTTP(S) sources");
    }
  }
}

/** The selected sources of one (non-URL) argument. */
export function localSources(
  origin: CopyOrigin,
  src: string,
  op: string,
  exclude: IgnoreMatcher | undefined,
): SourceItem[] {
  return origin.kind === "context"
    ? contextSources(origin.context, src, op, exclude)
    : rootSources(origin.root, src, op, exclude);
}

/** A single-file item. */
export function fileItem(name: string, entry: CopyEntry): SourceItem {
  return {
    name,
    parentsPath: name,
    isDir: false,
    async *entries() {
      yield entry;
    },
  };
}

/** A heredoc source: a file of mode 0644 owned by root. */
export function inlineItem(s: InlineSource, nowMs: number): SourceItem {
  const bytes = new TextEncoder().encode(s.content);
  return fileItem(s.path, {
    rel: "",
    type: "file",
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: bytes.length,
    mtimeMs: nowMs,
    open: () => Promise.resolve(bytesContent(bytes)),
  });
}

/** Makes scratch space on demand; `cleanup` removes it. */
export class Scratch {
  #dir: string | undefined;
  #n = 0;
  /** A new path (not created) inside the private scratch directory. */
  async path(): Promise<string> {
    this.#dir ??= await Deno.makeTempDir({ prefix: "skiff-copy-" });
    return `${this.#dir}/${this.#n++}`;
  }
  async cleanup(): Promise<void> {
    if (this.#dir) await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
    this.#dir = undefined;
  }
}

/** Downloads an ADD URL (mode 0600, mtime from Last-Modified, as BuildKit). */
export async function urlItem(
  ins: AddInstruction,
  src: string,
  fetcher: typeof fetch,
  scratch: Scratch,
  nowMs: number,
): Promise<SourceItem> {
  const d = await download(src, await scratch.path(), fetcher, parseChecksum(ins.checksum));
  const item = fileItem(urlFileName(src), {
    rel: "",
    type: "file",
    mode: 0o600,
    uid: 0,
    gid: 0,
    size: d.size,
    mtimeMs: d.mtimeMs ?? nowMs,
    open: () => Deno.open(d.path, { read: true }),
  });
  if (ins.unpack === true) return await unpacked(item, src, scratch, nowMs) ?? item;
  return item;
}

/**
 * For ADD: an archive file becomes what it holds (extracted into scratch
 * space); undefined when the item is not an archive. The item's entries are
 * read here, so the item is used up either way only when it was an archive.
 */
export async function unpacked(
  item: SourceItem,
  what: string,
  scratch: Scratch,
  nowMs: number,
): Promise<SourceItem | undefined> {
  if (item.isDir) return undefined;
  const it = item.entries();
  const first = await it.next();
  try {
    if (first.done) return undefined;
    const e = first.value;
    if (e.type !== "file" || !e.open) return undefined;
    const open = e.open;
    const stream = async () => (await open()).readable;
    if (!(await isArchive(stream))) return undefined;
    const dir = await scratch.path();
    await Deno.mkdir(dir, { mode: 0o700 });
    await extractArchive(stream, dir, what);
    return {
      name: item.name,
      parentsPath: item.parentsPath,
      isDir: true,
      async *entries() {
        for await (const x of walkRoot(dir, "")) {
          // the scratch directory itself stands for the destination directory
          yield x.rel === "" ? { ...x, mode: 0o755, uid: 0, gid: 0, mtimeMs: nowMs } : x;
        }
      },
    };
  } finally {
    await it.return(undefined);
  }
}
