/**
 * skiff as an ordinary user (the users `scripts/setup.sh` makes): the store and state in the
 * user's own places, users kept apart from each other and from root, and the user namespace
 * with the user's subordinate ranges. Each security rule has a test that plays the attacker:
 * another user, or the user reaching for what is not theirs.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ensureFixtures, fixturePaths } from "../helpers/fixtures.ts";
import { skipUnless } from "../helpers/requires.ts";
import { skiff, tempStore } from "../helpers/skiff.ts";
import {
  account,
  NO_IDS_USER,
  ROOTLESS_USER,
  ROOTLESS_USER2,
  rootlessReady,
  type RootlessSession,
  rootlessSession,
} from "../helpers/rootless.ts";
import { SHARED_CHECKOUT } from "../helpers/other_user.ts";

const opts = { ignore: skipUnless(rootlessReady()), sanitizeResources: false, sanitizeOps: false };

/** Runs `fn` with a fresh session of `user`, cleaned up after. */
async function withSession(
  user: string,
  fn: (s: RootlessSession) => Promise<void>,
  env: Record<string, string> = {},
): Promise<void> {
  const s = await rootlessSession(user, env);
  try {
    await fn(s);
  } finally {
    await s.cleanup();
  }
}

/** Runs skiff as the session's user, expecting success; returns stdout. */
async function ok(s: RootlessSession, args: string[]): Promise<string> {
  const r = await s.skiff(args);
  assertEquals(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

async function loadBusybox(s: RootlessSession): Promise<void> {
  await ensureFixtures();
  await ok(s, ["load", "-q", "-i", `${fixturePaths().busybox}.docker.tar`]);
}

/** The `Key: value` lines of `skiff info`. */
function infoField(info: string, key: string): string | undefined {
  const line = info.split("\n").find((l) => l.trim().startsWith(`${key}:`));
  return line?.slice(line.indexOf(":") + 1).trim();
}

Deno.test(
  "rootless store: data in ~/.local/share/skiff, state in $XDG_RUNTIME_DIR/skiff",
  opts,
  () =>
    withSession(ROOTLESS_USER, async (s) => {
      await loadBusybox(s);
      const info = await ok(s, ["info"]);
      assertEquals(infoField(info, "Root Dir"), `${s.home}/.local/share/skiff`);
      assertEquals(infoField(info, "Run Root"), `${s.runtimeDir}/skiff`);
      assertEquals(infoField(info, "Rootless"), "true");
      const acc0 = account(ROOTLESS_USER)!;
      assertEquals(
        infoField(info, "ID Mappings"),
        `uid 0 ${acc0.uid} 1, 1 1000000 65536; gid 0 ${acc0.gid} 1, 1 1000000 65536`,
      );
      assertEquals(infoField(info, "Overlay"), "kernel overlay in the user namespace (userxattr)");
      assertEquals(infoField(info, "Cgroup Driver"), "none");
      assertEquals(infoField(info, "Cgroup Version"), cgroupV1() ? "1" : "2");
      const id = (await ok(s, ["create", "--name", "mine", "busybox", "true"])).trim();
      const acc = account(ROOTLESS_USER)!;
      for (const dir of [`${s.home}/.local/share/skiff`, `${s.runtimeDir}/skiff`]) {
        const st = Deno.statSync(dir);
        assertEquals([st.uid, (st.mode ?? 0) & 0o777], [acc.uid, 0o700], dir);
      }
      assert(Deno.statSync(`${s.home}/.local/share/skiff/containers/${id}/container.json`).isFile);
    }),
);

Deno.test(
  "rootless store: XDG_DATA_HOME moves it; --root and --runroot still win",
  opts,
  () =>
    withSession(ROOTLESS_USER, async (s) => {
      const info = await s.skiff(["info"], { env: { XDG_DATA_HOME: `${s.home}/data` } });
      assertEquals(infoField(info.stdout, "Root Dir"), `${s.home}/data/skiff`, info.stderr);
      const flags = await ok(s, ["--root", `${s.home}/r1`, "--runroot", `${s.home}/r2`, "info"]);
      assertEquals(infoField(flags, "Root Dir"), `${s.home}/r1`);
      assertEquals(infoField(flags, "Run Root"), `${s.home}/r2`);
    }),
);

Deno.test(
  "rootless store: two users never see each other's containers or images",
  opts,
  () =>
    withSession(ROOTLESS_USER, (a) =>
      withSession(ROOTLESS_USER2, async (b) => {
        await loadBusybox(a);
        const id = (await ok(a, ["create", "--name", "secret", "busybox", "true"])).trim();
        assertEquals(await ok(b, ["ps", "-aq"]), "");
        assertEquals(await ok(b, ["images", "-q"]), "");
        const inspect = await b.skiff(["inspect", "secret"]);
        assert(inspect.code !== 0, "the other user's container was found");
        // the attacker points --root at the first user's store: refused by the file system
        const theirs = `${a.home}/.local/share/skiff`;
        const peek = await b.skiff([
          "--root",
          theirs,
          "--runroot",
          `${a.runtimeDir}/skiff`,
          "ps",
          "-aq",
        ]);
        assert(peek.code !== 0, `ps on another user's store worked: ${peek.stdout}`);
        assert(/^Error: .*Permission denied/m.test(peek.stderr), peek.stderr);
        const rm = await b.skiff(["--root", theirs, "rm", "-f", id]);
        assert(rm.code !== 0);
        assertStringIncludes(await ok(a, ["ps", "-aq", "--no-trunc"]), id);
      })),
);

Deno.test("rootless store: a user cannot reach root's store", opts, async () => {
  const store = await tempStore();
  try {
    await ensureFixtures();
    const load = await skiff(["load", "-q", "-i", `${fixturePaths().busybox}.docker.tar`], store);
    assertEquals(load.code, 0, load.stderr);
    const id = (await skiff(["create", "busybox", "true"], store)).stdout.trim();
    await withSession(ROOTLESS_USER, async (s) => {
      for (
        const args of [
          ["--root", store.root, "--runroot", store.runroot, "ps", "-aq"],
          ["--root", store.root, "--runroot", store.runroot, "rm", "-f", id],
          ["--root", store.root, "--runroot", store.runroot, "rmi", "-f", "busybox"],
        ]
      ) {
        const r = await s.skiff(args);
        assert(r.code !== 0, `${args.join(" ")} worked as ${ROOTLESS_USER}: ${r.stdout}`);
      }
      const env = await s.skiff(["ps", "-aq"], {
        env: { SKIFF_ROOT: store.root, SKIFF_RUNROOT: store.runroot },
      });
      assert(env.code !== 0, "SKIFF_ROOT reached root's store");
    });
    const after = await skiff(["ps", "-aq", "--no-trunc"], store);
    assertEquals(after.stdout.trim(), id);
    assertEquals((await skiff(["images", "-q"], store)).stdout.trim().length, 12);
    await skiff(["rm", "-f", id], store);
  } finally {
    await store.cleanup();
  }
});

Deno.test(
  "rootless store: without XDG_RUNTIME_DIR, a /tmp directory planted by another user is refused",
  opts,
  async () => {
    const victim = account(ROOTLESS_USER)!;
    const planted = `/tmp/skiff-run-${victim.uid}`;
    await Deno.remove(planted, { recursive: true }).catch(() => {});
    try {
      await withSession(ROOTLESS_USER2, async (attacker) => {
        const r = await attacker.run(["mkdir", "-m", "0777", planted]);
        assertEquals(r.code, 0, r.stderr);
      });
      await withSession(ROOTLESS_USER, async (s) => {
        const r = await s.skiff(["ps"], { env: { XDG_RUNTIME_DIR: "" } });
        assertEquals(r.code, 1, r.stderr);
        assertEquals(
          r.stderr.trim(),
          `Error: Refusing to use ${planted}: it is owned by uid ${
            account(ROOTLESS_USER2)!.uid
          }, not ${victim.uid}`,
        );
      });
      await Deno.remove(planted, { recursive: true });
      // the user's own: made private, and used
      await withSession(ROOTLESS_USER, async (s) => {
        const info = await s.skiff(["info"], { env: { XDG_RUNTIME_DIR: "" } });
        assertEquals(infoField(info.stdout, "Run Root"), `${planted}/skiff`, info.stderr);
        const st = Deno.lstatSync(planted);
        assertEquals([st.uid, (st.mode ?? 0) & 0o777], [victim.uid, 0o700]);
      });
    } finally {
      await Deno.remove(planted, { recursive: true }).catch(() => {});
    }
  },
);

Deno.test(
  "rootless store: the user's configuration lives in XDG_CONFIG_HOME",
  opts,
  () =>
    withSession(NO_IDS_USER, async (s) => {
      const conf = `${s.home}/conf`;
      const auth = `{"auths":{"127.0.0.1:1":{"auth":"${btoa("alice:pw")}"}}}`;
      const mk = await s.run([
        "sh",
        "-c",
        `mkdir -p ${conf}/skiff && printf '%s' '${auth}' >${conf}/skiff/auth.json`,
      ]);
      assertEquals(mk.code, 0, mk.stderr);
      const out = await s.skiff(["logout", "127.0.0.1:1"], {
        env: { XDG_CONFIG_HOME: conf, XDG_RUNTIME_DIR: "" },
      });
      assertEquals(out.code, 0, out.stderr);
      const left = JSON.parse(Deno.readTextFileSync(`${conf}/skiff/auth.json`));
      assertEquals(left.auths?.["127.0.0.1:1"], undefined);
    }),
);

/** /proc/self/uid_map's lines, spaces squeezed. */
function mapText(text: string): string[] {
  return text.trim().split("\n").map((l) => l.trim().split(/\s+/).join(" "));
}

Deno.test(
  "unshare: the user is root of a namespace with their subordinate ranges",
  opts,
  () =>
    withSession(ROOTLESS_USER, async (s) => {
      const acc = account(ROOTLESS_USER)!;
      const maps = await ok(s, ["unshare", "cat", "/proc/self/uid_map", "/proc/self/gid_map"]);
      assertEquals(mapText(maps), [
        `0 ${acc.uid} 1`,
        "1 1000000 65536",
        `0 ${acc.gid} 1`,
        "1 1000000 65536",
      ]);
      assertEquals(await ok(s, ["unshare", "id", "-u"]), "0\n");
      // the store is still the user's: skiff run inside finds it through SKIFF_ROOT
      assertEquals(
        await ok(s, ["unshare", "sh", "-c", 'echo "$SKIFF_ROOT"']),
        `${s.home}/.local/share/skiff\n`,
      );
      // a file given to a subordinate id inside belongs to that id outside
      const chown = await s.skiff([
        "unshare",
        "sh",
        "-c",
        `touch ${s.home}/f && chown 5:7 ${s.home}/f`,
      ]);
      assertEquals(chown.code, 0, chown.stderr);
      const st = Deno.statSync(`${s.home}/f`);
      assertEquals([st.uid, st.gid], [1000000 + 4, 1000000 + 6]);
      const exit = await s.skiff(["unshare", "sh", "-c", "exit 7"]);
      assertEquals(exit.code, 7);
    }),
);

Deno.test(
  "unshare: a user without ranges gets one id, setgroups denied, and a warning",
  opts,
  () =>
    withSession(NO_IDS_USER, async (s) => {
      const acc = account(NO_IDS_USER)!;
      const r = await s.skiff(["unshare", "cat", "/proc/self/uid_map", "/proc/self/setgroups"]);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(mapText(r.stdout), [`0 ${acc.uid} 1`, "deny"]);
      assertStringIncludes(r.stderr, "WARNING: no subordinate ids");
    }),
);

Deno.test("unshare: root is told to use it rootless", opts, async () => {
  const r = await skiff(["unshare", "id"]);
  assertEquals([r.code, r.stderr.trim()], [125, "Error: please use unshare with rootless"]);
});

Deno.test(
  "unshare: a user cannot map ids that are not theirs",
  opts,
  () =>
    withSession(ROOTLESS_USER, async (s) => {
      const acc = account(ROOTLESS_USER)!;
      const monitor = `${SHARED_CHECKOUT}/ffi/build/skiff-monitor`;
      const own = `0 ${acc.uid} 1`;
      for (
        const [uidmap, gidmap] of [
          [`${own},1 1100000 65536`, own], // the other user's range
          ["0 0 1", own], // the host's root
          [own, "0 0 1"],
          [`${own},1 1000000 65537`, own], // one past the end of the user's range
        ]
      ) {
        const r = await s.run([monitor, "unshare", uidmap, gidmap, "id", "-u"]);
        assertEquals(r.code, 125, `${uidmap} / ${gidmap} was mapped: ${r.stdout}`);
        assert(/^Error: new[ug]idmap refused the mapping: .*not allowed/.test(r.stderr), r.stderr);
        assertEquals(r.stdout, "");
      }
    }),
);

/** Whether the host's cgroups are v1 (this machine: hybrid, no delegation). */
function cgroupV1(): boolean {
  return Deno.readTextFileSync("/proc/self/mountinfo").split("\n").some((l) =>
    l.split(" - ")[1]?.startsWith("cgroup ")
  );
}

Deno.test(
  "rootless run: --rm echo, exit codes, container root is the user",
  opts,
  () =>
    withSession(ROOTLESS_USER, async (s) => {
      const acc = account(ROOTLESS_USER)!;
      await loadBusybox(s);
      assertEquals(await ok(s, ["run", "--rm", "busybox", "echo", "hi"]), "hi\n");
      const maps = await ok(s, [
        "run",
        "--rm",
        "busybox",
        "sh",
        "-c",
        "id -u; cat /proc/self/uid_map",
      ]);
      assertEquals(mapText(maps), ["0", `0 ${acc.uid} 1`, "1 1000000 65536"]);
      assertEquals((await s.skiff(["run", "--rm", "busybox", "sh", "-c", "exit 3"])).code, 3);
      const missing = await s.skiff(["run", "--rm", "busybox", "no-such-command"]);
      assertEquals(missing.code, 127, missing.stderr);
      assertEquals(await ok(s, ["ps", "-aq"]), "");
    }),
);

Deno.test(
  "rootless run: -d, exec, logs, stop, rm; files of the container's other ids go too",
  opts,
  () =>
    withSession(ROOTLESS_USER, async (s) => {
      await loadBusybox(s);
      const id = (await ok(s, [
        "run",
        "-d",
        "--name",
        "svc",
        "busybox",
        "sh",
        "-c",
        "echo started; trap 'exit 0' TERM; sleep 1000 & wait",
      ])).trim();
      assertEquals(await ok(s, ["exec", "svc", "sh", "-c", "echo in exec; id -u"]), "in exec\n0\n");
      assertEquals((await s.skiff(["exec", "svc", "sh", "-c", "exit 5"])).code, 5);
      // a file of container uid 1000 is subordinate id 1000999 on the host
      await ok(s, [
        "exec",
        "svc",
        "sh",
        "-c",
        "mkdir -m 700 /d && touch /d/f && chown -R 1000:1000 /d",
      ]);
      const upper = `${s.home}/.local/share/skiff/containers/${id}/upper`;
      const st = Deno.statSync(`${upper}/d/f`);
      assertEquals([st.uid, st.gid], [1000999, 1000999]);
      assertEquals(await ok(s, ["logs", "svc"]), "started\n");
      assertEquals((await ok(s, ["stop", "svc"])).trim(), "svc");
      assertEquals((await ok(s, ["inspect", "-f", "{{.State.ExitCode}}", "svc"])).trim(), "0");
      assertEquals((await ok(s, ["rm", "svc"])).trim(), "svc");
      assertEquals(await ok(s, ["ps", "-aq"]), "");
      const left = [...Deno.readDirSync(`${s.home}/.local/share/skiff/containers`)];
      assertEquals(left, []);
      assertEquals([...Deno.readDirSync(`${s.home}/.local/share/skiff/tmp`)], []);
      // detached --rm: the monitor removes the files of other ids itself
      await ok(s, [
        "run",
        "-d",
        "--rm",
        "--name",
        "gone",
        "busybox",
        "sh",
        "-c",
        "touch /g && chown 7 /g",
      ]);
      for (let i = 0; i < 100 && (await ok(s, ["ps", "-aq"])) !== ""; i++) {
        await new Promise((r) => setTimeout(r, 200));
      }
      assertEquals(await ok(s, ["ps", "-aq"]), "");
      assertEquals([...Deno.readDirSync(`${s.home}/.local/share/skiff/containers`)], []);
    }),
);

Deno.test(
  "rootless run: --network none and host; bridge networks refused with one line",
  opts,
  () =>
    withSession(ROOTLESS_USER, async (s) => {
      await loadBusybox(s);
      assertEquals(
        await ok(s, ["run", "--rm", "--network", "none", "busybox", "ls", "/sys/class/net"]),
        "lo\n",
      );
      assertEquals(await ok(s, ["run", "--rm", "busybox", "ls", "/sys/class/net"]), "lo\n");
      // the host's interfaces come and go (other tests): its default route's stays
      const route = Deno.readTextFileSync("/proc/net/route").split("\n").slice(1)
        .map((l) => l.trim().split(/\s+/)).find((f) => f[1] === "00000000");
      const seen = await ok(s, [
        "run",
        "--rm",
        "--network",
        "host",
        "busybox",
        "ls",
        "/sys/class/net",
      ]);
      const names = seen.trim().split("\n");
      assert(names.includes("lo") && names.length > 1, seen);
      if (route) assert(names.includes(route[0]), `${route[0]} not in ${seen}`);
      for (const args of [["--network", "bridge"], ["-p", "8080:80"]]) {
        const r = await s.skiff(["run", "--rm", ...args, "busybox", "true"]);
        assertEquals(r.code, 125, r.stderr);
        assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
        assertStringIncludes(r.stderr, "not available rootless");
      }
    }),
);

Deno.test("rootless run: limit flags warn as Podman does on cgroup v1, and the container runs", {
  ...opts,
  ignore: opts.ignore || !cgroupV1(),
}, () =>
  withSession(ROOTLESS_USER, async (s) => {
    await loadBusybox(s);
    const r = await s.skiff(["run", "--rm", "-m", "64m", "--cpus", "1", "busybox", "echo", "ran"]);
    assertEquals([r.code, r.stdout], [0, "ran\n"], r.stderr);
    assertEquals(
      r.stderr.trim(),
      "WARNING: Resource limits are not supported and ignored on cgroups V1 rootless systems",
    );
  }));

Deno.test(
  "rootless run: volumes and bind mounts; container root is not the host's root",
  opts,
  () =>
    withSession(ROOTLESS_USER, async (s) => {
      const acc = account(ROOTLESS_USER)!;
      await loadBusybox(s);
      await ok(s, ["run", "--rm", "-v", "data:/data", "busybox", "sh", "-c", "echo kept >/data/f"]);
      assertEquals(
        await ok(s, ["run", "--rm", "-v", "data:/data", "busybox", "cat", "/data/f"]),
        "kept\n",
      );
      const mk = await s.run(["mkdir", `${s.home}/src`]);
      assertEquals(mk.code, 0, mk.stderr);
      await ok(s, [
        "run",
        "--rm",
        "-v",
        `${s.home}/src:/src`,
        "busybox",
        "sh",
        "-c",
        "echo out >/src/g",
      ]);
      const st = Deno.statSync(`${s.home}/src/g`);
      assertEquals([st.uid, Deno.readTextFileSync(`${s.home}/src/g`)], [acc.uid, "out\n"]);
      // the attacker: root in the container reaches for root's files on the host
      for (
        const [mount, cmd] of [
          ["/root:/r", "ls /r"],
          ["/etc/shadow:/s", "cat /s"],
          ["/etc:/e", "touch /e/skiff-rootless-was-here"],
        ]
      ) {
        const r = await s.skiff(["run", "--rm", "-v", mount, "busybox", "sh", "-c", cmd]);
        assert(r.code !== 0, `${cmd} with -v ${mount} worked: ${r.stdout}`);
      }
      assertEquals(
        await Deno.stat("/etc/skiff-rootless-was-here").then(() => true, () => false),
        false,
      );
    }),
);

Deno.test(
  "rootless run: --userns=keep-id gives the user's own ids, usable on bind mounts",
  opts,
  () =>
    withSession(ROOTLESS_USER, async (s) => {
      const acc = account(ROOTLESS_USER)!;
      await loadBusybox(s);
      const mk = await s.run(["sh", "-c", `mkdir ${s.home}/work && echo mine >${s.home}/work/a`]);
      assertEquals(mk.code, 0, mk.stderr);
      const out = await ok(s, [
        "run",
        "--rm",
        "--userns=keep-id",
        "-v",
        `${s.home}/work:/work`,
        "busybox",
        "sh",
        "-c",
        "id -u; id -g; cat /work/a; echo new >/work/b; stat -c %u /work/a",
      ]);
      assertEquals(out, `${acc.uid}\n${acc.gid}\nmine\n${acc.uid}\n`);
      const st = Deno.statSync(`${s.home}/work/b`);
      assertEquals([st.uid, st.gid], [acc.uid, acc.gid]);
      const bad = await s.skiff(["run", "--rm", "--userns", "bogus", "busybox", "true"]);
      assertEquals([bad.code, bad.stderr.trim()], [
        125,
        'Error: invalid --userns "bogus": expected host or keep-id',
      ]);
    }),
);

Deno.test(
  "rootless run: a user without ranges runs containers as one id, warned",
  opts,
  () =>
    withSession(NO_IDS_USER, async (s) => {
      const acc = account(NO_IDS_USER)!;
      await loadBusybox(s);
      const r = await s.skiff([
        "run",
        "--rm",
        "busybox",
        "sh",
        "-c",
        "id -u; cat /proc/self/uid_map",
      ]);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(mapText(r.stdout), ["0", `0 ${acc.uid} 1`]);
      assertStringIncludes(r.stderr, "WARNING: no subordinate ids for skiffnoids");
    }),
);

Deno.test("--userns=keep-id as root is refused as Podman refuses it", opts, async () => {
  const r = await skiff(["run", "--rm", "--userns=keep-id", "busybox", "true"]);
  assertEquals([r.code, r.stderr.trim()], [
    125,
    "Error: keep-id is only supported in rootless mode",
  ]);
});
