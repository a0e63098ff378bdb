/**
 * The build executor's pure parts: what metadata steps do to the image config and the
 * history lines they add (BuildKit's wording), dating, the cache key and the progress lines.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { parseDockerfile, planBuild, resolveStages } from "../../src/build/dockerfile/mod.ts";
import {
  applyMetadata,
  goDuration,
  type ImageDoc,
  joinWorkdir,
  runCreatedBy,
  stageStartDoc,
  stepTime,
} from "../../src/build/executor/config.ts";
import { finishDoc, mkdirInRoot } from "../../src/build/executor/execute.ts";
import { canonicalJson, lookupStep, saveStep, stepKey } from "../../src/build/executor/cache.ts";
import { openStore } from "../../src/store/store.ts";
import { putBlobContent, removeBlob } from "../../src/store/blobs.ts";
import { chainIds, ensureLayer } from "../../src/store/layers.ts";
import { PlainProgress } from "../../src/build/executor/progress.ts";
import { runEnv } from "../../src/build/executor/run_step.ts";

const platform = { os: "linux", architecture: "amd64" };

/** Applies every step of a one-stage Dockerfile FROM scratch; returns the doc and history lines. */
function apply(text: string, buildArgs: Record<string, string> = {}) {
  const plan = planBuild(parseDockerfile(text), { buildPlatform: platform, buildArgs });
  const stage = resolveStages(plan, () => ({ env: [] })).get(0)!;
  const doc = stageStartDoc(undefined, platform);
  const facts = { cmdSet: false };
  const lines = stage.steps.map((s) => applyMetadata(doc, s, facts));
  return { doc, lines };
}

Deno.test("config: ENV, LABEL, USER, WORKDIR, STOPSIGNAL, VOLUME, EXPOSE change the config", () => {
  const { doc, lines } = apply(
    [
      "FROM scratch",
      "ENV A=1 B=two",
      "ENV A=3",
      "LABEL x=y",
      "USER app:app",
      "WORKDIR /srv",
      "WORKDIR sub/../web",
      "STOPSIGNAL SIGKILL",
      "VOLUME /data /logs",
      "EXPOSE 80 53/udp",
      "",
    ].join("\n"),
  );
  assertEquals(doc.config.Env, [
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "A=3",
    "B=two",
  ]);
  assertEquals(doc.config.Labels, { x: "y" });
  assertEquals(doc.config.User, "app:app");
  assertEquals(doc.config.WorkingDir, "/srv/web");
  assertEquals(doc.config.StopSignal, "SIGKILL");
  assertEquals(doc.config.Volumes, { "/data": {}, "/logs": {} });
  assertEquals(doc.config.ExposedPorts, { "80/tcp": {}, "53/udp": {} });
  assertEquals(lines, [
    "ENV A=1 B=two",
    "ENV A=3",
    "LABEL x=y",
    "USER app:app",
    "WORKDIR /srv",
    "WORKDIR /srv/web",
    "STOPSIGNAL SIGKILL",
    "VOLUME [/data /logs]",
    "EXPOSE map[53/udp:{} 80/tcp:{}]",
  ]);
});

Deno.test("config: CMD and ENTRYPOINT in both forms, SHELL, and ENTRYPOINT clearing an inherited CMD", () => {
  const a = apply('FROM scratch\nCMD echo hi\nENTRYPOINT ["/init"]\n');
  // a CMD of this stage stays when ENTRYPOINT follows
  assertEquals(a.doc.config.Cmd, ["/bin/sh", "-c", "echo hi"]);
  assertEquals(a.doc.config.Entrypoint, ["/init"]);
  assertEquals(a.lines, ['CMD ["/bin/sh" "-c" "echo hi"]', 'ENTRYPOINT ["/init"]']);

  const b = apply('FROM scratch\nSHELL ["/bin/bash", "-xc"]\nENTRYPOINT run it\n');
  assertEquals(b.doc.config.Shell, ["/bin/bash", "-xc"]);
  assertEquals(b.doc.config.Entrypoint, ["/bin/bash", "-xc", "run it"]);
  assertEquals(b.doc.config.Cmd, null);
  assertEquals(b.lines, ["SHELL [/bin/bash -xc]", 'ENTRYPOINT ["/bin/bash" "-xc" "run it"]']);
});

Deno.test("config: ARG's history shows the Dockerfile's default, never a --build-arg value", () => {
  const { lines } = apply("FROM scratch\nARG  TOKEN=default  OTHER\n", { TOKEN: "s3cret" });
  assertEquals(lines, ["ARG TOKEN=default OTHER"]);
});

