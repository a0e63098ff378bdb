/**
 * Docker's global flags: -H/--host and DOCKER_HOST (only the local default socket), the TLS
 * flags and DOCKER_TLS_VERIFY (refused: no remote daemon), -c/--context and DOCKER_CONTEXT
 * (only "default"), -D/-l, and --config DIR (or DOCKER_CONFIG) as the home of login
 * credentials for login, pull and logout, against a registry that wants basic auth.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { startRegistry } from "../helpers/registry.ts";
import { ensureFixtures, fixturePaths, pushFixture } from "../helpers/fixtures.ts";
import { skiff, type SkiffOptions, tempStore } from "../helpers/skiff.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

Deno.test(
  "global flags: a remote host, TLS or another context is one clear line",
  opts,
  async () => {
    const store = await tempStore();
    const run = (args: string[], env: Record<string, string> = {}) =>
      skiff(args, { ...store, env });
    try {
      const remote = await run(["-H", "tcp://10.0.0.1:2375", "ps"]);
      assertEquals(remote.code, 125);
      assertEquals(
        remote.stderr,
        "Error: Cannot connect to tcp://10.0.0.1:2375: skiff has no daemon and runs containers " +
          "on this machine only (the host may only be unix:///var/run/docker.sock)\n",
      );
      const fromEnv = await run(["ps"], { DOCKER_HOST: "ssh://me@box" });
      assertEquals(fromEnv.code, 125);
      assertStringIncludes(fromEnv.stderr, "Error: Cannot connect to DOCKER_HOST=ssh://me@box:");

      // the local default socket is where skiff's containers are: honoured
      const local = await run(["--host=unix:///var/run/docker.sock", "ps", "-q"]);
      assertEquals(local.code, 0, local.stderr);
      assertEquals(local.stdout, "");
      const localEnv = await run(["ps", "-q"], { DOCKER_HOST: "unix:///var/run/docker.sock" });
      assertEquals(localEnv.code, 0, localEnv.stderr);
      // an explicit -H wins over DOCKER_HOST, as in Docker
      const flagWins = await run(["-H", "unix:///var/run/docker.sock", "ps", "-q"], {
        DOCKER_HOST: "tcp://10.0.0.1:2375",
      });
      assertEquals(flagWins.code, 0, flagWins.stderr);

      for (const args of [["--tls"], ["--tlsverify"], ["--tlscacert", "/tmp/ca.pem"]]) {
        const tls = await run([...args, "ps"]);
        assertEquals(tls.code, 125, args.join(" "));
        assertEquals(tls.stderr.split("\n").length, 2, tls.stderr);
        assertStringIncludes(tls.stderr, "TLS secures a connection to a remote daemon");
      }
      const tlsEnv = await run(["ps"], { DOCKER_TLS_VERIFY: "1" });
      assertEquals(tlsEnv.code, 125);
      assertStringIncludes(tlsEnv.stderr, "Error: DOCKER_TLS_VERIFY: TLS secures");
      assertEquals((await run(["--tlsverify=false", "ps", "-q"])).code, 0);

      assertEquals((await run(["-c", "default", "ps", "-q"])).code, 0);
      const ctx = await run(["--context", "prod", "ps"]);
      assertEquals(ctx.code, 125);
      assertStringIncludes(ctx.stderr, `Error: context "prod" does not exist`);
      assertEquals((await run(["ps"], { DOCKER_CONTEXT: "prod" })).code, 125);
      const both = await run(["-c", "default", "-H", "unix:///var/run/docker.sock", "ps"]);
      assertEquals(
        both.stderr,
        "Error: Conflicting options: either specify --host or --context, not both\n",
      );

      // -D: an error is reported with its stack; -l takes only Docker's levels
      const dbg = await run(["-D", "tag", "nosuchimage:1", "other:1"]);
      assertEquals(dbg.code, 1);
      assert(dbg.stderr.split("\n").length > 2, dbg.stderr);
      assertStringIncludes(dbg.stderr, "Error: No such image: nosuchimage:1");
      const level = await run(["-l", "loud", "ps"]);
      assertEquals(level.code, 125);
      assertStringIncludes(level.stderr, "unable to parse logging level: loud");
    } finally {
      await store.cleanup();
    }
  },
);

Deno.test("global --config DIR: login, pull and logout use DIR/config.json", opts, async () => {
  await ensureFixtures();
  const reg = await startRegistry({ htpasswd: { user: "u", password: "s3cret" } });
  const store = await tempStore();
  const home = await Deno.makeTempDir({ prefix: "skiff-config-" });
  const dir = `${home}/cfg`;
  // skiff's own auth file and DOCKER_CONFIG point elsewhere: --config must win over both
  const env = { SKIFF_AUTH_FILE: `${home}/auth.json`, HOME: home, DOCKER_CONFIG: `${home}/dc` };
  const run = (args: string[], extra: Partial<SkiffOptions> = {}) =>
    skiff(args, { ...store, env, ...extra });
  try {
    await pushFixture(fixturePaths().busybox, "latest", reg.host, {
      repo: "busybox",
      creds: { user: "u", password: "s3cret" },
    });
    await Deno.mkdir(dir);
    // what Docker keeps beside the credentials is left as it is
    await Deno.writeTextFile(`${dir}/config.json`, '{"detachKeys":"ctrl-x"}');
    const login = await run(["--config", dir, "login", "-u", "u", "--password-stdin", reg.host], {
      stdin: "s3cret\n",
    });
    assertEquals(login.code, 0, login.stderr);
    const doc = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
    assertEquals(doc.detachKeys, "ctrl-x");
    assertEquals(doc.auths[reg.host].auth, btoa("u:s3cret"));
    assertEquals((await Deno.stat(`${dir}/config.json`)).mode! & 0o777, 0o600);
    for (const other of [`${home}/auth.json`, `${home}/dc/config.json`]) {
      assert(!(await exists(other)), `${other} must not be written`);
    }

    // without --config the credentials are not found; with it the pull is authorised
    const denied = await run(["pull", "-q", `${reg.host}/busybox`]);
    assertEquals(denied.code, 1);
    assertStringIncludes(denied.stderr, "unauthorized");
    const pulled = await run(["--config", dir, "pull", "-q", `${reg.host}/busybox`]);
    assertEquals(pulled.code, 0, pulled.stderr);

    // DOCKER_CONFIG alone (no SKIFF_AUTH_FILE) is the same directory, as in Docker
    assertEquals((await run(["rmi", `${reg.host}/busybox`])).code, 0);
    const viaEnv = await skiff(["pull", "-q", `${reg.host}/busybox`], {
      ...store,
      env: { HOME: home, DOCKER_CONFIG: dir, SKIFF_AUTH_FILE: "" },
    });
    assertEquals(viaEnv.code, 0, viaEnv.stderr);

    const out = await run(["--config", dir, "logout", reg.host]);
    assertEquals(out.stdout, `Removing login credentials for ${reg.host}\n`);
    const after = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
    assertEquals(after.auths[reg.host], undefined);
    assertEquals(after.detachKeys, "ctrl-x");
  } finally {
    await store.cleanup();
    await reg.stop();
    await Deno.remove(home, { recursive: true }).catch(() => {});
  }
});

Deno.test(
  "version -f, info -f, --disable-content-trust, network inspect -v, completion",
  opts,
  async () => {
    const store = await tempStore();
    const run = (args: string[]) => skiff(args, store);
    try {
      const v = await run([
        "version",
        "-f",
        "{{.Client.Version}} {{.Server.Version}} {{.Client.Context}}",
      ]);
      assertEquals(v.code, 0, v.stderr);
      const version = (await run(["--version"])).stdout.split(" ")[2].replace(",", "");
      assertEquals(v.stdout, `${version} ${version} default\n`);
      const kernel = await run(["version", "--format", "{{.Server.KernelVersion}}"]);
      assertEquals(kernel.stdout.trim(), Deno.osRelease());
      assertEquals(
        (await run(["version", "--kubeconfig", "/nowhere", "-f", "{{.Server.Os}}"])).stdout,
        "linux\n",
      );
      const info = await run(["info", "-f", "{{.ServerVersion}}"]);
      assertEquals(info.stdout, `${version}\n`, info.stderr);

      for (const verb of ["pull", "push"]) {
        const trust = await run([verb, "--disable-content-trust=false", "localhost:1/x"]);
        assertEquals(trust.code, 125, verb);
        assertEquals(
          trust.stderr,
          "Error: content trust is not supported: skiff neither signs nor verifies images with " +
            "Notary (leave out --disable-content-trust=false)\n",
        );
      }
      const plain = await run(["network", "inspect", "-f", "{{.Name}} {{.Scope}}", "bridge"]);
      const verbose = await run([
        "network",
        "inspect",
        "-v",
        "-f",
        "{{.Name}} {{.Scope}}",
        "bridge",
      ]);
      assertEquals(verbose.code, 0, verbose.stderr);
      assertEquals(verbose.stdout, plain.stdout);

      const fish = await run(["completion", "fish", "--no-descriptions"]);
      assertEquals(fish.code, 0, fish.stderr);
      assert(!fish.stdout.includes(" -d '"));
      assertStringIncludes((await run(["completion", "fish"])).stdout, " -d '");
      assertStringIncludes(
        (await run(["completion", "bash", "--no-descriptions"])).stdout,
        "_skiff",
      );
    } finally {
      await store.cleanup();
    }
  },
);

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
