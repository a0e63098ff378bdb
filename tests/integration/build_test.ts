/**
 * `skiff build` end to end (root): Dockerfiles FROM the busybox fixture, the result checked
 * by running it, by `history` and by `inspect`; the layer cache (a second build all CACHED
 * with the same image id, a late --build-arg rerunning only the late step); failures and bad
 * input leaving nothing tagged and no container behind.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ok, type Sk, withBusyboxStore } from "../helpers/busybox_store.ts";
import { SKIFF_BIN, type TempStore } from "../helpers/skiff.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: skipUnless(IS_ROOT) };

async function context(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "skiff-build-" });
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

/** Nothing a build ran is left: no container, no scratch directory. */
async function nothingLeft(store: TempStore, sk: Sk): Promise<void> {
  assertEquals(await ok(sk, ["ps", "-aq"]), "");
  const left = await Array.fromAsync(Deno.readDir(`${store.root}/tmp`)).catch(() => []);
  assertEquals(left.map((e) => e.name), []);
}

const MAIN = `FROM busybox AS base
ARG V=1
ENV GREETING=hello
WORKDIR /app
RUN echo "built $V" > /app/out && rm /bin/yes && mkdir -p /var/x && echo ran-first

FROM base AS final
LABEL org.example=yes
USER nobody
EXPOSE 8080
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /app/out; echo $GREETING"]
ARG LATE=a
RUN echo "late $LATE" > /tmp/late

FROM busybox AS other
RUN echo other > /other
`;

