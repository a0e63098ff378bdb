/**
 * The cache key of a `COPY`/`ADD` step: sha256 over the flags that shape
 * the result and every selected entry's name, type, mode, owner, size,
 * symlink target and content digest, in a fixed order. A context file's digest is
 * remembered by its stamp (device, inode, size and settled times) between builds, so
 * that a rebuild reads only the files that changed. Times are left out,
 * as BuildKit leaves them out: the same tree elsewhere or touched later
 * gives the same key; one byte or one mode changed gives another.
 */
import { createHasher, sha256Bytes } from "../../store/hash.ts";
import type { CopyStepInput, DigestMemo } from "./types.ts";
import { resolveDestination } from "./dest.ts";
import { bytesContent, type Content, type CopyEntry, type SourceItem } from "./entry.ts";
import { checkSources, excludeMatcher, localSources, Scratch } from "./items.ts";
import { download, isUrl, parseChecksum } from "./url.ts";

const buf = new Uint8Array(256 * 1024);

/** What the key is computed over, kept until the end and hashed in one go (Web Crypto). */
class KeyText {
  #parts: Uint8Array[] = [];
  update(chunk: Uint8Array): void {
    this.#parts.push(chunk.slice());
  }
  digest(): Promise<string> {
    const all = new Uint8Array(this.#parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of this.#parts) {
      all.set(p, off);
      off += p.length;
    }
    return sha256Bytes(all);
  }
}

type Hasher = Pick<KeyText, "update">;

/** Feeds a file's bytes into `h`, then their count (the frame that ends them). */
async function hashContent(h: Hasher, content: Content): Promise<void> {
  let n = 0;
  try {
    for (;;) {
      const got = await content.read(buf);
      if (got === null) break;
      h.update(buf.subarray(0, got));
      n += got;
    }
  } finally {
    content.close();
  }
  record(h, ["end", n]);
}

function record(h: Hasher, fields: unknown[]): void {
  h.update(new TextEncoder().encode(`${JSON.stringify(fields)}\n`));
}

/** A file's content digest: remembered by its stamp, or read and remembered. */
async function fileDigest(e: CopyEntry, memo: DigestMemo | undefined): Promise<string> {
  const known = e.stamp !== undefined ? memo?.get(e.stamp) : undefined;
  if (known) return known;
  const h = await createHasher();
  const content = await e.open!();
  try {
    for (;;) {
      const got = await content.read(buf);
      if (got === null) break;
      h.update(buf.subarray(0, got));
    }
  } finally {
    content.close();
  }
  const digest = h.digest();
  if (e.stamp !== undefined) memo?.set(e.stamp, digest);
  return digest;
}

async function digestItem(h: Hasher, item: SourceItem, memo?: DigestMemo): Promise<void> {
  record(h, ["item", item.name, item.parentsPath, item.isDir]);
  for await (const e of item.entries()) {
    record(h, [
      e.rel,
      e.type,
      e.mode.toString(8),
      e.uid,
      e.gid,
      e.size,
      e.linkTarget ?? "",
      e.rdev ?? 0,
      e.linkTo ?? null,
      Object.entries(e.xattrs ?? {}).map(([k, v]) => [k, [...v]]),
    ]);
    if (e.type === "file" && e.open) record(h, ["content", await fileDigest(e, memo)]);
  }
}

/** The key of a step (see `copyCacheKey`). */
export async function digestStep(input: CopyStepInput): Promise<string> {
  const ins = input.instruction;
  checkSources(ins);
  const exclude = excludeMatcher(ins);
  const dest = resolveDestination(ins.dest, input.workdir);
  const h = new KeyText();
  record(h, [
    "skiff-copy-v2",
    ins.kind,
    input.origin.kind,
    ins.chown,
    ins.chmod,
    ins.link,
    ins.excludes,
    ins.kind === "COPY" ? ins.parents : false,
    dest.path,
    dest.isDir,
    ins.kind === "ADD" ? ins.checksum : "",
    ins.kind === "ADD" ? ins.unpack ?? null : null,
  ]);
  const scratch = new Scratch();
  try {
    for (const src of ins.sources) {
      record(h, ["source", src]);
      if (ins.kind === "ADD" && isUrl(src)) {
        const sum = parseChecksum(ins.checksum) ??
          (await download(src, await scratch.path(), input.fetch ?? fetch)).digest;
        record(h, ["url", sum]);
        continue;
      }
      for (const item of localSources(input.origin, src, ins.kind, exclude)) {
        await digestItem(h, item, input.digests);
      }
    }
    for (const s of ins.inline) {
      const bytes = new TextEncoder().encode(s.content);
      record(h, ["inline", s.path, bytes.length]);
      await hashContent(h, bytesContent(bytes));
    }
  } finally {
    await scratch.cleanup();
  }
  return await h.digest();
}
