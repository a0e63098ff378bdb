/**
 * The build cache as a user manages it (root): `system df`'s Build Cache line and its
 * verbose table, `builder prune` (dangling records, `-a`, `--filter until=`,
 * `--keep-storage`), `system prune` removing the cache, the cache surviving `rmi` of the
 * image built; and a build holding what it uses while `rmi`, `image prune` and
 * `builder prune` run in the middle of it.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ok, type Sk, withBusyboxStore } from "../helpers/busybox_store.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: skipUnless(IS_ROOT) };

async function context(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "skiff-build-cache-" });
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/${name}`, text);
  }
  return dir;
}

/** What became of each `#N [...] INSTRUCTION` vertex of a plain build output but FROM. */
function vertices(stderr: string): Map<string, string> {
  const names = new Map<string, string>();
  const out = new Map<string, string>();
  for (const line of stderr.split("\n")) {
    const m = /^#(\d+) (.*)$/.exec(line);
    if (!m) continue;
    if (m[2].startsWith("[") && !/^\[[^\]]*\] FROM /.test(m[2])) {
      names.set(m[1], m[2].replace(/^\[[^\]]*\] /, ""));
    } else if (/^(CACHED|DONE|ERROR)/.test(m[2]) && names.has(m[1])) {
      out.set(names.get(m[1])!, m[2].split(" ")[0].replace(/:$/, ""));
    }
  }
  return out;
}

async function build(sk: Sk, args: string[]): Promise<Map<string, string>> {
  const r = await sk(["build", "--progress=plain", ...args]);
  assertEquals(r.code, 0, r.stderr);
  return vertices(r.stderr);
}

/** The Build Cache line of `system df` as its fields. */
async function cacheLine(sk: Sk): Promise<{ total: number; size: string; reclaimable: string }> {
  const out = await ok(sk, ["system", "df", "--format", "{{json .}}"]);
  const line = out.trim().split("\n").map((l) => JSON.parse(l)).find((l) =>
    l.Type === "Build Cache"
  );
  assert(line, out);
  return { total: Number(line.TotalCount), size: line.Size, reclaimable: line.Reclaimable };
}

const TWO_STAGES = `FROM busybox AS tool
RUN echo tool > /tool

FROM busybox
RUN echo one > /one
COPY --from=tool /tool /tool
RUN echo two > /two
`;

Deno.test(
  "builder prune: dangling records go, -a takes the rest; df counts them; rmi keeps the cache",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      const dir = await context({ Dockerfile: TWO_STAGES });
      try {
        assertEquals((await cacheLine(sk)).total, 0);
        const first = await build(sk, ["-t", "app", dir]);
        assertEquals(first.get("RUN echo tool > /tool"), "DONE");
        const df = await cacheLine(sk);
        assertEquals(df.total, 4, "four steps ran");
        assert(df.size !== "0B", JSON.stringify(df));
        // only the tool stage's layer is in no image: that is all a prune could free
        assert(df.reclaimable !== df.size, JSON.stringify(df));
        const verbose = await ok(sk, ["system", "df", "-v"]);
        assertStringIncludes(verbose, `Build cache usage: ${df.size}`);
        const rows = verbose.split("\n").filter((l) => /\sregular\s/.test(l));
        assertEquals(rows.length, 4, verbose);
        assertEquals(rows.filter((l) => /\strue$/.test(l)).length, 3, "three shared with app");

        // removing the image keeps the cache: the same build is all CACHED, same image
        const id = (await ok(sk, ["image", "inspect", "--format", "{{.Id}}", "app"])).trim();
        await ok(sk, ["rmi", "app"]);
        assertEquals((await cacheLine(sk)).total, 4);
        const again = await build(sk, ["-t", "app", dir]);
        assertEquals([...again.values()], ["CACHED", "CACHED", "CACHED", "CACHED"]);
        assertEquals((await ok(sk, ["image", "inspect", "--format", "{{.Id}}", "app"])).trim(), id);
        assertEquals(
          await ok(sk, ["run", "--rm", "app", "cat", "/tool", "/one", "/two"]),
          "tool\none\ntwo\n",
        );

        // filters that keep everything: recent records, more room than the cache takes
        const none = await ok(sk, ["builder", "prune", "-af", "--filter", "until=1h"]);
        assertEquals(none, "Total reclaimed space: 0B\n");
        const roomy = await ok(sk, ["builder", "prune", "-af", "--keep-storage", "1GB"]);
        assertEquals(roomy, "Total reclaimed space: 0B\n");
        assertEquals((await cacheLine(sk)).total, 4);

        // without -a: only the record no image shares
        const dangling = await ok(sk, ["builder", "prune", "-f"]);
        assertStringIncludes(dangling, "Deleted build cache objects:\n");
        assertEquals(dangling.trim().split("\n").filter((l) => /^[0-9a-f]{25}$/.test(l)).length, 1);
        assert(!dangling.includes("Total reclaimed space: 0B"), dangling);
        assertEquals((await cacheLine(sk)).total, 3);
        const after = await build(sk, ["-t", "app", dir]);
        assertEquals(after.get("RUN echo tool > /tool"), "DONE", "its record was pruned");
        assertEquals(after.get("RUN echo one > /one"), "CACHED");
        assertEquals(await ok(sk, ["run", "--rm", "app", "cat", "/tool"]), "tool\n");

        // -a: every record, and the layers only the cache kept leave the store
        await ok(sk, ["rmi", "app"]);
        const layersBefore = (await Array.fromAsync(Deno.readDir(`${_store.root}/layers`))).length;
        const all = await ok(sk, ["builder", "prune", "-a", "-f"]);
        assertEquals(all.trim().split("\n").filter((l) => /^[0-9a-f]{25}$/.test(l)).length, 4);
        assertEquals((await cacheLine(sk)).total, 0);
        const layersAfter = (await Array.fromAsync(Deno.readDir(`${_store.root}/layers`))).length;
        assertEquals(layersBefore - layersAfter, 4, "the four step layers are gone");
        const cold = await build(sk, ["-t", "app", dir]);
        assertEquals([...cold.values()], ["DONE", "DONE", "DONE", "DONE"]);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  },
);

