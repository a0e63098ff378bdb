/**
 * `COPY` and `ADD` for `skiff build`: the cache key of a step (content and
 * metadata of what it copies, never times) and the copy itself into a root
 * file system, inside that root whatever symlinks it holds. The contract
 * with the executor is fixed (BUILD_COPY_API.md); only this module is imported.
 */
import { checkSeveralSources, resolveDestination, under } from "./dest.ts";
import { InvalidArgumentError } from "../../errors.ts";
import type { SourceItem } from "./entry.ts";
import {
  checkSources,
  excludeMatcher,
  inlineItem,
  localSources,
  Scratch,
  unpacked,
  urlItem,
} from "./items.ts";
import { digestStep } from "./key.ts";
import { parseChmod } from "./mode.ts";
import { resolveChown } from "./owner.ts";
import { isUrl } from "./url.ts";
import type { CopyStepInput } from "./types.ts";
import { RootWriter } from "./write.ts";

export type { CopyOrigin, CopyStepInput, DigestMemo } from "./types.ts";

/**
 * The cache key of a COPY/ADD step: a sha256 digest over the instruction's
 * flags (chown, chmod, link, exclude, parents, dest) and the content +
 * metadata of every selected source (names, modes, link targets, sizes,
 * bytes; NOT mtimes). Same inputs, same key; any copied byte or mode
 * changed, a different key. For ADD <url> with --checksum the checksum is
 * used without downloading; otherwise the download's digest.
 *
 * @example
 * ```ts ignore
 * const key = await copyCacheKey({ instruction, origin: { kind: "context", context }, workdir: "/" });
 * ```
 */
export async function copyCacheKey(input: CopyStepInput): Promise<string> {
  return await digestStep(input);
}

/**
 * Writes the step's files into `root` (a host dir: the step's merged
 * overlay or a plain dir), every path resolved inside `root` (an image's
 * symlinks never lead out), with Docker's destination rules, --chown (names
 * looked up in root's /etc/passwd and /etc/group), --chmod, ADD's local tar
 * extraction, ADD <url> (+ --checksum), heredoc sources, --exclude,
 * --parents. Owner defaults to 0:0. Errors: one clear line.
 *
 * @example
 * ```ts ignore
 * await applyCopy({ instruction, origin: { kind: "context", context }, workdir: "/app" }, mergedDir);
 * ```
 */
export async function applyCopy(input: CopyStepInput, root: string): Promise<void> {
  const ins = input.instruction;
  const op = ins.kind;
  checkSources(ins);
  const exclude = excludeMatcher(ins);
  const chmod = parseChmod(ins.chmod);
  const owner = await resolveChown(ins.chown, root);
  const parents = ins.kind === "COPY" && ins.parents;
  const dest = resolveDestination(ins.dest, input.workdir);
  if (parents) dest.isDir = true;
  checkSeveralSources(op, ins.sources.length + ins.inline.length, dest);
  const clampMs = input.sourceDateEpoch === undefined ? undefined : input.sourceDateEpoch * 1000;
  // what the copy makes itself (heredoc files, directories) gets a fixed time, never the
  // build's: SOURCE_DATE_EPOCH when set, else the epoch, so that builds are reproducible
  const nowMs = clampMs ?? 0;
  const scratch = new Scratch();
  try {
    const items: SourceItem[] = [];
    for (const src of ins.sources) {
      if (ins.kind === "ADD" && isUrl(src)) {
        items.push(await urlItem(ins, src, input.fetch ?? fetch, scratch, nowMs));
        continue;
      }
      for (const item of localSources(input.origin, src, op, exclude)) {
        const archive = ins.kind === "ADD" && ins.unpack !== false
          ? await unpacked(item, src, scratch, nowMs)
          : undefined;
        items.push(archive ?? item);
      }
    }
    for (const s of ins.inline) items.push(inlineItem(s, nowMs));
    // several matches of a wildcard go into a directory
    if (items.length > 1) dest.isDir = true;
    const createdDirMode = /^[0-7]+$/.test(ins.chmod) ? parseInt(ins.chmod, 8) : undefined;
    const writer = new RootWriter(root, {
      owner,
      chmod,
      clampMs,
      createdMs: nowMs,
      createdDirMode,
    });
    try {
      for (const item of items) await place(writer, item, dest, parents);
      writer.finish();
    } finally {
      writer.close();
    }
  } finally {
    await scratch.cleanup();
  }
}

/**
 * `COPY --parents`: the item under its kept path, the source's directories
 * on the way copied too, as BuildKit copies them (below the destination,
 * with their metadata); the destination itself is kept as it is.
 */
async function placeWithParents(writer: RootWriter, item: SourceItem, dest: string): Promise<void> {
  const parentOf = (p: string) => p.slice(0, p.lastIndexOf("/")) || "/";
  writer.ensureDir(dest);
  for (const p of item.parentDirs?.() ?? []) {
    const at = under(dest, p.rel);
    writer.ensureDir(parentOf(at));
    await writer.write(at, p, !item.archive);
  }
  const target = under(dest, item.parentsPath);
  writer.ensureDir(parentOf(target));
  for await (const e of item.entries()) {
    const at = under(target, e.rel);
    if (at === dest) continue; // the destination itself
    if (e.linkTo !== undefined) writer.link(at, under(target, e.linkTo));
    else await writer.write(at, e, !item.archive);
  }
}

/** Writes one source item where Docker's rules put it. */
async function place(
  writer: RootWriter,
  item: SourceItem,
  dest: { path: string; isDir: boolean },
  parents: boolean,
): Promise<void> {
  if (parents) return await placeWithParents(writer, item, dest.path);
  let target: string;
  if (item.isDir) target = dest.path;
  else if (dest.isDir || writer.isDir(dest.path)) target = under(dest.path, item.name);
  else target = dest.path;
  if (item.isDir) writer.ensureDir(target);
  else writer.ensureDir(target.slice(0, target.lastIndexOf("/")) || "/");
  for await (const e of item.entries()) {
    if (item.isDir && e.rel === "") continue; // the destination directory itself
    if (item.archive && e.type === "char" && (e.rdev ?? 0) === 0) {
      // the extractor reads `.wh.<name>` entries as layer whiteouts
      throw new InvalidArgumentError(
        `ADD ${item.name}: the archive holds a whiteout entry (.wh.) for ${e.rel}, which skiff does not extract`,
      );
    }
    if (e.linkTo !== undefined) writer.link(under(target, e.rel), under(target, e.linkTo));
    else await writer.write(under(target, e.rel), e, !item.archive);
  }
}