Deno.test(
  "build: files, whiteouts and the config of a multi-stage build, then all CACHED",
  opts,
  async () => {
    await withBusyboxStore(async (store, sk) => {
      const dir = await context({ Dockerfile: MAIN });
      try {
        const first = await sk([
          "build",
          "--progress=plain",
          "-t",
          "app",
          "--target",
          "final",
          dir,
        ]);
        assertEquals(first.code, 0, first.stderr);
        assertStringIncludes(first.stderr, "ran-first");
        const v1 = vertices(first.stderr);
        assertEquals(v1.get("RUN echo other > /other"), undefined, "stage other is not needed");
        assertEquals(v1.get('RUN echo "late $LATE" > /tmp/late'), "DONE");

        // the result runs: RUN's files, the deleted base file (a whiteout), ENV, USER, WORKDIR
        assertEquals(await ok(sk, ["run", "--rm", "app"]), "built 1\nhello\n");
        const probe = await sk([
          "run",
          "--rm",
          "app",
          "id -u; pwd; cat /tmp/late; test -e /bin/yes || echo gone; test -d /var/x && echo dir",
        ]);
        assertEquals(probe.stdout, "65534\n/app\nlate a\ngone\ndir\n", probe.stderr);

        const cfg = JSON.parse(
          await ok(sk, ["image", "inspect", "--format", "{{json .Config}}", "app"]),
        );
        assertEquals(cfg.User, "nobody");
        assertEquals(cfg.WorkingDir, "/app");
        assertEquals(cfg.Entrypoint, ["/bin/sh", "-c"]);
        assertEquals(cfg.Cmd, ["cat /app/out; echo $GREETING"]);
        assert(cfg.Env.includes("GREETING=hello"), cfg.Env);
        assertEquals(cfg.Labels["org.example"], "yes");
        assertEquals(Object.keys(cfg.ExposedPorts), ["8080/tcp"]);

        const history = await ok(sk, [
          "history",
          "--no-trunc",
          "--format",
          "{{.CreatedBy}} @@ {{.Size}}",
          "app",
        ]);
        const lines = history.trim().split("\n");
        assertEquals(
          lines[0].split(" @@ ")[0],
          'RUN |2 V=1 LATE=a /bin/sh -c echo "late $LATE" > /tmp/late # buildkit',
        );
        assert(lines.includes("USER nobody @@ 0B"), history);
        assert(lines.includes("ENV GREETING=hello @@ 0B"), history);
        // a directory is 0B as docker sizes it; that WORKDIR made a layer the count says
        assert(lines.includes("WORKDIR /app @@ 0B"), history);
        const layers = Number(
          await ok(sk, ["image", "inspect", "--format", "{{len .RootFS.Layers}}", "app"]),
        );
        const baseLayers = Number(
          await ok(sk, ["image", "inspect", "--format", "{{len .RootFS.Layers}}", "busybox"]),
        );
        assertEquals(layers, baseLayers + 3, "WORKDIR (missing dir), two RUNs");
        await nothingLeft(store, sk);

        // the same build again: every step CACHED, the very same image
        const id = (await ok(sk, ["image", "inspect", "--format", "{{.Id}}", "app"])).trim();
        const again = await sk([
          "build",
          "--progress=plain",
          "-t",
          "app",
          "--target",
          "final",
          dir,
        ]);
        assertEquals(again.code, 0, again.stderr);
        const v2 = vertices(again.stderr);
        const ran = [...v2].filter(([name, state]) =>
          state !== "CACHED" && !name.startsWith("FROM")
        );
        assertEquals(ran, []);
        assert(v2.size >= 3, again.stderr);
        assertEquals((await ok(sk, ["image", "inspect", "--format", "{{.Id}}", "app"])).trim(), id);
        const quiet = await sk(["build", "-q", "--target", "final", dir]);
        assertEquals(quiet.stdout.trim(), id);

        // a late build argument changed: only the late step runs again
        const late = await sk([
          "build",
          "--progress=plain",
          "-t",
          "app2",
          "--target=final",
          "--build-arg",
          "LATE=b",
          dir,
        ]);
        assertEquals(late.code, 0, late.stderr);
        const v3 = vertices(late.stderr);
        assertEquals(v3.get('RUN echo "late $LATE" > /tmp/late'), "DONE");
        assertEquals(v3.get("WORKDIR /app"), "CACHED");
        assertEquals(
          v3.get(
            'RUN echo "built $V" > /app/out && rm /bin/yes && mkdir -p /var/x && echo ran-first',
          ),
          "CACHED",
        );
        assertEquals(await ok(sk, ["run", "--rm", "app2", "cat /tmp/late"]), "late b\n");

        // --no-cache runs everything again
        const fresh = await sk([
          "build",
          "--progress=plain",
          "--no-cache",
          "--target",
          "final",
          dir,
        ]);
        assertEquals(fresh.code, 0, fresh.stderr);
        assert(![...vertices(fresh.stderr).values()].includes("CACHED"), fresh.stderr);
        await nothingLeft(store, sk);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  },
);

Deno.test(
  "build: a failing RUN exits 1 with its output, tags nothing, keeps the earlier cache",
  opts,
  async () => {
    await withBusyboxStore(async (store, sk) => {
      const dir = await context({
        Dockerfile: "FROM busybox\nRUN echo early > /early\nRUN echo oops-output; exit 3\n",
      });
      try {
        const before = await ok(sk, ["images", "-a", "-q", "--no-trunc"]);
        const r = await sk(["build", "--progress=plain", "-t", "broken", dir]);
        assertEquals(r.code, 1);
        assertStringIncludes(r.stderr, "oops-output");
        assertStringIncludes(r.stderr, "exit code: 3");
        assertStringIncludes(
          r.stderr,
          'Error: process "/bin/sh -c echo oops-output; exit 3" did not complete successfully: exit code: 3',
        );
        assertEquals(await ok(sk, ["images", "-a", "-q", "--no-trunc"]), before);
        await nothingLeft(store, sk);
        const again = await sk(["build", "--progress=plain", "-t", "broken", dir]);
        assertEquals(vertices(again.stderr).get("RUN echo early > /early"), "CACHED");

        // two builds at once: both succeed, and the cache they wrote serves a third
        const df = "FROM busybox\nRUN echo twice > /twice\nRUN echo more >> /twice\n";
        const both = await Promise.all(
          [1, 2].map((n) => sk(["build", "--progress=plain", "-t", `par${n}`, "-"], { stdin: df })),
        );
        for (const r of both) assertEquals(r.code, 0, r.stderr);
        const third = await sk(["build", "--progress=plain", "-"], { stdin: df });
        const states = [...vertices(third.stderr)].filter(([n]) => n.startsWith("RUN"));
        assertEquals(states.map(([, st]) => st), ["CACHED", "CACHED"]);
        assertEquals(await ok(sk, ["run", "--rm", "par2", "cat", "/twice"]), "twice\nmore\n");
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  },
);

Deno.test("build: bad input is one Error line, exit 1, the store unchanged", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    const dir = await context({
      Dockerfile: "FROM busybox\nRUN true\nFROBNICATE now\n",
      "ok/Dockerfile": "FROM busybox AS a\nRUN true\n",
      "notar": "plain text, not an archive",
    });
    try {
      const before = await ok(sk, ["images", "-a", "-q", "--no-trunc"]);
      const cases: [string[], string][] = [
        [[dir], "Dockerfile:3:1: unknown instruction: FROBNICATE"],
        [["--target", "nope", `${dir}/ok`], 'target stage "nope" could not be found'],
        [[`${dir}/missing`], "not found"],
        [[`${dir}/notar`], "neither a directory nor a tar archive"],
        [["https://example.com/repo.git"], "a URL or git context"],
        [["--platform", "linux/s390x", `${dir}/ok`], "platform linux/s390x is not supported"],
        [["--network", "bridge2", `${dir}/ok`], 'network mode "bridge2" not supported'],
      ];
      for (const [args, message] of cases) {
        const r = await sk(["build", "-t", "bad", ...args]);
        assertEquals(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
        const errors = r.stderr.split("\n").filter((l) => l.startsWith("Error: "));
        assertEquals(errors.length, 1, r.stderr);
        assertStringIncludes(errors[0], message);
      }
      assertEquals(await ok(sk, ["images", "-a", "-q", "--no-trunc"]), before);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test(
  "build: -f - and a Dockerfile on stdin, --iidfile, --label, RUN --mount=type=cache and tmpfs",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      const dir = await context({ x: "" });
      try {
        const iid = `${dir}/iid`;
        const df = [
          "FROM busybox",
          "RUN --mount=type=cache,target=/c echo run >> /c/log && cat /c/log | wc -l > /count",
          "RUN --mount=type=tmpfs,target=/t touch /t/gone && echo t > /tmp/t",
          "",
        ].join("\n");
        const r = await sk([
          "build",
          "-q",
          "--iidfile",
          iid,
          "--label",
          "k=v",
          "-t",
          "m",
          "-f",
          "-",
          dir,
        ], {
          stdin: df,
        });
        assertEquals(r.code, 0, r.stderr);
        assertEquals(r.stdout.trim(), await Deno.readTextFile(iid));
        assertEquals(
          await ok(sk, ["run", "--rm", "m", "sh", "-c", "cat /count; ls /t 2>&1 | wc -l"]),
          "1\n0\n",
        );
        assertEquals(
          (await ok(sk, ["image", "inspect", "--format", "{{.Config.Labels.k}}", "m"])).trim(),
          "v",
        );
        // the cache directory is kept between builds (a new run sees the earlier line)
        const again = await sk(["build", "-q", "--no-cache", "-t", "m", "-"], { stdin: df });
        assertEquals(again.code, 0, again.stderr);
        assertEquals(await ok(sk, ["run", "--rm", "m", "cat", "/count"]), "2\n");
        const bind = await sk(["build", "-q", "-"], {
          stdin: "FROM busybox\nRUN --mount=type=ssh true\n",
        });
        assertEquals(bind.code, 1);
        assertStringIncludes(bind.stderr, "RUN --mount=type=ssh is not supported");

        // sharing=locked: two builds at once never use the cache directory together
        const locked = (n: number) =>
          `FROM busybox\nRUN --mount=type=cache,id=lk,target=/c,sharing=locked ` +
          `if [ -e /c/busy ]; then echo overlap; exit 1; fi; touch /c/busy; sleep 1; rm /c/busy; echo ${n}\n`;
        const pair = await Promise.all(
          [1, 2].map((n) => sk(["build", "-q", "-"], { stdin: locked(n) })),
        );
        for (const r of pair) assertEquals(r.code, 0, r.stderr);

        // proxy build arguments reach RUN without an ARG line and stay out of the history
        const px = await sk([
          "build",
          "-q",
          "-t",
          "px",
          "--build-arg",
          "HTTP_PROXY=http://p:3128",
          "-",
        ], {
          stdin: 'FROM busybox\nRUN echo "proxy=$HTTP_PROXY" > /p\n',
        });
        assertEquals(px.code, 0, px.stderr);
        assertEquals(await ok(sk, ["run", "--rm", "px", "cat", "/p"]), "proxy=http://p:3128\n");
        const h = await ok(sk, ["history", "--no-trunc", "--format", "{{.CreatedBy}}", "px"]);
        assert(!h.includes("p:3128"), h);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  },
);

Deno.test(
  "build: ONBUILD triggers, heredocs (a #! script too), a tar context on stdin, SOURCE_DATE_EPOCH",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      const dir = await context({
        Dockerfile: [
          "FROM busybox AS base",
          "ONBUILD RUN echo triggered > /trig",
          "RUN <<EOF",
          "#!/bin/sh",
          "echo script > /script",
          "EOF",
          "RUN <<EOT cat > /here.txt",
          "line1",
          "EOT",
          "FROM base",
          "RUN cat /trig /script /here.txt > /all",
          "",
        ].join("\n"),
      });
      try {
        const tar = await new Deno.Command("tar", {
          args: ["-C", dir, "-cf", "-", "Dockerfile"],
          stdout: "piped",
        })
          .output();
        const r = await sk(["build", "-q", "-t", "hd", "-"], { stdin: tar.stdout });
        assertEquals(r.code, 0, r.stderr);
        assertEquals(
          await ok(sk, ["run", "--rm", "hd", "cat", "/all"]),
          "triggered\nscript\nline1\n",
        );

        const epoch = await sk([
          "build",
          "-q",
          "-t",
          "ep",
          "--build-arg",
          "SOURCE_DATE_EPOCH=1000000000",
          dir,
        ]);
        assertEquals(epoch.code, 0, epoch.stderr);
        assertEquals(epoch.stderr, "", "no warning about SOURCE_DATE_EPOCH");
        const created = await ok(sk, ["image", "inspect", "--format", "{{.Created}}", "ep"]);
        assertEquals(created.trim(), "2001-09-09T01:46:40Z");
        const times = await ok(sk, ["history", "--format", "{{.CreatedAt}}", "--no-trunc", "ep"]);
        assertEquals(times.trim().split("\n")[0], "2001-09-09T01:46:40Z");
        // with SOURCE_DATE_EPOCH, builds whose RUN commands are deterministic give one image
        const ids = [];
        for (let i = 0; i < 2; i++) {
          const r = await sk([
            "build",
            "-q",
            "--no-cache",
            "--build-arg",
            "SOURCE_DATE_EPOCH=1000000000",
            dir,
          ]);
          assertEquals(r.code, 0, r.stderr);
          ids.push(r.stdout.trim());
          await new Promise((done) => setTimeout(done, 1100)); // a second later: times would differ
        }
        assertEquals(ids[0], ids[1]);
        assertEquals(ids[0], epoch.stdout.trim());
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  },
);

Deno.test(
  "build: hostile cache ids and WORKDIR symlinks stay inside the store and the image",
  opts,
  async () => {
    await withBusyboxStore(async (store, sk) => {
      const host = await Deno.makeTempDir({ prefix: "skiff-build-host-" });
      try {
        const df = [
          "FROM busybox",
          `RUN --mount=type=cache,id=../../../../../..${host},target=/c touch /c/escaped`,
          `RUN --mount=type=cache,target=/../../c2 touch /c2/inside`,
          `RUN ln -s ${host} /link`,
          "WORKDIR /link/made",
          "RUN pwd > /where",
          "",
        ].join("\n");
        const r = await sk(["build", "-q", "-t", "h", "-"], { stdin: df });
        assertEquals(r.code, 0, r.stderr);
        assertEquals(await Array.fromAsync(Deno.readDir(host)), [], "nothing written on the host");
        const mounts = await Array.fromAsync(Deno.readDir(`${store.root}/build-cache/mounts`));
        assertEquals(mounts.length, 2);
        for (const m of mounts) assert(/^[0-9a-f]{64}$/.test(m.name), m.name);
        // the directory was made inside the image, where the link leads there
        assertEquals(
          await ok(sk, ["run", "--rm", "h", "ls", "-d", `${host}/made`]),
          `${host}/made\n`,
        );
      } finally {
        await Deno.remove(host, { recursive: true });
      }
    });
  },
);

const COPYING = `FROM busybox AS build
WORKDIR /w
COPY src/ ./src/
COPY b.txt /w/
RUN cat src/a.txt b.txt > /w/out
FROM scratch
COPY --from=build /w/out /out
COPY --from=busybox /bin/busybox /bin/sh
ADD files.tar /unpacked/
COPY <<EOF /greeting
hi there
EOF
CMD ["/bin/sh", "-c", "cat /out /greeting /unpacked/inner.txt"]
`;

Deno.test(
  "build: COPY from the context, a stage, an image and a heredoc; a changed file reruns only what follows",
  opts,
  async () => {
    await withBusyboxStore(async (store, sk) => {
      const dir = await context({
        Dockerfile: COPYING,
        "src/a.txt": "hello\n",
        "b.txt": "world\n",
        "ignored.log": "secret\n",
        ".dockerignore": "*.log\n",
      });
      try {
        // ADD of a local tar archive extracts it
        await Deno.mkdir(`${dir}/t`);
        await Deno.writeTextFile(`${dir}/t/inner.txt`, "from-tar\n");
        const tar = await new Deno.Command("tar", {
          args: ["-C", `${dir}/t`, "-cf", `${dir}/files.tar`, "inner.txt"],
        }).output();
        assertEquals(tar.code, 0);
        await Deno.remove(`${dir}/t`, { recursive: true });
        const first = await sk(["build", "--progress=plain", "-t", "cp", dir]);
        assertEquals(first.code, 0, first.stderr);
        const out = await ok(sk, ["run", "--rm", "cp"]);
        assertEquals(out, "hello\nworld\nhi there\nfrom-tar\n");
        const history = await ok(sk, ["history", "--no-trunc", "--format", "{{.CreatedBy}}", "cp"]);
        assertStringIncludes(history, "COPY --from=build /w/out /out # buildkit");

        const again = await sk(["build", "--progress=plain", "-t", "cp", dir]);
        const ran = [...vertices(again.stderr)].filter(([n, st]) =>
          st !== "CACHED" && !n.startsWith("FROM")
        );
        assertEquals(ran, []);

        // one copied file changed: its COPY and what follows run again, the rest is CACHED
        await Deno.writeTextFile(`${dir}/src/a.txt`, "changed\n");
        const changed = await sk(["build", "--progress=plain", "-t", "cp", dir]);
        assertEquals(changed.code, 0, changed.stderr);
        const v = vertices(changed.stderr);
        assertEquals(v.get("WORKDIR /w"), "CACHED");
        assertEquals(v.get("COPY src/ ./src/"), "DONE");
        assertEquals(v.get("COPY b.txt /w/"), "DONE");
        assertEquals(v.get("RUN cat src/a.txt b.txt > /w/out"), "DONE");
        assertEquals(v.get("COPY --from=build /w/out /out"), "DONE");
        assertStringIncludes(await ok(sk, ["run", "--rm", "cp"]), "changed\nworld\n");

        // a source that is missing or outside the context: one Error line, nothing tagged
        const before = await ok(sk, ["images", "-a", "-q", "--no-trunc"]);
        for (const df of ["FROM busybox\nCOPY nope.txt /\n", "FROM busybox\nCOPY ../x /\n"]) {
          await Deno.writeTextFile(`${dir}/Dockerfile.bad`, df);
          const r = await sk(["build", "-t", "badcopy", "-f", `${dir}/Dockerfile.bad`, dir]);
          assertEquals(r.code, 1, r.stderr);
          assertEquals(
            r.stderr.split("\n").filter((l) => l.startsWith("Error: ")).length,
            1,
            r.stderr,
          );
        }
        assertEquals(await ok(sk, ["images", "-a", "-q", "--no-trunc"]), before);
        await nothingLeft(store, sk);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  },
);

Deno.test(
  "build: a killed build's RUN step is stopped and its scratch removed by the next build",
  opts,
  async () => {
    // a sleep no other test runs, so that pgrep finds only this one
    const nap = 4000 + Math.floor(Math.random() * 5000);
    await withBusyboxStore(async (store, sk) => {
      const child = new Deno.Command(SKIFF_BIN, {
        args: ["--root", store.root, "--runroot", store.runroot, "build", "--progress=plain", "-"],
        stdin: "piped",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(`FROM busybox\nRUN echo started; sleep ${nap}\n`));
      await w.close();
      // wait until the step runs, then kill skiff (SIGKILL: no clean-up of its own)
      let seen = "";
      const decoder = new TextDecoder();
      const reader = child.stderr.getReader();
      while (!seen.includes("started")) {
        const r = await reader.read();
        if (r.done) break;
        seen += decoder.decode(r.value, { stream: true });
      }
      assertStringIncludes(seen, "started");
      const running = () =>
        new Deno.Command("pgrep", { args: ["-f", `sleep ${nap}$`], stdout: "piped" }).output()
          .then((o) => new TextDecoder().decode(o.stdout).trim());
      // "started" comes just before the shell runs sleep
      for (let i = 0; i < 100 && (await running()) === ""; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill("SIGKILL");
      await child.status;
      reader.releaseLock();
      await child.stderr.cancel();
      assert((await running()) !== "", "the step outlives the killed build until the next one");
      assertEquals(await ok(sk, ["ps", "-aq"]), "");

      try {
        const next = await sk(["build", "-q", "-"], { stdin: "FROM busybox\nENV A=1\n" });
        assertEquals(next.code, 0, next.stderr);
        assertEquals(await running(), "");
        await nothingLeft(store, sk);
        assertEquals(await Array.fromAsync(Deno.readDir(`${store.runroot}/containers`)), []);
      } finally {
        // whatever failed above, the test's own sleep does not outlive it
        for (const pid of (await running()).split("\n").filter(Boolean)) {
          Deno.kill(Number(pid), "SIGKILL");
        }
      }
    });
  },
);
