/**
 * The cache key of a `COPY`/`ADD` step: sha256 over the flags that shape
 * the result and every selected entry's name, type, mode, owner, size,
 * symlink target and content digest, in a fixed order. Times are left out,
 * as BuildKit leaves them out: the same tree elsewhere or touched later
 * gives the same key; one byte or one mode changed gives another.
 */
import { createHasher, type Hasher } from "../../store/hash.ts";
import type { CopyStepInput } from "./types.ts";
import { resolveDestination } from "./dest.ts";
import { bytesContent, type Content, type SourceItem } from "./entry.ts";
import { checkSources, excludeMatcher, localSources, Scratch } from "./items.ts";
import { download, isUrl, parseChecksum } from "./url.ts";

const buf = new Uint8Array(256 * 1024);

async function contentDigest(content: Content): Promise<string> {
  const h = await createHasher();
  try {
    for (;;) {
      const n = await content.read(buf);
      if (n === null) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    content.close();
  }
  return h.digest();
}

function record(h: Hasher, fields: unknown[]): void {
  h.update(new TextEncoder().encode(`${JSON.stringify(fields)}\n`));
}

async function digestItem(h: Hasher, item: SourceItem): Promise<void> {
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
      e.type === "file" && e.open ? await contentDigest(await e.open()) : "",
    ]);
  }
}

/** The key of a step (see `copyCacheKey`). */
export async function digestStep(input: CopyStepInput): Promise<string> {
  const ins = input.instruction;
  checkSources(ins);
  const exclude = excludeMatcher(ins);
  const dest = resolveDestination(ins.dest, input.workdir);
  const h = await createHasher();
  record(h, [
    "skiff-copy-v1",
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
        await digestItem(h, item);
      }
    }
    for (const s of ins.inline) {
      const bytes = new TextEncoder().encode(s.content);
      record(h, ["inline", s.path, await contentDigest(bytesContent(bytes))]);
    }
  } finally {
    await scratch.cleanup();
  }
  return h.digest();
}
