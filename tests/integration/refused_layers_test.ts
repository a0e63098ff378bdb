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
  ociArchive,
  pushRawImage,
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
