/**
 * feedExtract against a fake extractor: backpressure honoured, and an extractor destroyed
 * while the feeder waits (a refused archive entry) ends the feed instead of hanging it.
 */
import { assertEquals } from "../helpers/assert.ts";
import { feedExtract, type TarWritable } from "../../src/image/tar_feed.ts";

/** An extractor that takes `capacity` chunks before asking to wait for "drain". */
class FakeExtract implements TarWritable {
  chunks: number[] = [];
  ended = false;
  destroyed = false;
  #listeners = new Map<string, Set<() => void>>();
  constructor(readonly capacity: number, readonly destroyAt = -1) {}
  write(chunk: Uint8Array): boolean {
    this.chunks.push(chunk[0]);
    if (this.chunks.length === this.destroyAt) {
      this.destroy();
      return false;
    }
    return this.chunks.length % this.capacity !== 0;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit("close"); // at once, before the feeder listens
  }
  on(event: string, fn: () => void): void {
    const set = this.#listeners.get(event) ?? new Set();
    set.add(fn);
    this.#listeners.set(event, set);
  }
  off(event: string, fn: () => void): void {
    this.#listeners.get(event)?.delete(fn);
  }
  emit(event: string): void {
    for (const fn of [...(this.#listeners.get(event) ?? [])]) fn();
  }
}

function chunks(n: number): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (i < n) c.enqueue(new Uint8Array([i++]));
      else c.close();
    },
  });
}

Deno.test("feedExtract waits for drain, then ends the extractor", async () => {
  const extract = new FakeExtract(2);
  const seen: number[] = [];
  const feed = feedExtract(chunks(5), extract, (c) => seen.push(c[0]));
  // two chunks in, then the feeder waits for "drain"
  while (extract.chunks.length < 2) await Promise.resolve();
  await new Promise((r) => setTimeout(r, 0));
  assertEquals(extract.chunks, [0, 1]);
  extract.emit("drain");
  while (extract.chunks.length < 4) await Promise.resolve();
  extract.emit("drain");
  await feed.done;
  assertEquals([extract.chunks, seen, extract.ended], [[0, 1, 2, 3, 4], [0, 1, 2, 3, 4], true]);
});

Deno.test("feedExtract ends when the extractor is destroyed while it writes (no hang)", async () => {
  const extract = new FakeExtract(100, 3);
  const feed = feedExtract(chunks(10), extract);
  await feed.done; // would never settle if the feeder waited for a "close" already emitted
  assertEquals([extract.chunks, extract.ended], [[0, 1, 2], false]);
  await feed.stop();
});
