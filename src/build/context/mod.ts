/**
 * The build context: opening a directory or tar archive with its
 * `.dockerignore` applied, resolving `COPY`/`ADD` sources inside it, and the
 * content digest of what they select (for the layer cache key).
 */
export {
  type BuildContext,
  type ContextSource,
  openContext,
  type OpenContextOptions,
} from "./context.ts";
export { type CopyAttributes, digestSources } from "./digest.ts";
export { IgnoreMatcher, parseIgnoreFile } from "./ignore.ts";
export {
  resolveSources,
  selectedEntries,
  type SelectedEntry,
  type SourceMatch,
} from "./sources.ts";
export type { ContextEntry, EntryType, TreeNode } from "./tree.ts";
