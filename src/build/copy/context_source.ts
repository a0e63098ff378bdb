/**
 * `COPY`/`ADD` sources from the build context: resolved on the context's
 * tree (src/build/context, which keeps every name inside the context) and
 * read through the context, which opens each file inside its root again.
 * Files from the context are written as root's (0:0), as BuildKit writes them.
 */
import {
  type BuildContext,
  type IgnoreMatcher,
  resolveSources,
  selectedEntries,
  type SourceMatch,
} from "../context/mod.ts";
import { hasWildcards } from "../context/glob.ts";
import type { CopyEntry, SourceItem } from "./entry.ts";
import { parentsBase, wildcardBase } from "./source_path.ts";

/**
 * The sources `src` selects in the context, with `exclude` applied to the
 * names a wildcard matches and to what directories hold.
 */
export function contextSources(
  ctx: BuildContext,
  src: string,
  op: string,
  exclude: IgnoreMatcher | undefined,
): SourceItem[] {
  const pivot = parentsBase(src);
  const matches = resolveSources(ctx.tree, src, op);
  const base = hasWildcards(src) ? wildcardBase(src) : undefined;
  return matches
    .filter((m) => !excludedMatch(m.path, base, exclude))
    .map((m) => contextItem(ctx, m, pivot, exclude));
}

/** Whether a wildcard match is itself excluded (its path below the wildcard's base). */
export function excludedMatch(
  path: string,
  base: string | undefined,
  exclude: IgnoreMatcher | undefined,
): boolean {
  if (base === undefined || !exclude || exclude.empty) return false;
  const rel = base === "" ? path : path.slice(base.length + 1);
  return exclude.excludes(rel);
}

function contextItem(
  ctx: BuildContext,
  m: SourceMatch,
  pivot: string,
  exclude: IgnoreMatcher | undefined,
): SourceItem {
  const isDir = m.node.entry.type === "dir";
  return {
    name: m.name,
    parentsPath: stripPivot(m.path, pivot),
    isDir,
    parentDirs() {
      const out: CopyEntry[] = [];
      for (const rel of ancestors(stripPivot(m.path, pivot))) {
        const e = ctx.tree.get(pivot === "" ? rel : `${pivot}/${rel}`)?.entry;
        if (e?.type !== "dir") continue;
        out.push({ rel, type: "dir", mode: e.mode, uid: 0, gid: 0, size: 0, mtimeMs: e.mtimeMs });
      }
      return out;
    },
    async *entries(): AsyncGenerator<CopyEntry> {
      for (const { rel, node } of selectedEntries(ctx.tree, m, exclude)) {
        const e = node.entry;
        const out: CopyEntry = {
          rel,
          type: e.type,
          mode: e.type === "symlink" ? 0o777 : e.mode,
          uid: 0,
          gid: 0,
          size: e.size,
          linkTarget: e.linkTarget,
          mtimeMs: e.mtimeMs,
          ...(e.stamp !== undefined ? { stamp: e.stamp } : {}),
        };
        let file: Deno.FsFile | undefined;
        if (e.type === "file") {
          out.open = async () => {
            try {
              file?.close();
            } catch {
              // closed at its stream's end
            }
            file = await ctx.open(node);
            return file;
          };
        }
        try {
          yield out;
        } finally {
          try {
            file?.close();
          } catch {
            // closed by the stream's end already
          }
        }
      }
    },
  };
}

/** The directories above `path`, outermost first (`a/b/c` gives `a`, `a/b`). */
export function ancestors(path: string): string[] {
  const parts = path.split("/").filter((p) => p !== "");
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join("/"));
}

/** `path` relative to the `--parents` pivot (`a/./b/c` keeps `b/c`). */
export function stripPivot(path: string, pivot: string): string {
  if (pivot === "") return path;
  if (path === pivot) return "";
  return path.startsWith(`${pivot}/`) ? path.slice(pivot.length + 1) : path;
}
