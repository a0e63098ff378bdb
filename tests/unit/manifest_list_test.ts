/**
 * Manifest lists' pure parts: `manifest annotate`'s platform changes and Docker's os/arch pairs,
 * the list's media type and document, and the on-disk record that refuses a damaged entry.
 */
import {
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "../helpers/assert.ts";
import {
  annotatePlatform,
  isValidOsArch,
  listDocument,
  listMediaType,
} from "../../src/image/manifest_list.ts";
import {
  fromBase64,
  type ManifestListRecord,
  readManifestList,
  removeManifestList,
  toBase64,
  updateManifestList,
} from "../../src/image/manifest_list_store.ts";
import { listReference } from "../../src/engine/manifest_lists.ts";
import { openStore } from "../../src/store/store.ts";
import { DigestMismatchError, InvalidArgumentError, NotFoundError } from "../../src/errors.ts";

const DOCKER = "application/vnd.docker.distribution.manifest.v2+json";
const OCI = "application/vnd.oci.image.manifest.v1+json";

async function entry(text: string, mediaType: string) {
  const bytes = new TextEncoder().encode(text);
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const digest = `sha256:${Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("")}`;
  return {
    image: `localhost:5000/app:${text.length}`,
    digest,
    mediaType,
    size: bytes.length,
    platform: { architecture: "amd64", os: "linux" },
    raw: toBase64(bytes),
  };
}

Deno.test("annotate: given fields replace, os features are added once, the pair is checked", () => {
  const p = annotatePlatform({ architecture: "amd64", os: "linux", "os.features": ["a"] }, {
    arch: "arm64",
    variant: "v8",
    osFeatures: ["a", "b"],
    osVersion: "1.0",
  });
  assertEquals(p, {
    architecture: "arm64",
    os: "linux",
    variant: "v8",
    "os.features": ["a", "b"],
    "os.version": "1.0",
  });
  assertEquals(annotatePlatform(undefined, { os: "windows", arch: "amd64" }), {
    architecture: "amd64",
    os: "windows",
  });
  const bad = assertThrows(
    () => annotatePlatform({ architecture: "amd64", os: "linux" }, { os: "plan10" }),
    InvalidArgumentError,
  );
  assertStringIncludes(bad.message, "unsupported os/arch combination: plan10/amd64");
  assertThrows(() => annotatePlatform(undefined, { variant: "v7" }), InvalidArgumentError);
  assertEquals([isValidOsArch("linux", "s390x"), isValidOsArch("darwin", "s390x")], [true, false]);
});

Deno.test("a list of Docker manifests is a Docker list; any OCI entry makes an OCI index", async () => {
  const rec: ManifestListRecord = {
    name: "localhost:5000/app:latest",
    created: "2026-01-01T00:00:00Z",
    entries: [await entry("{}", DOCKER)],
  };
  assertEquals(listMediaType(rec), "application/vnd.docker.distribution.manifest.list.v2+json");
  rec.entries.push(await entry('{"a":1}', OCI));
  const doc = listDocument(rec) as { mediaType: string; manifests: unknown[] };
  assertEquals(doc.mediaType, "application/vnd.oci.image.index.v1+json");
  assertEquals(doc.manifests[1], {
    mediaType: OCI,
    digest: rec.entries[1].digest,
    size: 7,
    platform: { architecture: "amd64", os: "linux" },
  });
  assertEquals(listMediaType({ ...rec, entries: [] }), "application/vnd.oci.image.index.v1+json");
});

Deno.test("list names: normalized as docker does, a digest refused", () => {
  assertEquals(listReference("app").toString(), "docker.io/library/app:latest");
  assertThrows(() => listReference(`app@sha256:${"a".repeat(64)}`), InvalidArgumentError);
});

Deno.test("the record: written whole, read back checked, a damaged entry refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "skiff-lists-" });
  try {
    const store = await openStore({ root: `${dir}/root`, runroot: `${dir}/run` });
    const name = "localhost:5000/app:latest";
    const e = await entry('{"x":"é"}', OCI);
    assertEquals(new TextDecoder().decode(fromBase64(e.raw)), '{"x":"é"}');
    await updateManifestList(store, name, () =>
      Promise.resolve({
        record: { name, created: "2026-01-01T00:00:00Z", entries: [e] },
        result: undefined,
      }));
    assertEquals((await readManifestList(store, name))?.entries, [e]);
    assertEquals(await readManifestList(store, `${name}x`), undefined);
    const files = [...Deno.readDirSync(`${dir}/root/manifests`)].map((f) => f.name);
    assertEquals(files.length, 1);
    // someone edits the bytes behind the digest's back
    const path = `${dir}/root/manifests/${files[0]}`;
    const rec = JSON.parse(Deno.readTextFileSync(path));
    rec.entries[0].raw = toBase64(new TextEncoder().encode('{"x":"evil"}'));
    Deno.writeTextFileSync(path, JSON.stringify(rec));
    const damaged = await assertRejects(() => readManifestList(store, name), DigestMismatchError);
    assertStringIncludes(damaged.message, "is damaged");
    Deno.writeTextFileSync(path, "{ not json");
    const unreadable = await assertRejects(
      () => readManifestList(store, name),
      DigestMismatchError,
    );
    assertStringIncludes(unreadable.message, `remove it with: skiff manifest rm ${name}`);
    await removeManifestList(store, name);
    const gone = await assertRejects(() => removeManifestList(store, name), NotFoundError);
    assertEquals(gone.message, `No such manifest: ${name}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("two amends at once: both entries are kept", async () => {
  const dir = await Deno.makeTempDir({ prefix: "skiff-lists-" });
  try {
    const store = await openStore({ root: `${dir}/root`, runroot: `${dir}/run` });
    const name = "localhost:5000/app:latest";
    const add = async (text: string) => {
      const e = await entry(text, OCI);
      await updateManifestList(store, name, async (rec) => {
        // the other writer gets its turn here if the lock does not hold it off
        await new Promise((r) => setTimeout(r, 20));
        const record = rec ?? { name, created: "2026-01-01T00:00:00Z", entries: [] };
        record.entries.push(e);
        return { record, result: undefined };
      });
    };
    await Promise.all([add("{}"), add('{"b":2}'), add('{"c":33}')]);
    const rec = await readManifestList(store, name);
    assertEquals(rec?.entries.map((e) => e.size).sort(), [2, 7, 8]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