Deno.test("builder prune: bad flags are refused before anything goes", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    const label = await sk(["builder", "prune", "-f", "--filter", "label=x"]);
    assert(label.code !== 0, label.stderr);
    assertStringIncludes(label.stderr, "label");
    const size = await sk(["builder", "prune", "-f", "--keep-storage", "lots"]);
    assert(size.code !== 0, size.stderr);
    assertStringIncludes(size.stderr, '"--keep-storage"');
    // without -f and no answer: nothing is removed
    const dir = await context({ Dockerfile: "FROM busybox\nRUN echo x > /x\n" });
    try {
      await build(sk, [dir]);
      const asked = await sk(["builder", "prune", "-a"]);
      assertStringIncludes(asked.stdout, "WARNING! This will remove all build cache.");
      assertEquals((await cacheLine(sk)).total, 1);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test(
  "system prune: removes the build cache as docker does (-a: all of it)",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      const dir = await context({ Dockerfile: TWO_STAGES });
      try {
        await build(sk, ["-t", "app", dir]);
        const dangling = await ok(sk, ["system", "prune", "-f"]);
        assertStringIncludes(dangling, "Deleted build cache objects:\n");
        assertEquals((await cacheLine(sk)).total, 3, "the records app shares stay");
        const all = await ok(sk, ["system", "prune", "-af"]);
        assertStringIncludes(all, "Deleted build cache objects:\n");
        assertStringIncludes(all, "Deleted Images:\n");
        assertEquals((await cacheLine(sk)).total, 0);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  },
);

Deno.test(
  "a build holds its base image and cached layers while rmi, image prune and builder prune run",
  opts,
  async () => {
    await withBusyboxStore(async (store, sk) => {
      // the RUN step waits for this server: the removals happen while it runs
      let started!: () => void;
      const running = new Promise<void>((r) => started = r);
      let go!: () => void;
      const proceed = new Promise<void>((r) => go = r);
      const server = Deno.serve(
        { hostname: "127.0.0.1", port: 0, onListen: () => {} },
        async () => {
          started();
          await proceed;
          return new Response("gate\n");
        },
      );
      const dir = await context({
        Dockerfile: `FROM base
RUN echo a > /a
RUN wget -q -O /b http://127.0.0.1:${server.addr.port}/gate
`,
      });
      try {
        // base is busybox under a name of its own, and the only name of its layers
        await ok(sk, ["tag", "busybox", "base"]);
        await ok(sk, ["rmi", "busybox"]);
        // RUN echo a is cached by a first build whose image is gone
        const pre = await context({ Dockerfile: "FROM base\nRUN echo a > /a\n" });
        await build(sk, ["-t", "pre", pre]);
        await Deno.remove(pre, { recursive: true });
        await ok(sk, ["rmi", "pre"]);

        const building = sk(["build", "--progress=plain", "-t", "app", dir]);
        await running;
        await ok(sk, ["rmi", "base"]);
        await ok(sk, ["image", "prune", "-af"]);
        await ok(sk, ["builder", "prune", "-af"]);
        go();
        const r = await building;
        assertEquals(r.code, 0, r.stderr);
        assertEquals(vertices(r.stderr).get("RUN echo a > /a"), "CACHED");
        // the image is whole: it runs, with the base's files and both steps'
        assertEquals(
          await ok(sk, ["run", "--rm", "app", "sh", "-c", "cat /a /b && ls /bin/busybox"]),
          "a\ngate\n/bin/busybox\n",
        );
        const saved = await sk(["save", "-o", `${store.root}/app.tar`, "app"]);
        assertEquals(saved.code, 0, saved.stderr);
        // and when no build runs, what only the build held is collected
        await ok(sk, ["rmi", "app"]);
        await ok(sk, ["builder", "prune", "-af"]);
        assertEquals(
          (await Array.fromAsync(Deno.readDir(`${store.root}/layers`))).filter((e) =>
            e.name !== "l"
          ),
          [],
        );
      } finally {
        go();
        await server.shutdown();
        await Deno.remove(dir, { recursive: true });
      }
    });
  },
);

Deno.test(
  "--cache-to type=local from one store, --cache-from into an empty store: every step reused",
  opts,
  async () => {
    const dir = await context({ Dockerfile: TWO_STAGES });
    const cache = await Deno.makeTempDir({ prefix: "skiff-cache-dir-" });
    try {
      let id = "";
      await withBusyboxStore(async (_store, sk) => {
        const first = await build(sk, ["-t", "app", "--cache-to", `type=local,dest=${cache}`, dir]);
        assertEquals([...first.values()], ["DONE", "DONE", "DONE", "DONE"]);
        id = (await ok(sk, ["image", "inspect", "--format", "{{.Id}}", "app"])).trim();
      });
      const index = JSON.parse(await Deno.readTextFile(`${cache}/skiff-cache.json`));
      assertEquals(Object.keys(index.steps).length, 4);
      await withBusyboxStore(async (_store, sk) => {
        const from = ["--cache-from", `type=local,src=${cache}`];
        const reused = await build(sk, ["-t", "app", ...from, dir]);
        assertEquals([...reused.values()], ["CACHED", "CACHED", "CACHED", "CACHED"]);
        assertEquals((await ok(sk, ["image", "inspect", "--format", "{{.Id}}", "app"])).trim(), id);
        assertEquals(
          await ok(sk, ["run", "--rm", "app", "cat", "/tool", "/one", "/two"]),
          "tool\none\ntwo\n",
        );
        // what came in is the store's own cache now
        assertEquals((await cacheLine(sk)).total, 4);
        // --no-cache runs everything whatever the sources say
        const none = await build(sk, ["--no-cache", ...from, dir]);
        assertEquals([...none.values()], ["DONE", "DONE", "DONE", "DONE"]);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(cache, { recursive: true });
    }
  },
);

Deno.test(
  "--cache-from: a tampered blob or a layer for another parent is a miss, never taken",
  opts,
  async () => {
    const dir = await context({
      Dockerfile: "FROM busybox\nRUN echo one > /one\n",
    });
    const cache = await Deno.makeTempDir({ prefix: "skiff-cache-dir-" });
    try {
      await withBusyboxStore(async (_store, sk) => {
        await build(sk, ["--cache-to", `type=local,dest=${cache}`, dir]);
      });
      const text = await Deno.readTextFile(`${cache}/skiff-cache.json`);
      const steps = Object.values(JSON.parse(text).steps) as { layer: { digest: string } }[];
      assertEquals(steps.length, 1);
      const first = steps[0];
      const blob = `${cache}/blobs/sha256/${first.layer.digest.slice(7)}`;
      const good = await Deno.readFile(blob);
      const attacks: [string, () => Promise<void>][] = [
        ["a layer said to sit on another parent", async () => {
          const index = JSON.parse(text);
          for (const s of Object.values(index.steps) as { layer: { chainId: string } }[]) {
            s.layer.chainId = `sha256:${"0".repeat(64)}`;
          }
          await Deno.writeTextFile(`${cache}/skiff-cache.json`, JSON.stringify(index));
        }],
        ["a blob replaced by other bytes", async () => {
          await Deno.writeTextFile(`${cache}/skiff-cache.json`, text);
          await Deno.writeTextFile(blob, "evil");
        }],
        ["a blob that is a symlink to a host file", async () => {
          await Deno.writeFile(`${cache}/good`, good);
          await Deno.remove(blob);
          await Deno.symlink(`${cache}/good`, blob);
        }],
      ];
      for (const [what, attack] of attacks) {
        await attack();
        await withBusyboxStore(async (store, sk) => {
          const r = await build(sk, ["-t", "t", "--cache-from", `type=local,src=${cache}`, dir]);
          assertEquals([...r.values()], ["DONE"], what);
          assertEquals(await ok(sk, ["run", "--rm", "t", "cat", "/one"]), "one\n");
          const ingest = await Array.fromAsync(Deno.readDir(`${store.root}/ingest`));
          assertEquals(ingest, [], `${what}: nothing half-copied is left`);
        });
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(cache, { recursive: true });
    }
  },
);

Deno.test(
  "--cache-from/--cache-to: other types are one clear error, nothing built",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      const dir = await context({ Dockerfile: "FROM busybox\nRUN echo x > /x\n" });
      try {
        for (
          const [flag, value, says] of [
            ["--cache-to", "type=registry,ref=localhost:5000/c", "type=registry is not supported"],
            ["--cache-from", "type=gha", "type=gha is not supported"],
            ["--cache-from", "busybox", "a bare image name (type=registry) is not supported"],
            ["--cache-to", "type=local", "dest=DIR is required"],
            ["--cache-from", "type=local,src=/x,color=red", "unknown attribute color"],
          ]
        ) {
          const r = await sk(["build", "-t", "no", flag, value, dir]);
          assertEquals(r.code, 1, r.stderr);
          assertStringIncludes(r.stderr, says);
          assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
        }
        assertEquals((await sk(["image", "inspect", "no"])).code, 1);
        assertEquals((await cacheLine(sk)).total, 0);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  },
);

/** Whether `cmd` runs (`args` exits 0). */
function runs(cmd: string, args: string[]): boolean {
  try {
    return new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

// podman and docker are not installed by the set-up (bench/build.sh installs them): these
// tests run where they are (podman configured by scripts/podman_setup.sh; a docker daemon
// answering on its default socket) and are skipped otherwise, even in strict mode.
const PODMAN = IS_ROOT && runs("podman", ["--version"]) &&
  (() => {
    try {
      return Deno.readTextFileSync("/etc/containers/containers.conf").includes(
        "BEGIN skiff podman_setup",
      );
    } catch {
      return false;
    }
  })();
const DOCKER = IS_ROOT && runs("/usr/bin/docker", ["info"]);

const LOADABLE = `FROM busybox
WORKDIR /app
COPY greeting /app/greeting
RUN echo built > /app/built
CMD ["cat", "/app/greeting", "/app/built"]
`;

/** Builds LOADABLE and writes `skiff save` of it to `tar`. */
async function builtArchive(sk: Sk, tar: string): Promise<void> {
  const dir = await context({ Dockerfile: LOADABLE, greeting: "hello\n" });
  try {
    await build(sk, ["-t", "skiffbuilt:latest", dir]);
    await ok(sk, ["save", "-o", tar, "skiffbuilt:latest"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "a built image loads into podman and runs there (skipped where podman is absent)",
  ...opts,
  ignore: !PODMAN,
  fn: async () => {
    await withBusyboxStore(async (store, sk) => {
      const tar = `${store.root}/built.tar`;
      await builtArchive(sk, tar);
      const pm = async (args: string[]) => {
        const out = await new Deno.Command("podman", {
          args: ["--root", `${store.root}/p/root`, "--runroot", `${store.root}/p/run`, ...args],
          stdout: "piped",
          stderr: "piped",
        }).output();
        const text = new TextDecoder();
        assertEquals(out.code, 0, `podman ${args.join(" ")}: ${text.decode(out.stderr)}`);
        return text.decode(out.stdout);
      };
      try {
        await pm(["load", "-q", "-i", tar]);
        assertEquals(await pm(["run", "--rm", "skiffbuilt:latest"]), "hello\nbuilt\n");
        const history = await pm([
          "history",
          "--no-trunc",
          "--format",
          "{{.CreatedBy}}",
          "skiffbuilt",
        ]);
        assertStringIncludes(history, "COPY greeting /app/greeting # buildkit");
      } finally {
        await pm(["rm", "-af"]).catch(() => {});
        await pm(["rmi", "-af"]).catch(() => {});
      }
    });
  },
});

Deno.test({
  name: "a built image loads into docker and runs there (skipped where no docker daemon runs)",
  ...opts,
  ignore: !DOCKER,
  fn: async () => {
    await withBusyboxStore(async (store, sk) => {
      const tar = `${store.root}/built.tar`;
      await builtArchive(sk, tar);
      const dk = async (args: string[]) => {
        const out = await new Deno.Command("/usr/bin/docker", {
          args,
          stdout: "piped",
          stderr: "piped",
        }).output();
        const text = new TextDecoder();
        assertEquals(out.code, 0, `docker ${args.join(" ")}: ${text.decode(out.stderr)}`);
        return text.decode(out.stdout);
      };
      await dk(["load", "-q", "-i", tar]);
      try {
        assertEquals(await dk(["run", "--rm", "skiffbuilt:latest"]), "hello\nbuilt\n");
      } finally {
        await dk(["rmi", "-f", "skiffbuilt:latest"]).catch(() => {});
      }
    });
  },
});

// Opt-in (SKIFF_SLOW_TESTS=1, minutes, needs debootstrap and Debian's mirror): not in the suite.
const SLOW = IS_ROOT && Deno.env.get("SKIFF_SLOW_TESTS") === "1" &&
  runs("debootstrap", ["--version"]);

Deno.test({
  name: "a Debian image made with debootstrap builds with apt-get install (SKIFF_SLOW_TESTS=1)",
  ...opts,
  ignore: !SLOW,
  fn: async () => {
    // the same tree bench/build.sh makes and keeps
    const tar = "/tmp/skiff-bench/debian-bookworm.tar";
    if (!(await Deno.stat(tar).then((s) => s.size > 0, () => false))) {
      const root = await Deno.makeTempDir({ prefix: "skiff-debootstrap-" });
      try {
        const boot = await new Deno.Command("debootstrap", {
          args: ["--variant=minbase", "bookworm", root, "http://deb.debian.org/debian"],
          stdout: "null",
          stderr: "piped",
        }).output();
        assertEquals(boot.code, 0, new TextDecoder().decode(boot.stderr));
        await Deno.mkdir("/tmp/skiff-bench", { recursive: true });
        const pack = await new Deno.Command("tar", {
          args: ["-C", root, "--numeric-owner", "-cf", `${tar}.tmp`, "."],
        }).output();
        assertEquals(pack.code, 0);
        await Deno.rename(`${tar}.tmp`, tar);
      } finally {
        await Deno.remove(root, { recursive: true });
      }
    }
    await withBusyboxStore(async (_store, sk) => {
      await ok(sk, ["import", tar, "debian:minbase"]);
      const dir = await context({
        Dockerfile: `FROM debian:minbase
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends file && rm -rf /var/lib/apt/lists/*
CMD ["file", "--version"]
`,
      });
      try {
        const first = await build(sk, ["-t", "deb", dir]);
        assertEquals([...first.values()], ["DONE"]);
        assertStringIncludes(await ok(sk, ["run", "--rm", "deb"]), "file-5.");
        const again = await build(sk, ["-t", "deb", dir]);
        assertEquals([...again.values()], ["CACHED"]);
        const history = await ok(sk, [
          "history",
          "--no-trunc",
          "--format",
          "{{.CreatedBy}}",
          "deb",
        ]);
        assertStringIncludes(history, "apt-get install -y --no-install-recommends file");
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  },
});
