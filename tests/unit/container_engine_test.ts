/**
 * The container verbs of the engine on a temporary store, without starting anything: create
 * checks every option before it pulls or writes and decides the container once; the
 * multi-target verbs report per name; ps filters; prune selects by state and filters.
 */
import { assert, assertEquals, assertRejects } from "../helpers/assert.ts";
import { addImage, tempEngineStore } from "../helpers/fake_images.ts";
import {
  createContainer,
  ensureImage,
  type PullEvents,
} from "../../src/engine/container_create.ts";
import type { PullRegistry } from "../../src/engine/image_pull.ts";
import { quietProgress } from "../../src/image/progress.ts";
import { sha256Digest } from "../../src/image/digest.ts";
import { readTags } from "../../src/store/images.ts";
import { removeContainers } from "../../src/engine/container_lifecycle.ts";
import { listContainerRows, type ListOptions } from "../../src/engine/container_list.ts";
import { containerPruneFilters, pruneContainers } from "../../src/engine/container_prune.ts";
import { inspectContainers } from "../../src/engine/container_inspect.ts";
import { listContainers } from "../../src/runtime/container_store.ts";
import { parseTmpfsFlag } from "../../src/runtime/mounts.ts";
import { defaultRunOptions, type RunOptions } from "../../src/runtime/run_options.ts";
import { InvalidArgumentError, NotFoundError } from "../../src/errors.ts";

/** Pull events that fail the test: nothing here may reach a registry. */
const noPull: PullEvents = {
  pulling: (name) => {
    throw new Error(`unexpected pull of ${name}`);
  },
};

function options(o: Partial<RunOptions> = {}): RunOptions {
  return { ...defaultRunOptions(), cmd: ["sh"], ...o };
}

const LIST: ListOptions = {
  all: false,
  last: -1,
  latest: false,
  filters: [],
  size: false,
  noTrunc: false,
};

Deno.test("create refuses bad options before pulling or writing anything", async () => {
  const { where, store, cleanup } = await tempEngineStore();
  try {
    // "nothere" is not local: a pull would be the first thing done if the checks came later.
    const bad: Partial<RunOptions>[] = [
      { workdir: "relative" },
      { memory: 1024 * 1024 },
      { memorySwap: 64 << 20 },
      { capAdd: ["NOT_A_CAP"] },
      { stopSignal: "SIGNOPE" },
      { mounts: [parseTmpfsFlag("/data"), parseTmpfsFlag("/data")] },
    ];
    for (const o of bad) {
      await assertRejects(
        () => createContainer(where, { image: "nothere", options: options(o) }, noPull),
        InvalidArgumentError,
      );
    }
    await assertRejects(
      () => createContainer(where, { image: "x", name: "bad name!", options: options() }, noPull),
      InvalidArgumentError,
    );
    await assertRejects(
      () => createContainer(where, { image: "x", pull: "sometimes", options: options() }, noPull),
      Error,
    );
    assertEquals(await listContainers(store), []);
  } finally {
    await cleanup();
  }
});

Deno.test("create decides the command, environment, signal, limits and user once", async () => {
  const { where, store, cleanup } = await tempEngineStore();
  try {
    await addImage(store, { tags: ["docker.io/library/app:1"], labels: { from: "image" } });
    const { rec } = await createContainer(where, {
      image: "app:1",
      name: "web",
      pull: "never",
      options: options({
        cmd: ["echo", "hi"],
        env: ["A=1"],
        user: "1000:1000",
        stopSignal: "2",
        memory: 64 << 20,
        privileged: true,
        labels: { from: "flag" },
      }),
    }, noPull);
    assertEquals([rec.Name, rec.Path, rec.Args], ["web", "echo", ["hi"]]);
    assertEquals(rec.Env, ["A=1"]);
    assertEquals([rec.User, rec.StopSignal, rec.StopTimeout], ["1000:1000", "SIGINT", 10]);
    assertEquals(rec.Hostname, rec.Id.slice(0, 12));
    assertEquals(rec.Labels, { from: "flag" });
    // Normalized: swap filled in as twice the memory; --privileged gets every device.
    assertEquals(rec.Limits?.memory, 64 << 20);
    assertEquals(rec.Limits?.memorySwap, 128 << 20);
    assertEquals(rec.Limits?.devices, "all");
    // A missing image with --pull=never is Docker's not-found, with no pull attempted.
    await assertRejects(
      () => createContainer(where, { image: "other", pull: "never", options: options() }, noPull),
      NotFoundError,
    );
  } finally {
    await cleanup();
  }
});