Deno.test("config: MAINTAINER sets the author, ONBUILD adds a trigger, HEALTHCHECK as BuildKit prints it", () => {
  const { doc, lines } = apply(
    "FROM scratch\nMAINTAINER Me <me@x>\nONBUILD RUN make\nHEALTHCHECK --interval=30s --retries=3 CMD true\n",
  );
  assertEquals(doc.author, "Me <me@x>");
  assertEquals(doc.config.OnBuild, ["RUN make"]);
  assertEquals(doc.config.Healthcheck, {
    Test: ["CMD-SHELL", "true"],
    Interval: 30e9,
    Retries: 3,
  });
  assertEquals(lines[0], "MAINTAINER Me <me@x>");
  assertEquals(lines[1], "ONBUILD RUN make");
  assertEquals(lines[2], `HEALTHCHECK &{["CMD-SHELL" "true"] "30s" "0s" "0s" "0s" '\\x03'}`);
});

Deno.test("config: a stage keeps its base's config and history, clears its ONBUILD triggers", () => {
  const base: ImageDoc = {
    architecture: "arm64",
    os: "linux",
    created: "2020-01-01T00:00:00Z",
    config: { Env: ["PATH=/bin", "X=1"], OnBuild: ["RUN x"], Cmd: ["sh"] },
    history: [{ created: "2020-01-01T00:00:00Z", created_by: "base" }],
    rootfs: { type: "layers", diff_ids: [] },
  };
  const doc = stageStartDoc(base, platform);
  assertEquals(doc.architecture, "arm64");
  assertEquals(doc.config.Env, ["PATH=/bin", "X=1"]);
  assertEquals(doc.config.OnBuild, undefined);
  assertEquals(doc.config.Cmd, ["sh"]);
  assertEquals(doc.history.length, 1);
  assertEquals(doc.rootfs, undefined);
  assertEquals(base.config.OnBuild, ["RUN x"], "the base is not changed");
});

Deno.test("config: RUN's created_by lists the ARG values in effect that no ENV shadows", () => {
  assertEquals(runCreatedBy(["/bin/sh", "-c", "make"], [], []), "RUN /bin/sh -c make # buildkit");
  assertEquals(
    runCreatedBy(["/bin/sh", "-c", "make"], [["V", "2"], ["A", "x"]], ["A=env"]),
    "RUN |1 V=2 /bin/sh -c make # buildkit",
  );
  assertEquals(runEnv(["A=env", "PATH=/bin"], [["V", "2"], ["A", "x"]]), ["V=2"]);
});

Deno.test("config: dating: metadata entries take the newest time, SOURCE_DATE_EPOCH clamps", () => {
  const doc: ImageDoc = {
    architecture: "amd64",
    os: "linux",
    created: "2020-01-01T00:00:00Z",
    config: {},
    history: [
      { created: "2020-01-01T00:00:00Z", created_by: "base" },
      { created_by: "ENV A=1", empty_layer: true },
      { created: "2024-05-05T10:00:00Z", created_by: "RUN x" },
    ],
  };
  const copy = structuredClone(doc);
  finishDoc(doc);
  assertEquals(doc.created, "2024-05-05T10:00:00Z");
  assertEquals(doc.history[1].created, "2024-05-05T10:00:00Z");
  finishDoc(copy, 1600000000);
  assertEquals(copy.created, "2020-09-13T12:26:40Z");
  assertEquals(stepTime(new Date("2030-01-01T00:00:00Z"), 0), "1970-01-01T00:00:00Z");
  assertEquals(stepTime(new Date("2001-02-03T04:05:06.789Z")), "2001-02-03T04:05:06.789Z");
});

Deno.test("config: WORKDIR joins and cleans as path.Join does; durations as Go prints them", () => {
  assertEquals(joinWorkdir("/a", "b/../c"), "/a/c");
  assertEquals(joinWorkdir("/a", "/x/./y/"), "/x/y");
  assertEquals(joinWorkdir("", "../.."), "/");
  assertEquals(goDuration(0), "0s");
  assertEquals(goDuration(90e9), "1m30s");
  assertEquals(goDuration(1.5e9), "1.5s");
  assertEquals(goDuration(500e6), "500ms");
});

