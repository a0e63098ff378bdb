/**
 * Layers that are refused leave nothing behind: a layer with an invalid whiteout, pulled
 * from a real registry and loaded from an archive, is refused with one line, and the store
 * holds nothing of it afterwards.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { startRegistry } from "../helpers/registry.ts";
import { skiff, type TempStore, tempStore } from "../helpers/skiff.ts";
import { buildTar, type FixtureEntry } from "../fixtures/tar/build.ts";
import {
  dockerArchive,
  OCI_LAYER,
  ociArchive,
  pushRawImage,
  rawBlobs,
  type RawImage,
  storeContents,
} from "../helpers/raw_image.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

/** Files first, so that a refusal comes after the unpacker has written some. */
const PLANTED: FixtureEntry[] = [
  { name: "etc/", type: "directory" },
  { name: "etc/planted-by-evil", data: "x".repeat(5000) },
  { name: "bin/", type: "directory", mode: 0o555 },
  { name: "bin/planted-too", data: "y" },
];

const HOSTILE_WHITEOUTS = ["etc/.wh.", "etc/.wh..", "etc/.wh...", ".wh.", "bin/.wh..."];

/** A refused command: one `Error:` line, nothing stored, and `images` still works. */
async function assertRefusedCleanly(
  store: TempStore,
  r: { code: number; stderr: string },
  what: string,
  mentions: string[],
): Promise<void> {
  assert(r.code !== 0, `${what}: must fail`);
  assert(r.stderr.startsWith("Error: "), `${what}: ${r.stderr}`);
  assertEquals(r.stderr.trim().split("\n").length, 1, `${what}: ${r.stderr}`);
  for (const m of mentions) assertStringIncludes(r.stderr, m, what);
  assertEquals(await storeContents(store.root), [], `${what}: the store keeps nothing`);
  const images = await skiff(["images", "-q"], store);
  assertEquals(images.code, 0, `${what}: ${images.stderr}`);
  assertEquals(images.stdout, "", what);
}

Deno.test("a layer with an invalid whiteout is refused and leaves nothing", opts, async () => {
  const reg = await startRegistry();
  const store = await tempStore();
  try {
    for (const [i, bad] of HOSTILE_WHITEOUTS.entries()) {
      const img: RawImage = { layers: [{ bytes: await buildTar([...PLANTED, { name: bad }]) }] };
      const { ref } = await pushRawImage(reg.host, `evil${i}`, img);
      const pulled = await skiff(["pull", ref], store);
      await assertRefusedCleanly(store, pulled, `pull ${bad}`, [`"${bad}"`, "invalid whiteout"]);
      if (i > 1) continue; // the archive formats need not see every name

      const docker = await skiff(["load"], { ...store, stdin: await dockerArchive(img, "evil:1") });
      await assertRefusedCleanly(store, docker, `load docker-archive ${bad}`, [
        "invalid whiteout",
      ]);
      const oci = await skiff(["load"], {
        ...store,
        stdin: await ociArchive(img, "docker.io/library/evil:1"),
      });
      await assertRefusedCleanly(store, oci, `load OCI layout ${bad}`, ["invalid whiteout"]);
    }
    // The same files without the bad entry pull fine: the refusals were for the whiteout.
    const good = await pushRawImage(reg.host, "good", {
      layers: [{ bytes: await buildTar(PLANTED) }],
    });
    const ok = await skiff(["pull", "-q", good.ref], store);
    assertEquals(ok.code, 0, ok.stderr);
  } finally {
    await store.cleanup();
    await reg.stop();
  }
});

/** Descriptors that do not say what an image is made of: each case, and what the error names. */
const BAD_DESCRIPTORS: { what: string; img: (tar: Uint8Array) => RawImage; says: string }[] = [
  {
    what: "a layer of an unknown media type",
    img: (bytes) => ({ layers: [{ bytes, mediaType: "application/x-evil" }] }),
    says: `has an unknown media type: "application/x-evil"`,
  },
  {
    what: "a helm chart as a layer",
    img: (bytes) => ({
      layers: [{ bytes: bytes, mediaType: OCI_LAYER }, {
        bytes,
        mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
      }],
    }),
    says: "layer 2",
  },
  {
    what: "a config typed as a layer",
    img: (bytes) => ({ layers: [{ bytes }], configMediaType: OCI_LAYER }),
    says: `has a layer's media type: "${OCI_LAYER}"`,
  },
];