Deno.test("rm, inspect: one report per name, a missing one does not stop the others", async () => {
  const { where, store, cleanup } = await tempEngineStore();
  try {
    await addImage(store, { tags: ["docker.io/library/app:1"] });
    const req = (name: string) => ({ image: "app:1", name, pull: "never", options: options() });
    await createContainer(where, req("a"), noPull);
    await createContainer(where, req("b"), noPull);
    const inspected = await inspectContainers(where, ["a", "nope"], { size: true });
    assertEquals(inspected.map((r) => r.ok), [true, false]);
    assert(inspected[0].ok && inspected[0].value.SizeRw === 0);
    assert(!inspected[1].ok && inspected[1].error instanceof NotFoundError);
    const printed: string[] = [];
    const reports = await removeContainers(where, ["a", "nope", "b"], {
      force: false,
      volumes: false,
    }, (r) => {
      printed.push(r.ok ? r.target : `Error: ${r.error.message}`);
    });
    assertEquals(reports.map((r) => [r.target, r.ok]), [["a", true], ["nope", false], [
      "b",
      true,
    ]]);
    assertEquals(printed, ["a", "Error: No such container: nope", "b"]);
    assertEquals(await listContainers(store), []);
  } finally {
    await cleanup();
  }
});

Deno.test("ps: live containers unless -a, filters by name, label and status", async () => {
  const { where, store, cleanup } = await tempEngineStore();
  try {
    await addImage(store, { tags: ["docker.io/library/app:1"] });
    const make = (name: string, labels: Record<string, string>) =>
      createContainer(where, {
        image: "app:1",
        name,
        pull: "never",
        options: options({ labels }),
      }, noPull);
    await make("web", { tier: "front" });
    await make("db", { tier: "back" });
    const names = async (o: Partial<ListOptions>) =>
      (await listContainerRows(where, { ...LIST, ...o })).map((r) => r.Names);
    assertEquals(await names({}), []);
    assertEquals(await names({ all: true }), ["db", "web"]);
    assertEquals(await names({ filters: ["status=created"] }), ["db", "web"]);
    assertEquals(await names({ all: true, filters: ["name=we"] }), ["web"]);
    assertEquals(await names({ all: true, filters: ["name=^/web$"] }), ["web"]);
    // docker 20.10's daemon tries the name with and without its slash (tests/parity shows it)
    assertEquals(await names({ all: true, filters: ["name=^web"] }), ["web"]);
    assertEquals(await names({ all: true, filters: ["name=^eb"] }), []);
    assertEquals(await names({ last: 1, filters: ["name=^/web$"] }), ["web"]);
    assertEquals(await names({ latest: true, filters: ["label=tier=front"] }), ["web"]);
    assertEquals(await names({ all: true, filters: ["ancestor=app:1"] }), ["db", "web"]);
    assertEquals(await names({ all: true, filters: ["ancestor=app:2"] }), []);
    assertEquals(await names({ all: true, filters: ["label=tier=back"] }), ["db"]);
    assertEquals(await names({ latest: true }), ["db"]);
    await assertRejects(() => names({ filters: ["status=sleeping"] }), InvalidArgumentError);
    await assertRejects(() => names({ filters: ["colour=red"] }), InvalidArgumentError);
  } finally {
    await cleanup();
  }
});

