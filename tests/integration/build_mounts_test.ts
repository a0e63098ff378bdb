/**
 * `skiff build` RUN mounts end to end (root): `--mount=type=bind` from the context (ignore
 * rules applied, read-only unless `rw`, writes discarded, its content in the cache key) and
 * from a stage; `--mount=type=secret` from `--secret` files and variables, at its file or
 * in an environment variable, never in a layer, the config, the history or the build cache;
 * `type=ssh` and `--ssh` refused. Each hostile-input rule is played by an attacker: symlinks
 * in the context and in a stage leading out, `..` sources, a secret looked for in every
 * file of the store.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ok, withBusyboxStore } from "../helpers/busybox_store.ts";
import { skiff, SKIFF_BIN, type TempStore, TEST_CGROUP_PARENT } from "../helpers/skiff.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: skipUnless(IS_ROOT) };

async function context(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "skiff-build-mounts-" });
  for (const [name, text] of Object.entries(files)) {
    await Deno.mkdir(`${dir}/${name}`.replace(/\/[^/]*$/, ""), { recursive: true });
    await Deno.writeTextFile(`${dir}/${name}`, text);
  }
  return dir;
}

/** The `#N [...] INSTRUCTION` vertices of a plain build output with what became of each. */
function vertices(stderr: string): Map<string, string> {
  const names = new Map<string, string>();
  const out = new Map<string, string>();
  for (const line of stderr.split("\n")) {
    const m = /^#(\d+) (.*)$/.exec(line);
    if (!m) continue;
    if (m[2].startsWith("[")) names.set(m[1], m[2].replace(/^\[[^\]]*\] /, ""));
    else if (/^(CACHED|DONE|ERROR)/.test(m[2]) && names.has(m[1])) {
      out.set(names.get(m[1])!, m[2].split(" ")[0].replace(/:$/, ""));
    }
  }
  return out;
}

/** Whether every step but FROM was taken from the cache. */
function allCached(stderr: string): boolean {
  const steps = [...vertices(stderr)].filter(([k]) => !k.startsWith("FROM "));
  return steps.length > 0 && steps.every(([, s]) => s === "CACHED");
}

/** Every regular file under `dir` (symlinks not followed) whose bytes contain `needle`. */
async function filesHolding(dir: string, needle: Uint8Array): Promise<string[]> {
  const found: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for await (const e of Deno.readDir(d)) {
      const p = `${d}/${e.name}`;
      const st = await Deno.lstat(p);
      if (st.isDirectory) await walk(p);
      else if (st.isFile && indexOf(await Deno.readFile(p), needle) >= 0) found.push(p);
    }
  };
  await walk(dir);
  return found;
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

