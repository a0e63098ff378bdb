/**
 * login, logout and push against a registry that wants HTTP basic auth
 * (Debian's docker-registry with an htpasswd file), with the auth file in a
 * temporary directory.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { startRegistry } from "../helpers/registry.ts";
import { ensureFixtures, fixturePaths, pushFixture } from "../helpers/fixtures.ts";
import { skiff, type SkiffOptions, tempStore } from "../helpers/skiff.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

Deno.test("basic auth: push needs login; login, push, search and logout work", opts, async () => {
  await ensureFixtures();
  const reg = await startRegistry({ htpasswd: { user: "u", password: "s3cret" } });
  const store = await tempStore();
  const home = await Deno.makeTempDir({ prefix: "skiff-auth-" });
  const authFile = `${home}/auth/auth.json`;
  // HOME and DOCKER_CONFIG point at the temp dir so no real credentials are read.
  const env = { SKIFF_AUTH_FILE: authFile, HOME: home, DOCKER_CONFIG: `${home}/docker` };
  const run = (args: string[], extra: Partial<SkiffOptions> = {}) =>
    skiff(args, { ...store, env, ...extra });
  try {
    await pushFixture(fixturePaths().busybox, "latest", reg.host, {
      repo: "busybox",
      creds: { user: "u", password: "s3cret" },
    });
    const target = `${reg.host}/private/app:1`;

    // Pulling needs credentials too: skopeo pushed it, log in just for the pull via the file.
    const noPull = await run(["pull", "-q", `${reg.host}/busybox`]);
    assertEquals(noPull.code, 1);
    assertStringIncludes(noPull.stderr, "unauthorized");

    const wrong = await run(["login", "-u", "u", "--password-stdin", reg.host], {
      stdin: "nope\n",
    });
    assertEquals(wrong.code, 1);
    assertEquals(
      wrong.stderr,
      `Error: login to ${reg.host} failed: unauthorized: incorrect username or password\n`,
    );
    assert(!(await exists(authFile)), "a refused login must not store anything");

    const ok = await run(["login", "-u", "u", "--password-stdin", reg.host], {
      stdin: "s3cret\n",
    });
    assertEquals(ok.code, 0, ok.stderr);
    assertEquals(ok.stdout, "Login Succeeded\n");
    assertEquals((await Deno.stat(authFile)).mode! & 0o777, 0o600);
    assertStringIncludes(await Deno.readTextFile(authFile), reg.host);

    assertEquals((await run(["pull", "-q", `${reg.host}/busybox`])).code, 0);
    assertEquals((await run(["tag", `${reg.host}/busybox`, target])).code, 0);

    const pushed = await run(["push", target]);
    assertEquals(pushed.code, 0, pushed.stderr);
    assertStringIncludes(pushed.stdout, "Mounted from busybox");
    assertStringIncludes(pushed.stdout, "1: digest: sha256:");

    const found = await run(["search", "--format", "{{.Name}}", `${reg.host}/app`]);
    assertEquals(found.code, 0, found.stderr);
    assertEquals(found.stdout, `${target.slice(0, -2)}\n`);

    const out = await run(["logout", reg.host]);
    assertEquals(out.code, 0);
    assertEquals(out.stdout, `Removing login credentials for ${reg.host}\n`);
    assert(!(await Deno.readTextFile(authFile)).includes(reg.host));
    const twice = await run(["logout", reg.host]);
    assertEquals(twice.code, 0);
    assertEquals(twice.stdout, `Not logged in to ${reg.host}\n`);

    assertEquals((await run(["tag", target, `${reg.host}/private/other:1`])).code, 0);
    const unauth = await run(["push", `${reg.host}/private/other:1`]);
    assertEquals(unauth.code, 1);
    assertEquals(unauth.stderr.trim().split("\n").length, 1, unauth.stderr);
    assertStringIncludes(unauth.stderr, "Error: unauthorized: authentication required");
  } finally {
    await store.cleanup();
    await reg.stop();
    await Deno.remove(home, { recursive: true }).catch(() => {});
  }
});

Deno.test("login flag errors and the --password warning", opts, async () => {
  const reg = await startRegistry({ htpasswd: { user: "u", password: "pw" } });
  const home = await Deno.makeTempDir({ prefix: "skiff-auth-" });
  const env = { SKIFF_AUTH_FILE: `${home}/auth.json`, HOME: home, DOCKER_CONFIG: home };
  try {
    const noUser = await skiff(["login", reg.host], { env });
    assertEquals(noUser.code, 1);
    assertStringIncludes(
      noUser.stderr,
      "Cannot perform an interactive login from a non TTY device",
    );
    const stdinNoUser = await skiff(["login", "--password-stdin", reg.host], { env, stdin: "pw" });
    assertEquals(stdinNoUser.stderr, "Error: Must provide --username with --password-stdin\n");
    const both = await skiff(["login", "-u", "u", "-p", "pw", "--password-stdin", reg.host], {
      env,
      stdin: "pw",
    });
    assertEquals(both.stderr, "Error: --password and --password-stdin are mutually exclusive\n");
    const p = await skiff(["login", "-u", "u", "-p", "pw", reg.host], { env });
    assertEquals(p.code, 0, p.stderr);
    assertEquals(
      p.stderr,
      "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n",
    );
    assertEquals(p.stdout, "Login Succeeded\n");
    // Stored credentials are reused when no user is given.
    const again = await skiff(["login", reg.host], { env });
    assertEquals(again.code, 0, again.stderr);
    assertStringIncludes(again.stdout, "Login Succeeded");
    const down = await skiff(["login", "-u", "u", "-p", "pw", "127.0.0.1:1"], { env });
    assertEquals(down.code, 1);
    assertEquals(down.stderr.trim().split("\n").length, 2); // the warning, then one error line
  } finally {
    await reg.stop();
    await Deno.remove(home, { recursive: true }).catch(() => {});
  }
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
