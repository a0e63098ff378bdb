/**
 * What a `COPY`/`ADD` source brings, whatever it comes from (the build
 * context, another stage's root, a heredoc, a download, an extracted
 * archive): a stream of entries relative to the source, read one at a time.
 */
import type { EntryType } from "../context/mod.ts";

/** One entry of a source, relative to where the source lands. */
export interface CopyEntry {
  /** "" for the source itself; otherwise a slash-separated path below it. */
  rel: string;
  type: EntryType;
  /** Permission, set-id and sticky bits. */
  mode: number;
  /** The owner written when `--chown` is not given. */
  uid: number;
  gid: number;
  /** Bytes of content (files). */
  size: number;
  /** A symlink's target, as stored. */
  linkTarget?: string;
  /** Modification time in ms. */
  mtimeMs: number;
  /** A context file's stamp (ContextEntry.stamp): its content digest may be reused. */
  stamp?: string;
  /** Device number of a character or block device. */
  rdev?: number;
  /** A hard link to the entry of this source at `linkTo` (an earlier `rel`). */
  linkTo?: string;
  /** Extended attributes (file capabilities...), by name. */
  xattrs?: Record<string, Uint8Array>;
  /**
   * Opens the content of a file; valid only until the next entry is asked
   * for (the source closes what it opened).
   */
  open?: () => Promise<Content>;
}

/** A file's content being read (a Deno.FsFile is one). */
export interface Content {
  read(p: Uint8Array): Promise<number | null>;
  close(): void;
  readonly readable: ReadableStream<Uint8Array>;
}

/** Content held in memory (a heredoc). */
export function bytesContent(bytes: Uint8Array): Content {
  let off = 0;
  return {
    read(p) {
      if (off >= bytes.length) return Promise.resolve(null);
      const n = Math.min(p.length, bytes.length - off);
      p.set(bytes.subarray(off, off + n));
      off += n;
      return Promise.resolve(n);
    },
    close() {},
    get readable() {
      return new Blob([bytes.subarray(off) as Uint8Array<ArrayBuffer>]).stream();
    },
  };
}

/** One selected source: its entries and how it is placed. */
export interface SourceItem {
  /** The name it is copied under (a file's base name); "" when it has none. */
  name: string;
  /** Its path as `COPY --parents` keeps it (relative, "" for none). */
  parentsPath: string;
  /** Whether it is a directory (its content is copied, not itself). */
  isDir: boolean;
  /** An extracted archive: `--chmod` does not apply to what it holds (BuildKit's way). */
  archive?: boolean;
  /**
   * For `COPY --parents`: the source's directories above it (below the
   * pivot), outermost first, `rel` their paths as kept; one that is not a
   * plain directory in the source is left out.
   */
  parentDirs?(): CopyEntry[];
  /** Every entry, the source itself (rel "") first, parents before children. */
  entries(): AsyncGenerator<CopyEntry>;
}