Deno.test("cache key: same inputs same key, any change of parent or step a different key", async () => {
  const a = await stepKey("sha256:p", { run: ["sh", "-c", "x"], args: [["V", "1"]] });
  const same = await stepKey("sha256:p", { args: [["V", "1"]], run: ["sh", "-c", "x"] });
  assertEquals(a, same, "key order does not matter");
  assert(/^sha256:[0-9a-f]{64}$/.test(a));
  assert(a !== await stepKey("sha256:q", { run: ["sh", "-c", "x"], args: [["V", "1"]] }));
  assert(a !== await stepKey("sha256:p", { run: ["sh", "-c", "x"], args: [["V", "2"]] }));
  assert(a !== await stepKey("sha256:p", { run: ["sh", "-c", "y"], args: [["V", "1"]] }));
  assertEquals(
    canonicalJson({ b: 1, a: [undefined, { d: 2, c: null }] }),
    '{"a":[null,{"c":null,"d":2}],"b":1}',
  );
});

Deno.test("progress: BuildKit's plain lines: vertex, timed output, DONE, CACHED, ERROR box", () => {
  const out: string[] = [];
  let now = 0;
  const p = new PlainProgress((s) => out.push(s), () => now);
  const a = p.start("[1/2] FROM busybox");
  p.cached(a);
  const b = p.start("[2/2] RUN make");
  now = 250;
  p.output(b, new TextEncoder().encode("one\ntw"));
  p.output(b, new TextEncoder().encode("o\n"));
  now = 1250;
  p.error(b, "exit code: 2");
  assertEquals(
    out.join(""),
    [
      "#1 [1/2] FROM busybox",
      "#1 CACHED",
      "",
      "#2 [2/2] RUN make",
      "#2 0.250 one",
      "#2 0.250 two",
      "#2 ERROR: exit code: 2",
      "------",
      " > [2/2] RUN make:",
      "0.250 one",
      "0.250 two",
      "------",
      "",
    ].join("\n"),
  );
});

Deno.test("mkdirInRoot: a symlink in the image (absolute, relative, dangling) is followed inside the root only", async () => {
  const root = await Deno.makeTempDir();
  const host = await Deno.makeTempDir();
  try {
    await Deno.symlink(host, `${root}/abs`);
    await Deno.mkdir(`${root}/real`);
    await Deno.symlink("../real/../../../..", `${root}/rel`);
    mkdirInRoot(root, "/abs/made/deep");
    mkdirInRoot(root, "/rel/up");
    mkdirInRoot(root, "/plain/a/../b");
    assertEquals([...Deno.readDirSync(host)], [], "nothing made on the host");
    assert(Deno.statSync(`${root}${host}/made/deep`).isDirectory);
    assert(Deno.statSync(`${root}/up`).isDirectory, "`..` stops at the root");
    assert(Deno.statSync(`${root}/plain/b`).isDirectory);
    mkdirInRoot(root, "/abs/made/deep"); // again: already there
    await Deno.writeTextFile(`${root}/file`, "");
    let failed = false;
    try {
      mkdirInRoot(root, "/file/sub");
    } catch (err) {
      failed = true;
      assert((err as Error).message.includes("/file/sub"), (err as Error).message);
    }
    assert(failed, "a file on the way is an error");
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(host, { recursive: true });
  }
});

Deno.test("cache index: an entry is found again, an entry whose layer left the store is a miss", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const store = await openStore({ root: `${dir}/root`, runroot: `${dir}/run` });
    const empty = await stepKey("sha256:base", { run: ["true"] });
    await saveStep(store, empty, { layer: null, created: "2024-01-01T00:00:00Z" });
    assertEquals(await lookupStep(store, empty), { layer: null, created: "2024-01-01T00:00:00Z" });

    // a layer the store has (its blob and its unpacked form)
    const bytes = new TextEncoder().encode("layer bytes");
    const digest = await putBlobContent(store, bytes);
    const diffId = `sha256:${"1".repeat(64)}`;
    const [chainId] = await chainIds([diffId]);
    await ensureLayer(store, { chainId, diffId }, () => Promise.resolve({ diffId, size: 0 }));
    const layer = {
      digest,
      mediaType: "application/vnd.oci.image.layer.v1.tar",
      size: 11,
      diffId,
      chainId,
    };
    const made = await stepKey("sha256:base", { run: ["make"] });
    await saveStep(store, made, { layer, created: "2024-01-02T00:00:00Z" });
    assertEquals((await lookupStep(store, made))?.layer, layer);

    // pruned (garbage-collected) blob: the entry no longer counts
    await removeBlob(store, digest);
    assertEquals(await lookupStep(store, made), undefined);
    assertEquals(await lookupStep(store, await stepKey("sha256:other", {})), undefined);
    // a key is never a path
    let refused = false;
    try {
      await saveStep(store, "sha256:../../etc", { layer: null, created: "x" });
    } catch {
      refused = true;
    }
    assert(refused);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