Deno.test("unknown layer media types and a config typed as a layer are refused", opts, async () => {
  const reg = await startRegistry();
  const store = await tempStore();
  try {
    // A good image first: a refusal must leave it as it was.
    const good = await pushRawImage(reg.host, "good", {
      layers: [{ bytes: await buildTar(PLANTED) }],
    });
    const ok = await skiff(["pull", "-q", good.ref], store);
    assertEquals(ok.code, 0, ok.stderr);
    const before = await storeContents(store.root);
    const images = await skiff(["images", "-q", "--no-trunc"], store);

    const tar = await buildTar([{ name: "evil-file", data: "not guessed" }]);
    for (const [i, bad] of BAD_DESCRIPTORS.entries()) {
      const img = bad.img(tar);
      const blobs = await rawBlobs(img);
      const digest = img.configMediaType ? blobs.configDigest : blobs.layers.at(-1)!.digest;
      const { ref } = await pushRawImage(reg.host, `evil${i}`, img);
      const pulled = await skiff(["pull", ref], store);
      const oci = await skiff(["load"], {
        ...store,
        stdin: await ociArchive(img, "docker.io/library/evil:1"),
      });
      for (const [how, r] of [["pull", pulled], ["load", oci]] as const) {
        const label = `${how} ${bad.what}`;
        assert(r.code !== 0, `${label}: must fail`);
        assert(r.stderr.startsWith("Error: "), `${label}: ${r.stderr}`);
        assertEquals(r.stderr.trim().split("\n").length, 1, `${label}: ${r.stderr}`);
        assertStringIncludes(r.stderr, digest, label);
        assertStringIncludes(r.stderr, bad.says, label);
        assertEquals(await storeContents(store.root), before, `${label}: the store is as it was`);
        const after = await skiff(["images", "-q", "--no-trunc"], store);
        assertEquals(after.stdout, images.stdout, label);
      }
    }
  } finally {
    await store.cleanup();
    await reg.stop();
  }
});

Deno.test(
  "a refused upper layer leaves none of its files, beside a good lower one",
  opts,
  async () => {
    const reg = await startRegistry();
    const store = await tempStore();
    try {
      const lower = await buildTar([{ name: "lower-file", data: "fine" }]);
      const upper = await buildTar([...PLANTED, { name: "etc/.wh..." }]);
      const img: RawImage = { layers: [{ bytes: lower }, { bytes: upper }] };
      const { ref } = await pushRawImage(reg.host, "evil-upper", img);
      for (
        const [how, run] of [
          ["pull", () => skiff(["pull", ref], store)],
          [
            "load",
            async () => skiff(["load"], { ...store, stdin: await dockerArchive(img, "e:1") }),
          ],
        ] as const
      ) {
        const r = await run();
        assert(r.code !== 0, `${how}: must fail`);
        assertEquals(r.stderr.trim().split("\n").length, 1, `${how}: ${r.stderr}`);
        assertStringIncludes(r.stderr, "invalid whiteout", how);
        const left = await storeContents(store.root);
        for (const planted of ["planted-by-evil", "planted-too"]) {
          assertEquals(left.filter((p) => p.endsWith(planted)), [], `${how}: ${left.join(" ")}`);
        }
        assert(!left.some((p) => p.startsWith("tmp/")), `${how}: no scratch: ${left.join(" ")}`);
        assert(!left.some((p) => p.startsWith("ingest/")), `${how}: no ingest: ${left.join(" ")}`);
        const images = await skiff(["images", "-q"], store);
        assertEquals([images.code, images.stdout], [0, ""], `${how}: ${images.stderr}`);
      }
    } finally {
      await store.cleanup();
      await reg.stop();
    }
  },
);