Deno.test("container prune: stopped containers the label filters select", async () => {
  const { where, store, cleanup } = await tempEngineStore();
  try {
    await addImage(store, { tags: ["docker.io/library/app:1"] });
    const make = async (name: string, labels: Record<string, string>) =>
      (await createContainer(where, {
        image: "app:1",
        name,
        pull: "never",
        options: options({ labels }),
      }, noPull)).rec.Id;
    const keep = await make("keep", { keep: "yes" });
    const drop = await make("drop", {});
    const pruned = await pruneContainers(where, containerPruneFilters(["label!=keep"]));
    assertEquals(pruned, { deleted: [drop], reclaimed: 0, errors: [] });
    assertEquals((await listContainers(store)).map((r) => r.Id), [keep]);
    assertEquals(containerPruneFilters(["label=a", "until=2020-01-01T00:00:00Z"]), {
      until: Date.parse("2020-01-01T00:00:00Z"),
      labels: ["a"],
      notLabels: [],
    });
    for (const bad of [["until=1h", "until=2h"], ["name=x"]]) {
      let refused = false;
      try {
        containerPruneFilters(bad);
      } catch (err) {
        refused = err instanceof InvalidArgumentError;
      }
      assert(refused, `${bad} refused`);
    }
  } finally {
    await cleanup();
  }
});

/** A registry with one image (a config, no layers) at `repo:tag`. */
async function oneImageRegistry(repo: string, tag: string): Promise<PullRegistry> {
  const config = new TextEncoder().encode(JSON.stringify({
    architecture: "amd64",
    os: "linux",
    config: { Cmd: ["sh"] },
    rootfs: { type: "layers", diff_ids: [] },
  }));
  const configDigest = await sha256Digest(config);
  const manifest = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: {
      mediaType: "application/vnd.oci.image.config.v1+json",
      digest: configDigest,
      size: config.length,
    },
    layers: [],
  }));
  return {
    async getManifest(repository, reference) {
      if (`${repository}:${reference}` !== `${repo}:${tag}`) {
        throw new NotFoundError(`manifest unknown: ${repository}:${reference}`);
      }
      const digest = await sha256Digest(manifest);
      return { bytes: manifest, mediaType: "application/vnd.oci.image.manifest.v1+json", digest };
    },
    getBlob(_repository, digest) {
      if (digest !== configDigest) return Promise.reject(new NotFoundError(digest));
      return Promise.resolve({ stream: ReadableStream.from([config]), size: config.length });
    },
    tags: () => Promise.resolve([tag]),
  };
}

Deno.test("ensureImage: the local image first, a missing one pulled as the policy says", async () => {
  const { store, cleanup } = await tempEngineStore();
  try {
    const registry = await oneImageRegistry("app", "1");
    const pulled: string[] = [];
    const connected: string[] = [];
    const events: PullEvents = {
      pulling: (name) => {
        pulled.push(name);
        return quietProgress();
      },
    };
    const connect = (host: string, tls: boolean) => {
      connected.push(`${host} tls=${tls}`);
      return registry;
    };
    const name = "reg.example/app:1";
    await assertRejects(
      () => ensureImage(store, name, { pull: "never" }, events, connect),
      NotFoundError,
    );
    assertEquals(pulled, []);
    const first = await ensureImage(store, name, {}, events, connect);
    assertEquals([pulled, connected], [[name], ["reg.example tls=true"]]);
    assertEquals(Object.keys(await readTags(store)), ["reg.example/app:1"]);
    const again = await ensureImage(store, name, { pull: "missing" }, events, connect);
    assertEquals([again.id, pulled.length], [first.id, 1]);
    await ensureImage(store, name, { pull: "always", tlsVerify: false }, events, connect);
    assertEquals(connected, ["reg.example tls=true", "reg.example tls=false"]);
    await assertRejects(
      () => ensureImage(store, "reg.example/other:1", {}, events, connect),
      NotFoundError,
    );
  } finally {
    await cleanup();
  }
});
