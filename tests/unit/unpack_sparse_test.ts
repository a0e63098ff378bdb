/**
 * GNU sparse members: each of GNU tar's forms is unpacked with the file's full size, its data
 * where it belongs and its holes kept; maps that lie about the data refuse the layer.
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../helpers/assert.ts";
import { buildTar } from "../fixtures/tar/build.ts";
import {
  craftedPax10,
  gnuSparseTar,
  SPARSE_FORMATS,
  sparseContent,
  type SparseSpec,
} from "../fixtures/tar/sparse.ts";
import { unpackLayer } from "../../src/image/unpack.ts";
import { InvalidArgumentError } from "../../src/errors.ts";

function streamOf(bytes: Uint8Array, chunk: number): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream({
    pull(c) {
      if (off >= bytes.length) return c.close();
      c.enqueue(bytes.slice(off, off + chunk));
      off += chunk;
    },
  });
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function withScratch(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "skiff-sparse-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Many stretches: more than an old GNU header holds (extension headers follow) and a PAX 1.0
 * map longer than one block. */
const MANY: SparseSpec = {
  name: "many",
  size: 8 << 20,
  stretches: Array.from({ length: 150 }, (_, i) => [i * 50_000 + i * i, `stretch ${i};`]),
};
/** Ends in a hole, starts with data. */
const ONE: SparseSpec = {
  name: "one",
  size: 3 << 20,
  stretches: [[0, "head"], [1 << 20, "middle"]],
};

for (const format of SPARSE_FORMATS) {
  Deno.test(`unpackLayer: GNU sparse files (${format}) keep their size, data and holes`, async () => {
    const tar = await gnuSparseTar([MANY, ONE], format);
    for (const chunk of [1 << 20, 509]) {
      await withScratch(async (dest) => {
        const { contentSize } = await unpackLayer(streamOf(tar, chunk), dest, { chown: false });
        // the layer's size counts a sparse file at its full size, as a walk of it would
        assertEquals(contentSize, MANY.size + ONE.size, format);
        assertEquals(Array.from(Deno.readDirSync(dest), (e) => e.name).sort(), ["many", "one"]);
        for (const spec of [MANY, ONE]) {
          const path = `${dest}/${spec.name}`;
          const info = await Deno.stat(path);
          assertEquals(info.size, spec.size, `${format} ${spec.name}`);
          assertEquals(
            await sha256(await Deno.readFile(path)),
            await sha256(sparseContent(spec)),
            `${format} ${spec.name}: content`,
          );
          // Holes stay holes: far fewer 512-byte blocks than the size needs.
          assert(info.blocks! * 512 < spec.size / 4, `${spec.name}: ${info.blocks} blocks`);
        }
      });
    }
  });
}

Deno.test("unpackLayer: a sparse file's real name goes through the same checks", async () => {
  await withScratch(async (scratch) => {
    await Deno.mkdir(`${scratch}/dest`);
    const tar = await craftedPax10("../escaped", 10, [[0, 2]], "hi");
    const err = await assertRejects(
      () => unpackLayer(streamOf(tar, 7000), `${scratch}/dest`),
      InvalidArgumentError,
    );
    assertStringIncludes(err.message, `"../escaped" escapes the layer root`);
    assertEquals(Array.from(Deno.readDirSync(scratch), (e) => e.name), ["dest"]);
  });
});

Deno.test("unpackLayer: sparse maps that do not fit the data refuse the layer", async () => {
  const cases: [string, () => Promise<Uint8Array>, string][] = [
    ["overlapping", () => craftedPax10("f", 100, [[0, 5], [3, 5]], "0123456789"), "out of order"],
    ["backwards", () => craftedPax10("f", 100, [[50, 5], [0, 5]], "0123456789"), "out of order"],
    ["past the end", () => craftedPax10("f", 10, [[8, 5]], "01234"), "outside the file"],
    ["huge offset", () => craftedPax10("f", 10, [[2 ** 53, 5]], "01234"), "outside the file"],
    ["short of data", () => craftedPax10("f", 100, [[0, 4]], "0123456789"), "describes 4"],
    ["more than data", () => craftedPax10("f", 100, [[0, 40]], "0123456789"), "describes 40"],
    [
      "too many",
      () => craftedPax10("f", 100, [], "0", { text: `${1 << 24}\n0\n1\n` }),
      "more than",
    ],
    ["not numbers", () => craftedPax10("f", 100, [], "0", { text: "1\nzero\n1\n" }), "malformed"],
    [
      "version 2.0",
      () => craftedPax10("f", 9, [], "", { pax: { "GNU.sparse.major": "2" } }),
      "format 2.0",
    ],
    [
      "no size",
      () => craftedPax10("f", 9, [], "", { pax: { "GNU.sparse.realsize": "x" } }),
      "malformed",
    ],
    [
      "0.1 odd map",
      () => buildTar([{ name: "f", data: "abc", pax: pax01("0,3,7") }]),
      "malformed",
    ],
    [
      "0.1 count wrong",
      () =>
        buildTar([{
          name: "f",
          data: "abc",
          pax: { ...pax01("0,3"), "GNU.sparse.numblocks": "2" },
        }]),
      "malformed",
    ],
    [
      "0.1 overlapping",
      () => buildTar([{ name: "f", data: "abcdef", pax: pax01("0,3,1,3") }]),
      "out of order",
    ],
  ];
  for (const [what, make, says] of cases) {
    await withScratch(async (dest) => {
      const tar = await make();
      const err = await assertRejects(
        () => unpackLayer(streamOf(tar, 7000), dest),
        InvalidArgumentError,
      );
      assertStringIncludes(err.message, "Invalid layer tar", what);
      assertStringIncludes(err.message, says, what);
      assert(!err.message.includes("\n"), `${what}: one line`);
    });
  }
});

Deno.test("unpackLayer: an old GNU sparse header whose real size is too small is refused", async () => {
  const tar = await gnuSparseTar([ONE], "gnu");
  // The header's real size field (offset 483, 12 octal digits): 1 KiB, less than the map's end.
  tar.set(new TextEncoder().encode("00000002000\0"), 483);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : tar[i];
  tar.set(new TextEncoder().encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
  await withScratch(async (dest) => {
    const err = await assertRejects(
      () => unpackLayer(streamOf(tar, 7000), dest),
      InvalidArgumentError,
    );
    assertStringIncludes(err.message, `the sparse map of "one" has a stretch out of order`);
  });
});

function pax01(map: string): Record<string, string> {
  return { "GNU.sparse.size": "100", "GNU.sparse.map": map, "GNU.sparse.name": "f" };
}

Deno.test("unpackLayer: a sparse member named as a whiteout is a whiteout; the next entry follows", async () => {
  const after = await buildTar([{ name: "after", data: "next entry" }]);
  for (const format of SPARSE_FORMATS) {
    const sparse = await gnuSparseTar([{ ...MANY, name: ".wh.gone" }], format);
    const tar = new Uint8Array(sparse.length + after.length);
    tar.set(sparse);
    tar.set(after, sparse.length);
    await withScratch(async (dest) => {
      await unpackLayer(streamOf(tar, 4096), dest, { chown: false });
      const gone = await Deno.lstat(`${dest}/gone`);
      assert(gone.isCharDevice && gone.rdev === 0, `${format}: a whiteout`);
      assertEquals(await Deno.readTextFile(`${dest}/after`), "next entry", format);
      assertEquals(Array.from(Deno.readDirSync(dest), (e) => e.name).sort(), ["after", "gone"]);
    });
  }
});
