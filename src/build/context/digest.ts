/**
 * The content digest of what a `COPY`/`ADD` takes from the context, for the
 * layer cache key: every selected entry's name (relative to its source),
 * type, mode and owner as the build will set them, symlink target and
 * content digest, in a fixed order. Modification times, and the owners the
 * files have in the context, are left out, as BuildKit leaves them out: the
 * key changes when one byte of one selected file changes, and only then.
 */
import { createHasher } from "../../store/hash.ts";
import type { BuildContext } from "./context.ts";
import type { IgnoreMatcher } from "./ignore.ts";
import { selectedEntries, type SourceMatch } from "./sources.ts";
import type { TreeNode } from "./tree.ts";

/** How the build will set what it copies (`--chown`, `--chmod`). */
export interface CopyAttributes {
  /** Owner of every copied entry (default 0:0, as docker without `--chown`). */
  uid?: number;
  gid?: number;
  /** Permission bits of every copied file and directory (`--chmod`); default: kept. */
  mode?: number;
  /** `COPY --exclude` patterns, relative to each source. */
  exclude?: IgnoreMatcher;
}

/**
 * `sha256:<hex>` over the sources in the order given. Reads every selected
 * file through the context (inside its root).
 *
 * @example
 * ```ts ignore
 * const key = await digestSources(ctx, resolveSources(ctx.tree, "src"), { uid: 1000, gid: 1000 });
 * ```
 */
export async function digestSources(
  ctx: BuildContext,
  matches: SourceMatch[],
  attrs: CopyAttributes = {},
): Promise<string> {
  const outer = await createHasher();
  const line = (record: unknown[]) =>
    outer.update(new TextEncoder().encode(`${JSON.stringify(record)}\n`));
  const uid = attrs.uid ?? 0, gid = attrs.gid ?? 0;
  const buf = new Uint8Array(256 * 1024);
  for (const match of matches) {
    line(["source", match.name]);
    for (const { rel, node } of selectedEntries(ctx.tree, match, attrs.exclude)) {
      const e = node.entry;
      const mode = attrs.mode !== undefined && (e.type === "file" || e.type === "dir")
        ? attrs.mode
        : e.type === "symlink"
        ? 0o777
        : e.mode;
      line([
        rel,
        e.type,
        mode.toString(8),
        uid,
        gid,
        e.linkTarget ?? "",
        e.type === "file" ? await fileDigest(ctx, node, buf) : "",
      ]);
    }
  }
  return outer.digest();
}

async function fileDigest(ctx: BuildContext, node: TreeNode, buf: Uint8Array): Promise<string> {
  const h = await createHasher();
  const file = await ctx.open(node);
  try {
    for (;;) {
      const n = await file.read(buf);
      if (n === null) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    file.close();
  }
  return h.digest();
}
