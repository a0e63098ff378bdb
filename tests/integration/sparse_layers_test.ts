/**
 * A layer holding 1 GiB sparse files, packed by GNU tar in each of its sparse forms, is pulled
 * from a registry and loaded from a `docker save` archive: in a container every file has its
 * full size and its data where it belongs, and in the store the unpacked layer keeps the holes.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { startRegistry } from "../helpers/registry.ts";
import { skiff, type TempStore, tempStore } from "../helpers/skiff.ts";
import { ensureFixtures, fixturePaths } from "../helpers/fixtures.ts";
import { dockerArchive, pushRawImage, type RawImage } from "../helpers/raw_image.ts";
import { gnuSparseTar, SPARSE_FORMATS, type SparseSpec } from "../fixtures/tar/sparse.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };
const GiB = 1 << 30;

/** One 1 GiB file per format: data at the start, in the middle and at the very end. */
function spec(format: string): SparseSpec {
  return {
    name: `sparse-${format}`,
    size: GiB,
    stretches: [[0, `head ${format}`], [GiB / 2 + 3, "middle"], [GiB - 4, "tail"]],
  };
}

/** The uncompressed layer of the busybox fixture, so the image has a shell. */
async function busyboxLayer(): Promise<Uint8Array> {
  const dir = fixturePaths(await ensureFixtures()).busybox;
  const blob = (d: string) => `${dir}/blobs/sha256/${d.slice(7)}`;
  const index = JSON.parse(await Deno.readTextFile(`${dir}/index.json`));
  const manifest = JSON.parse(await Deno.readTextFile(blob(index.manifests[0].digest)));
  const gz = await Deno.open(blob(manifest.layers[0].digest));
  const plain = gz.readable.pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(plain).arrayBuffer());
}

/** What the container shows of each file: name, size, and the bytes at each stretch. */
const SCRIPT = SPARSE_FORMATS.map((f) => {
  const s = spec(f);
  const reads = s.stretches.map(([off, data]) =>
    `dd if=/${s.name} bs=1 skip=${off} count=${data.length} 2>/dev/null; echo`
  );
  return [`stat -c '%n %s' /${s.name}`, ...reads].join("; ");
}).join("; ");

const EXPECTED = SPARSE_FORMATS.map((f) => {
  const s = spec(f);
  return [`/${s.name} ${s.size}`, ...s.stretches.map(([, data]) => data)].join("\n") + "\n";
}).join("");

/** Runs the script in `ref` and checks the files; then checks the holes in the store. */
async function checkImage(store: TempStore, ref: string, how: string): Promise<void> {
  const r = await skiff(["run", "--rm", ref, "sh", "-c", SCRIPT], store);
  assertEquals(r.code, 0, `${how}: ${r.stderr}`);
  assertEquals(r.stdout, EXPECTED, how);
  const found: string[] = [];
  for await (const layer of Deno.readDir(`${store.root}/layers`)) {
    for (const f of SPARSE_FORMATS) {
      const path = `${store.root}/layers/${layer.name}/diff/${spec(f).name}`;
      const info = await Deno.lstat(path).catch(() => undefined);
      if (!info) continue;
      found.push(f);
      assertEquals(info.size, GiB, `${how} ${f}`);
      // Three stretches of data: a few blocks, not a GiB of zeros.
      assert(info.blocks! < 1024, `${how} ${f}: ${info.blocks} blocks in the store`);
    }
  }
  assertEquals(found.sort(), [...SPARSE_FORMATS].sort(), `${how}: every sparse file unpacked`);
}

Deno.test(
  "layers with GNU sparse files are pulled and loaded whole, holes kept",
  opts,
  async () => {
    const layers: RawImage["layers"] = [{ bytes: await busyboxLayer() }];
    for (const f of SPARSE_FORMATS) layers.push({ bytes: await gnuSparseTar([spec(f)], f) });
    const img: RawImage = { layers };
    const reg = await startRegistry();
    const pulled = await tempStore();
    const loaded = await tempStore();
    try {
      const { ref } = await pushRawImage(reg.host, "sparse", img);
      const pull = await skiff(["pull", "-q", ref], pulled);
      assertEquals(pull.code, 0, pull.stderr);
      await checkImage(pulled, ref, "pull");

      const load = await skiff(["load"], {
        ...loaded,
        stdin: await dockerArchive(img, "sparse:1"),
      });
      assertEquals(load.code, 0, load.stderr);
      await checkImage(loaded, "sparse:1", "load");
    } finally {
      await pulled.cleanup();
      await loaded.cleanup();
      await reg.stop();
    }
  },
);
