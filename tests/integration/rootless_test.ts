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