async function sha256(text: string): Promise<string> {
  const d = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test(
  "build: RUN --mount=type=bind from the context and a stage; symlinks and .. never lead out",
  opts,
  async () => {
    await withBusyboxStore(async (store, sk) => {
      // a file beside the context, which no mount may ever show
      const outside = await context({ "host-only.txt": "HOST" });
      const dir = await context({
        "sub/a": "one\n",
        "hidden.txt": "ignored\n",
        ".dockerignore": "hidden.txt\n",
        Dockerfile: `FROM busybox AS b1
RUN mkdir /d && echo fromstage > /d/made && ln -s / /d/up && ln -s ../../../../../../.. /d/rel && touch /marker-b1
FROM busybox
ARG HOSTMARK
RUN --mount=type=bind,target=/src cat /src/sub/a && ls -a /src > /ls-ctx && (touch /src/w 2>/dev/null && echo writable || echo readonly) > /ro
RUN --mount=type=bind,source=evil,target=/e ls /e > /ls-evil; test -e /e$HOSTMARK && echo escaped > /escaped; true
RUN --mount=type=bind,from=b1,source=/d,target=/x cat /x/made > /made
RUN --mount=type=bind,from=b1,source=/d/rel,target=/z test -e /z/marker-b1 && test ! -e /z$HOSTMARK && echo inside > /stage
RUN --mount=type=bind,from=b1,source=/d/up,target=/y,rw test -e /y/marker-b1 && test ! -e /y$HOSTMARK && rm /y/marker-b1 && echo written > /y/new && echo rw-ok > /rw
RUN --mount=type=bind,source=sub,target=/w,rw echo changed > /w/a && cat /w/a > /w-saw
`,
      });
      // the attacker's symlinks in the context: absolute, and relative with too many ..
      await Deno.symlink("/", `${dir}/evil`);
      const hostmark = `${outside}/host-only.txt`;
      try {
        const build = () =>
          sk([
            "build",
            "--progress=plain",
            "--build-arg",
            `HOSTMARK=${hostmark}`,
            "-t",
            "mounts",
            dir,
          ]);
        const first = await build();
        assertEquals(first.code, 0, first.stderr);
        assertStringIncludes(first.stderr, "one");
        const probe = await ok(sk, [
          "run",
          "--rm",
          "mounts",
          "sh",
          "-c",
          "cat /ls-ctx /ro /made /stage /rw /w-saw; ls /ls-evil /escaped 2>&1; " +
          "ls -d /src /x /y /z /w /e 2>&1 | wc -l",
        ]);
        const lines = probe.split("\n");
        // the context as the build sees it: .dockerignore applied, read-only by default
        assert(lines.includes("sub") && lines.includes("Dockerfile"), probe);
        assert(!lines.includes("hidden.txt"), probe);
        assert(lines.includes("readonly"), probe);
        // a stage's file, its symlinks resolved inside the stage, never on the host
        assert(lines.includes("fromstage"), probe);
        assert(lines.includes("inside"), probe);
        assert(lines.includes("rw-ok"), probe);
        assert(lines.includes("changed"), probe);
        // a symlink in the context leading to / is the context's root, not the host's
        assert(lines.some((l) => l.includes("No such file") && l.includes("/escaped")), probe);
        // the mount points are not left in the image (as BuildKit removes them)
        assertEquals(lines.at(-2), "6", probe);
        // writes to an rw mount are discarded: the context and the stage are unchanged
        assertEquals(await Deno.readTextFile(`${dir}/sub/a`), "one\n");
        const stage = await sk(["build", "-q", "--target", "b1", dir]);
        assertEquals(stage.code, 0, stage.stderr);
        assertEquals(
          await ok(sk, [
            "run",
            "--rm",
            stage.stdout.trim(),
            "sh",
            "-c",
            "ls /marker-b1; ls /new 2>/dev/null; true",
          ]),
          "/marker-b1\n",
        );

        // the mounted content is in the cache key: a change to it reruns the step
        const again = await build();
        assertEquals(again.code, 0, again.stderr);
        assert(
          allCached(again.stderr),
          again.stderr,
        );
        await Deno.writeTextFile(`${dir}/sub/a`, "two\n");
        const changed = await build();
        assertEquals(changed.code, 0, changed.stderr);
        const v = vertices(changed.stderr);
        const bindStep = [...v.entries()].find(([k]) => k.includes("target=/src"));
        assertEquals(bindStep?.[1], "DONE", changed.stderr);
        const early = [...v.entries()].find(([k]) => k.includes("echo fromstage"));
        assertEquals(early?.[1], "CACHED", changed.stderr);
        assertStringIncludes(changed.stderr, "two");
      } finally {
        await Deno.remove(dir, { recursive: true });
        await Deno.remove(outside, { recursive: true });
      }
      await noScratchLeft(store);
    });
  },
);

Deno.test(
  "build: a bind mount source out of the context or missing is a one-line error, nothing tagged",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      const dir = await context({ "a": "x" });
      try {
        const cases: [string, string][] = [
          [
            "RUN --mount=type=bind,source=../../../etc,target=/m cat /m/passwd",
            'source "../../../etc": file not found in build context',
          ],
          ["RUN --mount=type=bind,source=nope,target=/m true", "nope"],
          ["RUN --mount=type=bind,from=busybox,source=/nope,target=/m true", '"/nope" not found'],
          ["RUN --mount=type=ssh true", "RUN --mount=type=ssh is not supported"],
        ];
        for (const [line, message] of cases) {
          const r = await sk(["build", "-q", "-t", "bad", "-f", "-", dir], {
            stdin: `FROM busybox\n${line}\n`,
          });
          assertEquals(r.code, 1, `${line}: ${r.stderr}`);
          assertStringIncludes(r.stderr, message);
          assertEquals(r.stderr.trim().split("\n").filter((l) => l.startsWith("Error")).length, 1);
        }
        // mount targets through symlinks the image planted never reach the host
        const host = `/tmp/skiff-escape-${crypto.randomUUID()}`;
        const planted = await sk(["build", "-q", "-f", "-", "--secret", "id=s,env=PATH", dir], {
          stdin: `FROM busybox\nRUN ln -s ${host} /evil && ln -s ${host}/s /evil2\n` +
            `RUN --mount=type=bind,source=a,target=/evil/x --mount=type=secret,id=s,target=/evil2 ` +
            `--mount=type=tmpfs,target=/evil/t true\n`,
        });
        assertEquals(planted.code === 0 || planted.code === 1, true, planted.stderr);
        assertEquals(await Deno.lstat(host).then(() => true, () => false), false);
        const ssh = await sk(["build", "-q", "--ssh", "default", dir]);
        assertEquals(ssh.code, 1);
        assertEquals(
          ssh.stderr.trim(),
          "Error: --ssh is not supported: skiff build does not forward SSH agents",
        );
        assertEquals((await sk(["image", "inspect", "bad"])).code, 1);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  },
);

Deno.test(
  "build: RUN --mount=type=secret from files and variables, never in a layer, config or cache",
  opts,
  async () => {
    await withBusyboxStore(async (store, sk) => {
      const value = `s3cr3t-${crypto.randomUUID()}`;
      const envValue = `env-s3cr3t-${crypto.randomUUID()}`;
      const dir = await context({
        Dockerfile: `FROM busybox
RUN --mount=type=secret,id=tok sha256sum /run/secrets/tok | cut -d' ' -f1 > /tok.sum && stat -c '%a %u %g' /run/secrets/tok > /tok.mode
RUN --mount=type=secret,id=tok,target=/opt/app/key,mode=0440,uid=65534,gid=65534 stat -c '%a %u %g' /opt/app/key > /key.mode && touch /opt/app/other
RUN --mount=type=secret,id=envtok,env=TOKEN printf %s "$TOKEN" | sha256sum | cut -d' ' -f1 > /env.sum; env | grep -c TOKEN= > /env.count
RUN --mount=type=secret,id=absent ls /run/secrets/absent 2>&1 | wc -l > /absent
`,
      });
      const secretFile = `${dir}/../secret-${crypto.randomUUID()}`;
      await Deno.writeTextFile(secretFile, value);
      const run = (more: string[], env: Record<string, string> = {}) =>
        skiff(["build", "--progress=plain", ...more, "-t", "sec", dir], { ...store, env });
      try {
        const r = await run(["--secret", `id=tok,src=${secretFile}`, "--secret", "id=envtok"], {
          envtok: envValue,
        });
        assertEquals(r.code, 0, r.stderr);
        const out = await ok(sk, [
          "run",
          "--rm",
          "sec",
          "sh",
          "-c",
          "cat /tok.sum /tok.mode /key.mode /env.sum /env.count /absent; " +
          "ls /run/secrets /opt/app/key 2>&1 | wc -l; ls /opt/app",
        ]);
        assertEquals(
          out,
          [
            await sha256(value),
            "400 0 0",
            "440 65534 65534",
            await sha256(envValue),
            "1",
            "1", // an absent secret that is not required: no file
            "2", // neither /run/secrets nor the key's mount point is in the image
            "other",
            "",
          ].join("\n"),
        );

        // the attacker looks for the secret everywhere the build wrote: not one file holds it
        for (const needle of [value, envValue]) {
          const bytes = new TextEncoder().encode(needle);
          assertEquals(await filesHolding(store.root, bytes), [], needle);
          assertEquals(await filesHolding(store.runroot, bytes), [], needle);
        }
        const history = await ok(sk, ["history", "--no-trunc", "sec"]);
        const inspect = await ok(sk, ["image", "inspect", "sec"]);
        for (const text of [history, inspect, r.stderr]) {
          assert(!text.includes(value) && !text.includes(envValue), text);
        }
        const saved = `${dir}/../saved-${crypto.randomUUID()}.tar`;
        await ok(sk, ["save", "-o", saved, "sec"]);
        try {
          const tar = await Deno.readFile(saved);
          assertEquals(indexOf(tar, new TextEncoder().encode(value)), -1);
          assertEquals(indexOf(tar, new TextEncoder().encode(envValue)), -1);
        } finally {
          await Deno.remove(saved);
        }

        // a secret's content is not in the cache key: another value reuses every step
        await Deno.writeTextFile(secretFile, "another value");
        const again = await run(["--secret", `id=tok,src=${secretFile}`, "--secret", "id=envtok"], {
          envtok: "x",
        });
        assertEquals(again.code, 0, again.stderr);
        assert(allCached(again.stderr), again.stderr);

        // bad input: a missing file, a required secret not given, an unset variable
        const bad: [string[], string, string][] = [
          [["--secret", "id=tok,src=/nonexistent/file"], dir, "secret tok: failed to read"],
          [["--secret", "id=tok,env=SKIFF_UNSET_VAR"], dir, "SKIFF_UNSET_VAR is not set"],
          [["--secret", "src=x"], dir, "id= is required"],
          [["--secret", "id=a,bogus=1"], dir, "unexpected key 'bogus'"],
          [[], "-", "secret need: not found"],
        ];
        for (const [flags, ctx, message] of bad) {
          const b = await skiff(["build", "-q", "-t", "bad", ...flags, ctx], {
            ...store,
            stdin: "FROM busybox\nRUN --mount=type=secret,id=need,required true\n",
          });
          assertEquals(b.code, 1, `${flags}: ${b.stderr}`);
          assertStringIncludes(b.stderr, message);
        }
        assertEquals((await sk(["image", "inspect", "bad"])).code, 1);

        // a Dockerfile naming a host file as a secret reads nothing: only --secret files are
        const hostile = await sk(["build", "-q", "-"], {
          stdin: "FROM busybox\nRUN --mount=type=secret,source=/etc/hostname,target=/s " +
            "--mount=type=secret,id=../../etc/passwd,target=/p " +
            "sh -c 'test ! -e /s && test ! -e /p && echo nothing-read'\n",
        });
        assertEquals(hostile.code, 0, hostile.stderr);
        const named = await sk(["build", "-q", "-"], {
          stdin: "FROM busybox\nRUN --mount=type=secret,id=/etc/hostname,required true\n",
        });
        assertEquals(named.code, 1);
        assertStringIncludes(named.stderr, "secret /etc/hostname: not found");
      } finally {
        await Deno.remove(dir, { recursive: true });
        await Deno.remove(secretFile).catch(() => {});
      }
      await noScratchLeft(store);
    });
  },
);

async function noScratchLeft(store: TempStore): Promise<void> {
  const left = await Array.fromAsync(Deno.readDir(`${store.root}/tmp`)).catch(() => []);
  assertEquals(left.map((e) => e.name), []);
}

Deno.test(
  "build: --build-context dir and docker-image:// for FROM, COPY --from and mounts; --no-cache-filter",
  opts,
  async () => {
    await withBusyboxStore(async (store, sk) => {
      const outside = await context({ "host-only.txt": "HOST" });
      const dir = await context({
        "a.txt": "main\n",
        Dockerfile: `FROM base AS one
ARG HOSTMARK
COPY --from=more e.txt /e.txt
RUN --mount=type=bind,from=more,target=/m cat /m/e.txt && ls -a /m > /ls-more && (test -e /m/up$HOSTMARK && echo escaped || echo inside) > /where
FROM busybox AS two
RUN echo two > /two
FROM one
COPY --from=two /two /two
RUN cat /e.txt /two
`,
      });
      const more = await context({
        "e.txt": "extra\n",
        "no.txt": "x",
        ".dockerignore": "no.txt\n",
      });
      // the attacker's symlink in the other context leads to / : it stays in that context
      await Deno.symlink("/", `${more}/up`);
      const build = (extra: string[] = []) =>
        skiff([
          "build",
          "--progress=plain",
          "--build-context",
          `more=${more}`,
          "--build-context",
          "base=docker-image://busybox",
          "--build-arg",
          `HOSTMARK=${outside}/host-only.txt`,
          ...extra,
          "-t",
          "named",
          dir,
        ], store);
      try {
        const first = await build();
        assertEquals(first.code, 0, first.stderr);
        const out = await ok(sk, ["run", "--rm", "named", "cat", "/e.txt", "/two", "/where"]);
        assertEquals(out, "extra\ntwo\ninside\n");
        const listed = await ok(sk, ["run", "--rm", "named", "cat", "/ls-more"]);
        assert(listed.split("\n").includes("e.txt") && !listed.includes("no.txt"), listed);

        // --no-cache-filter two: that stage runs again, stage one is taken from the cache
        const filtered = await build(["--no-cache-filter", "two"]);
        assertEquals(filtered.code, 0, filtered.stderr);
        const v = [...vertices(filtered.stderr)];
        assertEquals(v.find(([k]) => k.startsWith("RUN echo two"))?.[1], "DONE", filtered.stderr);
        assertEquals(v.find(([k]) => k.startsWith("COPY --from=more"))?.[1], "CACHED");
        // a changed file in the other context reruns the steps that read it
        await Deno.writeTextFile(`${more}/e.txt`, "changed\n");
        const changed = await build();
        assertEquals(changed.code, 0, changed.stderr);
        assertEquals(
          [...vertices(changed.stderr)].find(([k]) => k.startsWith("COPY --from=more"))?.[1],
          "DONE",
        );

        const bad: [string[], string][] = [
          [["--build-context", "more"], "expected name=path"],
          [["--build-context", `more=${dir}/nope`], "no such directory"],
          [["--build-context", `more=${dir}/a.txt`], "not a directory"],
          [["--build-context", "more=https://example.com/x.git"], "only a directory or"],
          [["--build-context", "more=docker-image://UPPER"], "invalid --build-context"],
        ];
        for (const [flags, message] of bad) {
          const r = await sk(["build", "-q", ...flags, dir]);
          assertEquals(r.code, 1, `${flags}: ${r.stderr}`);
          assertStringIncludes(r.stderr, message);
          assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
        }
        // FROM a directory: its files (ignore rules applied) are the stage's first layer
        const fromDir = await sk([
          "build",
          "--progress=plain",
          "-t",
          "fromdir",
          "--build-context",
          `base=${more}`,
          "-f",
          "-",
          dir,
        ], { stdin: "FROM base\nCOPY --from=busybox /bin/busybox /bin/busybox\n" });
        assertEquals(fromDir.code, 0, fromDir.stderr);
        assertStringIncludes(fromDir.stderr, "[context base] load from client");
        assertEquals(
          await ok(sk, ["run", "--rm", "fromdir", "/bin/busybox", "cat", "/e.txt"]),
          "changed\n",
        );
        const root = await ok(sk, ["run", "--rm", "fromdir", "/bin/busybox", "ls", "-a", "/"]);
        assert(!root.includes("no.txt") && root.split("\n").includes("up"), root);
        const layers = await ok(sk, [
          "image",
          "inspect",
          "-f",
          "{{len .RootFS.Layers}}",
          "fromdir",
        ]);
        assertEquals(layers.trim(), "2");
      } finally {
        for (const d of [dir, more, outside]) await Deno.remove(d, { recursive: true });
      }
      await noScratchLeft(store);
    });
  },
);

Deno.test(
  "build: docker's run flags reach each RUN step's container; the others are accepted",
  opts,
  async () => {
    await withBusyboxStore(async (store, sk) => {
      const v1 = await Deno.stat("/sys/fs/cgroup/memory").then(() => true, () => false);
      const probe = v1
        ? "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpuset/cpuset.cpus " +
          "/sys/fs/cgroup/cpu/cpu.cfs_quota_us; grep -c :memory:/" + TEST_CGROUP_PARENT +
          "/ /proc/self/cgroup"
        : "cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/cpuset.cpus; " +
          "cut -d' ' -f1 /sys/fs/cgroup/cpu.max; echo 1";
      const df = `FROM busybox
RUN (ulimit -n; grep myhost /etc/hosts; df -k /dev/shm | tail -1 | awk '{print $2}'; ${probe}; grep NoNewPrivs /proc/self/status) > /facts
`;
      const flags = [
        "--ulimit",
        "nofile=512:1024",
        "--add-host",
        "myhost:10.1.2.3",
        "--shm-size",
        "32m",
        "-m",
        "64m",
        "--memory-swap",
        "128m",
        "--cpu-shares",
        "512",
        "--cpu-period",
        "100000",
        "--cpu-quota",
        "50000",
        "--cpuset-cpus",
        "0",
        "--cpuset-mems",
        "0",
        "--cgroup-parent",
        TEST_CGROUP_PARENT,
        "--security-opt",
        "no-new-privileges",
        // accepted as docker's BuildKit builder accepts them
        "--compress",
        "--stream",
        "--rm",
        "--force-rm",
        "--disable-content-trust",
        "--isolation",
        "default",
        "--squash",
      ];
      const r = await skiff(["build", "-q", ...flags, "-t", "flags", "-"], { ...store, stdin: df });
      assertEquals(r.code, 0, r.stderr);
      assertStringIncludes(r.stderr, "experimental flag squash is removed with BuildKit");
      assertEquals(
        await ok(sk, ["run", "--rm", "flags", "cat", "/facts"]),
        "512\n10.1.2.3\tmyhost\n32768\n67108864\n0\n50000\n1\nNoNewPrivs:\t1\n",
      );
      // an --add-host changes what RUN sees: the step runs again without it
      const plain = await skiff(["build", "--progress=plain", "-"], { ...store, stdin: df });
      assertEquals(plain.code, 0, plain.stderr);
      assertEquals([...vertices(plain.stderr)].find(([k]) => k.startsWith("RUN"))?.[1], "DONE");

      const bad: [string[], string][] = [
        [["--isolation", "hyperv"], `Invalid isolation: "hyperv"`],
        [["--ulimit", "nofile"], "invalid ulimit argument"],
        [["-m", "lots"], "lots"],
        [["--add-host", "nohost"], "bad format for add-host"],
        [["--cpu-period", "10"], "CPU cfs period can not be less than 1ms"],
        [["--security-opt", "seccomp=/etc/x.json"], "seccomp profile files are not supported"],
      ];
      for (const [f, message] of bad) {
        const b = await skiff(["build", "-q", ...f, "-"], { ...store, stdin: df });
        assertEquals(b.code, 1, `${f}: ${b.stderr}`);
        assertStringIncludes(b.stderr, message);
        assertEquals(b.stderr.trim().split("\n").length, 1, b.stderr);
      }
      await noScratchLeft(store);
    });
  },
);

Deno.test(
  "build: --output local, tar and -o -, the final stage's files only; WORKDIR owned by USER",
  opts,
  async () => {
    await withBusyboxStore(async (store, sk) => {
      const dir = await context({
        Dockerfile: `FROM busybox AS b
RUN mkdir /out && echo hi > /out/f && ln -s /etc/passwd /out/link && ln -s / /out/root && mkdir /out/d && chmod 0750 /out/d
FROM scratch
COPY --from=b /out /
`,
        "wd/Dockerfile": `FROM busybox
USER nobody
WORKDIR /home/x/y
USER 1234:5
WORKDIR /n/m
USER root
WORKDIR /srv
RUN stat -c '%n %u %g' /home/x /home/x/y /n /n/m /srv > /owners
`,
      });
      const out = `${dir}/../out-${crypto.randomUUID()}`;
      try {
        const local = await sk(["build", "--progress=plain", "-t", "notstored", "-o", out, dir]);
        assertEquals(local.code, 0, local.stderr);
        assertStringIncludes(local.stderr, "exporting to client directory");
        assertEquals(
          (await Array.fromAsync(Deno.readDir(out))).map((e) => e.name).sort(),
          ["d", "f", "link", "root"],
        );
        assertEquals(await Deno.readTextFile(`${out}/f`), "hi\n");
        // the image's symlinks are written as symlinks, never followed on the host
        assertEquals(await Deno.readLink(`${out}/link`), "/etc/passwd");
        assertEquals(await Deno.readLink(`${out}/root`), "/");
        assertEquals((await Deno.lstat(`${out}/d`)).mode! & 0o777, 0o750);
        // the result is exported, not stored
        assertEquals((await sk(["image", "inspect", "notstored"])).code, 1);

        const tarFile = `${out}.tar`;
        const tar = await sk(["build", "-q", "--output", `type=tar,dest=${tarFile}`, dir]);
        assertEquals(tar.code, 0, tar.stderr);
        assertEquals(tar.stdout, "");
        const list = new Deno.Command("tar", { args: ["tf", tarFile] });
        const names = new TextDecoder().decode((await list.output()).stdout).trim().split("\n");
        assertEquals(names.sort(), ["d/", "f", "link", "root"]);
        await Deno.remove(tarFile);

        // -o -: the tar on standard output
        const piped = new Deno.Command("sh", {
          args: [
            "-c",
            `"$0" --root "$1" --runroot "$2" build -q -o - --target b "$3" | tar t | grep -c '^out/'`,
            SKIFF_BIN,
            store.root,
            store.runroot,
            dir,
          ],
        });
        const p = await piped.output();
        assertEquals(new TextDecoder().decode(p.stdout).trim(), "5");

        // type=docker|oci,dest=: the image is stored and written as an archive too
        for (const [type, marker] of [["docker", "manifest.json"], ["oci", "oci-layout"]]) {
          const file = `${out}-${type}.tar`;
          const r = await sk([
            "build",
            "-q",
            "-t",
            `arch:${type}`,
            "-o",
            `type=${type},dest=${file}`,
            dir,
          ]);
          assertEquals(r.code, 0, r.stderr);
          assertEquals((await sk(["image", "inspect", `arch:${type}`])).code, 0);
          const t = await new Deno.Command("tar", { args: ["tf", file] }).output();
          assert(new TextDecoder().decode(t.stdout).split("\n").includes(marker), type);
          await Deno.remove(file);
        }

        const bad: [string[], string][] = [
          [["-o", "type=registry"], 'output type "registry" is not supported'],
          [["-o", "type=oci"], "dest is required for oci output"],
          [["-o", "type=local"], "dest is required for local output"],
          [["-o", out], "is not empty"],
          [["-o", `${dir}/Dockerfile`], "is not a directory"],
          [["-o", "a", "-o", "b"], "multiple outputs are not supported"],
        ];
        for (const [flags, message] of bad) {
          const r = await sk(["build", "-q", ...flags, dir]);
          assertEquals(r.code, 1, `${flags}: ${r.stderr}`);
          assertStringIncludes(r.stderr, message);
        }

        // WORKDIR makes its missing directories owned by the USER in effect, as BuildKit
        const wd = await sk(["build", "-q", "-t", "wd", `${dir}/wd`]);
        assertEquals(wd.code, 0, wd.stderr);
        assertEquals(
          await ok(sk, ["run", "--rm", "wd", "cat", "/owners"]),
          "/home/x 65534 65534\n/home/x/y 65534 65534\n/n 1234 5\n/n/m 1234 5\n/srv 0 0\n",
        );
      } finally {
        await Deno.remove(dir, { recursive: true });
        await Deno.remove(out, { recursive: true }).catch(() => {});
      }
      await noScratchLeft(store);
    });
  },
);
