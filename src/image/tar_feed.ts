/**
 * Feeding a web ReadableStream into a tar-stream extractor (a Node-style
 * writable) with backpressure: the next chunk is read only once the
 * extractor has drained.
 */

/** The writable side of a tar-stream extractor, as far as feeding needs it. */
export interface TarWritable {
  write(chunk: Uint8Array): boolean;
  end(): void;
  destroy(err?: unknown): void;
  on(event: "drain" | "close", fn: () => void): unknown;
  off(event: "drain" | "close", fn: () => void): unknown;
  /** Set once destroyed: no "drain" or "close" will come any more. */
  readonly destroyed?: boolean;
}

/** A running feed: `done` settles when the input is consumed; `stop` aborts it. */
export interface TarFeed {
  done: Promise<void>;
  /** Stops reading, destroys the extractor and waits for the feeder to finish. */
  stop(): Promise<void>;
}

/**
 * Starts copying `input` into `extract`; `onChunk` sees every chunk (sizes,
 * digests) before the extractor does.
 *
 * @example
 * ```ts ignore
 * const feed = feedExtract(stream, extract, (c) => hash.update(c));
 * for await (const entry of extract) { ... }
 * await feed.done;
 * ```
 */
export function feedExtract(
  input: ReadableStream<Uint8Array>,
  extract: TarWritable,
  onChunk?: (chunk: Uint8Array) => void,
): TarFeed {
  const reader = input.getReader();
  let stopped = false;
  // an extractor destroyed already (a refused entry) has closed: waiting for it would hang
  const drained = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        extract.off("drain", done);
        extract.off("close", done);
        resolve();
      };
      extract.on("drain", done);
      extract.on("close", done);
      if (extract.destroyed) done();
    });
  const done = (async () => {
    try {
      while (!stopped) {
        const r = await reader.read();
        if (r.done) break;
        onChunk?.(r.value);
        if (!extract.write(r.value)) await drained();
        if (extract.destroyed) break;
      }
      if (!stopped && !extract.destroyed) extract.end();
    } catch (err) {
      extract.destroy(err);
    }
  })();
  return {
    done,
    async stop() {
      stopped = true;
      extract.destroy();
      await reader.cancel().catch(() => {});
      await done;
    },
  };
}
