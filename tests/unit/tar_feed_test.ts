/**
 * Feeding a download into the tar extractor: chunks in order, nothing more read while the
 * extractor is full, the end or an input error passed on, and stop() really stops.
 */
import { assertEquals } from "../helpers/assert.ts";
import { feedExtract, type TarWritable } from "../../src/image/tar_feed.ts";

/** An extractor that records calls; `full` makes write() ask the feeder to wait. */
function extractor() {
  const listeners = { drain: new Set<() => void>(), close: new Set<() => void>() };
  const calls: string[] = [];
  const ex = {
    full: false,
    destroyed: false,
    calls,
    emit(event: "drain" | "close") {
      for (const fn of [...listeners[event]]) fn();
    },
    write(chunk: Uint8Array) {
      calls.push(`write ${new TextDecoder().decode(chunk)}`);
      return !ex.full;
    },
    end() {
      calls.push("end");
    },
    destroy(err?: unknown) {
      ex.destroyed = true;
      calls.push(err ? `destroy ${(err as Error).message}` : "destroy");
    },
    on(event: "drain" | "close", fn: () => void) {
      listeners[event].add(fn);
    },
    off(event: "drain" | "close", fn: () => void) {
      listeners[event].delete(fn);
    },
    listening: () => listeners.drain.size + listeners.close.size,
  };
  return ex satisfies TarWritable;
}

/** A stream of `parts` that counts how many were pulled; then ends, or fails with `error`. */
function source(parts: string[], error?: string) {
  const state = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (state.pulled < parts.length) c.enqueue(new TextEncoder().encode(parts[state.pulled++]));
      else if (error) c.error(new Error(error));
      else c.close();
    },
    cancel() {
      state.cancelled = true;
    },
  }, { highWaterMark: 0 });
  return { stream, state };
}

/** Lets every pending promise callback run. */
const settle = () => new Promise((r) => setTimeout(r, 0));

Deno.test("tar feed: every chunk in order, seen by onChunk first, then the end", async () => {
  const ex = extractor();
  const { stream } = source(["a", "b", "c"]);
  const seen: string[] = [];
  const feed = feedExtract(stream, ex, (c) => {
    seen.push(new TextDecoder().decode(c));
    ex.calls.push(`saw ${seen.at(-1)}`);
  });
  await feed.done;
  assertEquals(ex.calls, ["saw a", "write a", "saw b", "write b", "saw c", "write c", "end"]);
  assertEquals(seen, ["a", "b", "c"]);
});

Deno.test("tar feed: nothing more is read while the extractor is full; drain or close resumes", async () => {
  const ex = extractor();
  ex.full = true;
  const { stream, state } = source(["a", "b", "c"]);
  const feed = feedExtract(stream, ex);
  await settle();
  assertEquals([ex.calls, state.pulled], [["write a"], 1]);
  await settle();
  assertEquals(state.pulled, 1); // still waiting
  ex.emit("drain");
  await settle();
  assertEquals([ex.calls, state.pulled], [["write a", "write b"], 2]);
  ex.emit("close");
  ex.full = false;
  await feed.done;
  assertEquals(ex.calls, ["write a", "write b", "write c", "end"]);
  assertEquals(ex.listening(), 0); // the waits left no listeners behind
});

Deno.test("tar feed: an input error destroys the extractor with it, and no end", async () => {
  const ex = extractor();
  const { stream } = source(["a"], "connection reset");
  await feedExtract(stream, ex).done;
  assertEquals(ex.calls, ["write a", "destroy connection reset"]);
});

Deno.test("tar feed: stop() destroys the extractor, cancels the input and waits", async () => {
  const ex = extractor();
  ex.full = true;
  const { stream, state } = source(["a", "b", "c"]);
  const feed = feedExtract(stream, ex);
  await settle();
  const stopping = feed.stop();
  ex.emit("close"); // a destroyed extractor closes, which releases the feeder's wait
  await stopping;
  await feed.done;
  assertEquals(state.cancelled, true);
  assertEquals(ex.calls, ["write a", "destroy"]);
  assertEquals(state.pulled, 1);
});

Deno.test("tar feed: an extractor destroyed as it fills (a refused entry) ends the feed, no hang", async () => {
  const ex = extractor();
  ex.full = true;
  const write = ex.write;
  ex.write = (chunk) => {
    const room = write(chunk);
    ex.destroy(); // tar-stream closes at once: no "drain" or "close" will come after this
    ex.emit("close");
    return room;
  };
  const { stream } = source(["a", "b", "c"]);
  await feedExtract(stream, ex).done; // would never settle if it waited for "close"
  assertEquals(ex.calls, ["write a", "destroy"]);
  assertEquals(ex.listening(), 0);
});
