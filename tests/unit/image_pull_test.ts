/**
 * `pull` in the engine against a fake registry: short names tried on each search registry in
 * turn, `-a` pulling every tag, and the events the command renders; `push` against a fake
 * registry.
 */
import { assertEquals, assertRejects } from "../helpers/assert.ts";
import { addImage, tempEngineStore } from "../helpers/fake_images.ts";
import {
  type PullEvents,
  pullFirstFound,
  pullImageByName,
  type PullRegistry,
} from "../../src/engine/image_pull.ts";
import { pushImageByName } from "../../src/engine/image_push.ts";
import { quietProgress } from "../../src/image/progress.ts";
import type { PushTarget } from "../../src/image/push.ts";
import type { Progress } from "../../src/image/progress.ts";
import { InvalidArgumentError, NotFoundError, UnavailableError } from "../../src/errors.ts";
import { readTags } from "../../src/store/images.ts";
import { sha256Digest as sha256 } from "../../src/image/digest.ts";

/** A registry holding, per repository and tag, a one-config image with no layers. */
async function fakeRegistry(
  images: Record<string, string[]>,
  fail?: Error,
): Promise<PullRegistry> {
  const blobs = new Map<string, Uint8Array>();
  const manifests = new Map<string, Uint8Array>();
  for (const [repo, tags] of Object.entries(images)) {
    for (const tag of tags) {
      const config = new TextEncoder().encode(JSON.stringify({
        architecture: "amd64",
        os: "linux",
        created: "2024-01-01T00:00:00Z",
        config: { Cmd: ["sh"] },
        rootfs: { type: "layers", diff_ids: [] },
        comment: `${repo}:${tag}`,
      }));
      const configDigest = await sha256(config);
      blobs.set(configDigest, config);
      manifests.set(
        `${repo}:${tag}`,
        new TextEncoder().encode(JSON.stringify({
          schemaVersion: 2,
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          config: {
            mediaType: "application/vnd.oci.image.config.v1+json",
            digest: configDigest,
            size: config.length,
          },
          layers: [],
        })),
      );
    }
  }
  return {
    async getManifest(repository, reference) {
      if (fail) throw fail;
      const bytes = manifests.get(`${repository}:${reference}`);
      if (!bytes) throw new NotFoundError(`manifest unknown: ${repository}:${reference}`);
      return {
        bytes,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: await sha256(bytes),
      };
    },
    getBlob(_repository, digest) {
      const bytes = blobs.get(digest);
      if (!bytes) return Promise.reject(new NotFoundError(`blob unknown: ${digest}`));
      return Promise.resolve({ stream: ReadableStream.from([bytes]), size: bytes.length });
    },
    tags(repository) {
      return Promise.resolve(images[repository] ?? []);
    },
  };
}

/** Pull and push events, recorded in order (a progress display records when it is done). */
function recorder(): { lines: string[]; pull: PullEvents; push: (repo: string) => Progress } {
  const lines: string[] = [];
  const display = (): Progress => ({ ...quietProgress(), done: () => lines.push("done") });
  return {
    lines,
    pull: {
      pulling: (tag, repository) => (lines.push(`pulling ${tag} from ${repository}`), display()),
      pullingTag: (tag) => (lines.push(`pulling tag ${tag}`), display()),
      pulledTag: (tag, digest) => lines.push(`pulled ${tag} ${digest}`),
    },
    push: (repository) => (lines.push(`pushing to ${repository}`), display()),
  };
}

const quietPull: PullEvents = {
  pulling: () => quietProgress(),
  pullingTag: () => quietProgress(),
  pulledTag: () => {},
};

