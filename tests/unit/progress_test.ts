/**
 * Pull and push progress as a user sees it: on a terminal, the bytes written are played on a
 * small screen model (cursor up, erase line) and the screen is compared; elsewhere, plain lines;
 * with -q, nothing.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import {
  chooseProgress,
  plainProgress,
  quietProgress,
  terminalProgress,
} from "../../src/image/progress.ts";

/** An output that records what is written, a few bytes per call, like a busy pipe. */
function output(terminal: boolean, chunk = 7) {
  const bytes: number[] = [];
  return {
    bytes,
    text: () => new TextDecoder().decode(new Uint8Array(bytes)),
    writeSync(p: Uint8Array): number {
      const n = Math.min(chunk, p.length);
      bytes.push(...p.subarray(0, n));
      return n;
    },
    isTerminal: () => terminal,
  } as unknown as typeof Deno.stdout & { text(): string };
}

/** The lines a terminal shows after `text`: handles "\n", ESC[nA (up) and ESC[2K (erase). */
function screen(text: string): string[] {
  const lines: string[] = [""];
  let row = 0;
  for (let i = 0; i < text.length; i++) {
    const esc = text[i] === "\x1b" ? /^.\[(\d*)([AK])/.exec(text.slice(i)) : null;
    if (esc) {
      if (esc[2] === "A") row = Math.max(0, row - Number(esc[1] || 1));
      else lines[row] = "";
      i += esc[0].length - 1;
    } else if (text[i] === "\n") {
      row++;
      if (lines.length <= row) lines.push("");
    } else {
      lines[row] += text[i];
    }
  }
  return lines;
}

Deno.test("progress on a terminal: one live line per layer, redrawn in place", () => {
  const out = output(true);
  const p = chooseProgress(false, out);
  p.status("aaa", "Pulling fs layer");
  p.status("bbb", "Pulling fs layer");
  assertEquals(screen(out.text()), ["aaa: Pulling fs layer", "bbb: Pulling fs layer", ""]);
  p.bytes("aaa", 1_500_000, 3_000_000);
  p.status("bbb", "Pull complete"); // a status redraws at once, with the bytes seen so far
  assertEquals(screen(out.text()), [
    `aaa: Downloading [${"=".repeat(24)}>${" ".repeat(25)}]  1.50MB/3.00MB`,
    "bbb: Pull complete",
    "",
  ]);
  p.bytes("aaa", 3_000_000, 3_000_000);
  p.status("aaa", "Pull complete");
  p.line("Digest: sha256:abc");
  p.line("Status: Downloaded newer image");
  p.done();
  assertEquals(screen(out.text()), [
    "aaa: Pull complete",
    "bbb: Pull complete",
    "Digest: sha256:abc",
    "Status: Downloaded newer image",
    "",
  ]);
});

Deno.test("progress on a terminal: a layer first seen by its bytes gets a row; sizes read well", () => {
  const out = output(true);
  const p = terminalProgress(out);
  p.bytes("ccc", 0, 0);
  p.done();
  assertEquals(screen(out.text()), [`ccc: Downloading [${" ".repeat(50)}]  0B/0B`, ""]);
  p.bytes("ccc", 999, 2_500_000_000);
  p.done();
  assertEquals(screen(out.text())[0], `ccc: Downloading [${" ".repeat(50)}]  999B/2.50GB`);
  p.bytes("ccc", 12_345, 20_000);
  p.done();
  assertEquals(
    screen(out.text())[0],
    `ccc: Downloading [${"=".repeat(29)}>${" ".repeat(20)}]  12.35kB/20.00kB`,
  );
  // A block redrawn in place never grows the screen.
  assertEquals(screen(out.text()).length, 2);
});

Deno.test("progress elsewhere: a plain line per status, none per byte", () => {
  const out = output(false);
  const p = chooseProgress(false, out);
  p.status("aaa", "Pulling fs layer");
  p.bytes("aaa", 10, 100);
  p.status("aaa", "Pull complete");
  p.line("Digest: sha256:abc");
  p.done();
  assertEquals(out.text(), "aaa: Pulling fs layer\naaa: Pull complete\nDigest: sha256:abc\n");
  assert(!out.text().includes("\x1b"), "escape codes in plain output");
  const direct = output(false);
  plainProgress(direct).line("x");
  assertEquals(direct.text(), "x\n");
});

Deno.test("progress with -q: nothing, even on a terminal", () => {
  const out = output(true);
  for (const p of [chooseProgress(true, out), quietProgress()]) {
    p.status("aaa", "Pulling fs layer");
    p.bytes("aaa", 1, 2);
    p.line("Digest: sha256:abc");
    p.done();
  }
  assertEquals(out.text(), "");
});
