/** The types of the COPY/ADD contract (BUILD_COPY_API.md), shared by mod.ts and key.ts. */
import type { AddInstruction, CopyInstruction } from "../dockerfile/mod.ts";
import type { BuildContext } from "../context/mod.ts";

/** Where COPY/ADD sources come from. */
export type CopyOrigin =
  | { kind: "context"; context: BuildContext }
  | { kind: "root"; root: string };

/** One COPY or ADD step, with values already substituted (ResolvedStep.instruction). */
export interface CopyStepInput {
  instruction: CopyInstruction | AddInstruction;
  origin: CopyOrigin;
  /** The stage's WORKDIR (absolute, in-image) that relative destinations are under. */
  workdir: string;
  /** SOURCE_DATE_EPOCH in seconds, when set: clamps the mtimes written. */
  sourceDateEpoch?: number;
  /** For ADD <url>: the fetch to use (tests pass a local server's). */
  fetch?: typeof fetch;
  /** Content digests of context files by stamp, kept between builds (the cache key's). */
  digests?: DigestMemo;
}

/** Remembered content digests, keyed by a file's stamp. */
export interface DigestMemo {
  get(stamp: string): string | undefined;
  set(stamp: string, digest: string): void;
}