async function withSearchRegistries(
  registries: string[],
  fn: () => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  const before = Deno.env.get("SKIFF_REGISTRIES_CONF");
  try {
    await Deno.writeTextFile(
      `${dir}/registries.conf`,
      `unqualified-search-registries = ${JSON.stringify(registries)}\n`,
    );
    Deno.env.set("SKIFF_REGISTRIES_CONF", `${dir}/registries.conf`);
    await fn();
  } finally {
    if (before === undefined) Deno.env.delete("SKIFF_REGISTRIES_CONF");
    else Deno.env.set("SKIFF_REGISTRIES_CONF", before);
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("pull: a short name falls through registries that do not have it", async () => {
  const { where, store, cleanup } = await tempEngineStore();
  try {
    const registries: Record<string, PullRegistry> = {
      "one.example": await fakeRegistry({}),
      "two.example": await fakeRegistry({ app: ["latest"] }),
    };
    await withSearchRegistries(["one.example", "two.example"], async () => {
      const rec = recorder();
      const connected: string[] = [];
      const report = await pullImageByName(where, { name: "app" }, rec.pull, (r, tls) => {
        connected.push(`${r} tls=${tls}`);
        return registries[r];
      });
      assertEquals(
        report.allTags === false && [report.reference, report.familiar, report.changed],
        [
          "two.example/app:latest",
          "two.example/app:latest",
          true,
        ],
      );
      assertEquals(connected, ["one.example tls=true", "two.example tls=true"]);
      assertEquals(rec.lines, [
        "pulling latest from one.example/app",
        "done",
        "pulling latest from two.example/app",
        "done",
      ]);
      assertEquals(Object.keys(await readTags(store)), ["two.example/app:latest"]);
      // The second time nothing new is stored.
      const again = await pullImageByName(
        where,
        { name: "two.example/app" },
        rec.pull,
        (r) => registries[r],
      );
      assertEquals(again.allTags === false && again.changed, false);
    });
  } finally {
    await cleanup();
  }
});

Deno.test("pull: an error other than not-found stops at the first registry", async () => {
  const { where, cleanup } = await tempEngineStore();
  try {
    const down = await fakeRegistry({}, new UnavailableError("connection refused"));
    const good = await fakeRegistry({ app: ["latest"] });
    await withSearchRegistries(["one.example", "two.example"], async () => {
      const err = await assertRejects(
        () =>
          pullImageByName(
            where,
            { name: "app" },
            quietPull,
            (r) => r === "one.example" ? down : good,
          ),
        UnavailableError,
      );
      assertEquals(err.message, "connection refused");
    });
  } finally {
    await cleanup();
  }
});

Deno.test("pull -a: every tag in order, one line each; a tag with -a is refused", async () => {
  const { where, store, cleanup } = await tempEngineStore();
  try {
    const registry = await fakeRegistry({ team: ["2", "1"] });
    const rec = recorder();
    const report = await pullImageByName(
      where,
      { name: "localhost:5000/team", allTags: true, tlsVerify: false },
      rec.pull,
      () => registry,
    );
    assertEquals(report, { allTags: true, repository: "localhost:5000/team" });
    assertEquals(rec.lines.map((l) => l.replace(/sha256:[0-9a-f]{64}/, "DIGEST")), [
      "pulling latest from localhost:5000/team",
      "done",
      "pulling tag 1",
      "done",
      "pulled 1 DIGEST",
      "pulling tag 2",
      "done",
      "pulled 2 DIGEST",
    ]);
    assertEquals(Object.keys(await readTags(store)).sort(), [
      "localhost:5000/team:1",
      "localhost:5000/team:2",
    ]);
    const err = await assertRejects(
      () =>
        pullImageByName(
          where,
          { name: "localhost:5000/team:1", allTags: true },
          rec.pull,
          () => registry,
        ),
      InvalidArgumentError,
    );
    assertEquals(err.message, "tag can't be used with --all-tags/-a");
  } finally {
    await cleanup();
  }
});

Deno.test("push: an image that is not local is named as docker names it", async () => {
  const { where, cleanup } = await tempEngineStore();
  try {
    const err = await assertRejects(
      () => pushImageByName(where, { name: "localhost:5000/none:1" }, () => quietProgress()),
      NotFoundError,
    );
    assertEquals(
      err.message,
      "An image does not exist locally with the tag: localhost:5000/none:1",
    );
  } finally {
    await cleanup();
  }
});

/** A registry that records what is pushed to it, or refuses every upload with `refusal`. */
function fakePushTarget(registry: string, refusal?: Error) {
  const uploaded: string[] = [];
  const manifests: string[] = [];
  const target: PushTarget = {
    registry,
    blobExists: () => Promise.resolve(false),
    mountBlob: () => Promise.resolve(false),
    uploadBlob(repo, digest) {
      if (refusal) return Promise.reject(refusal);
      uploaded.push(`${repo}@${digest}`);
      return Promise.resolve();
    },
    async putManifest(repo, ref, bytes) {
      manifests.push(`${repo}:${ref}`);
      return await sha256(bytes);
    },
  };
  return { target, uploaded, manifests };
}

Deno.test("push: the config and the manifest go to the repository under the tag", async () => {
  const { where, store, cleanup } = await tempEngineStore();
  try {
    const img = await addImage(store, { tags: ["localhost:5000/app:1"] });
    const fake = fakePushTarget("localhost:5000");
    const rec = recorder();
    const connected: string[] = [];
    const report = await pushImageByName(
      where,
      { name: "localhost:5000/app:1", tlsVerify: false },
      rec.push,
      (r, tls) => {
        connected.push(`${r} tls=${tls}`);
        return fake.target;
      },
    );
    assertEquals(connected, ["localhost:5000 tls=false"]);
    assertEquals(report.reference, "localhost:5000/app:1");
    assertEquals(report.tag, "1");
    assertEquals(report.digest, img.manifestDigest);
    assertEquals(fake.uploaded, [`app@${img.id}`]);
    assertEquals(fake.manifests, ["app:1"]);
    assertEquals(rec.lines, ["pushing to localhost:5000/app", "done"]);
  } finally {
    await cleanup();
  }
});

Deno.test("push: a registry's refusal says how to log in", async () => {
  const { where, store, cleanup } = await tempEngineStore();
  try {
    await addImage(store, { tags: ["localhost:5000/app:latest"] });
    const fake = fakePushTarget(
      "localhost:5000",
      new UnavailableError("unauthorized: authentication required"),
    );
    const err = await assertRejects(
      () =>
        pushImageByName(
          where,
          { name: "localhost:5000/app" },
          () => quietProgress(),
          () => fake.target,
        ),
      UnavailableError,
    );
    assertEquals(
      err.message,
      "unauthorized: authentication required: push to localhost:5000/app (log in with: skiff login localhost:5000)",
    );
  } finally {
    await cleanup();
  }
});

Deno.test("pullFirstFound: one progress per attempt, each finished; the record is returned", async () => {
  const { store, cleanup } = await tempEngineStore();
  try {
    const registries: Record<string, PullRegistry> = {
      "one.example": await fakeRegistry({}),
      "two.example": await fakeRegistry({ app: ["latest"] }),
    };
    await withSearchRegistries(["one.example", "two.example"], async () => {
      const events: string[] = [];
      const { ref, result } = await pullFirstFound(store, "app", {}, (r) => ({
        ...quietProgress(),
        line: () => events.push(`line ${r}`),
        done: () => events.push(`done ${r}`),
      }), (r) => registries[r]);
      assertEquals(ref.toString(), "two.example/app:latest");
      assertEquals(events, ["done one.example/app:latest", "done two.example/app:latest"]);
      assertEquals((await readTags(store))["two.example/app:latest"], result.record.id);
    });
  } finally {
    await cleanup();
  }
});
