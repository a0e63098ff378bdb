/**
 * `login`, `logout` and `search` in the engine: credentials from the options, the store or the
 * prompts, checked before they are kept; search results from fake sources.
 */
import { assertEquals, assertRejects, assertThrows } from "../helpers/assert.ts";
import {
  type LoginCheck,
  type LoginPrompts,
  loginRegistry,
  logoutRegistry,
} from "../../src/engine/image_login.ts";
import { searchImages, type SearchSources } from "../../src/engine/image_search.ts";
import { parseLoginArgs } from "../../src/commands/login.ts";
import { getCredentials, saveCredentials } from "../../src/image/auth.ts";
import { InvalidArgumentError, UnavailableError } from "../../src/errors.ts";

/** Runs `fn` with credentials kept only in a temporary directory. */
async function withAuthFile(fn: () => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  const saved = ["SKIFF_AUTH_FILE", "DOCKER_CONFIG", "HOME"].map((k) => [k, Deno.env.get(k)]);
  try {
    Deno.env.set("SKIFF_AUTH_FILE", `${dir}/auth.json`);
    Deno.env.delete("DOCKER_CONFIG");
    Deno.env.set("HOME", dir);
    await fn();
  } finally {
    for (const [k, v] of saved) v === undefined ? Deno.env.delete(k!) : Deno.env.set(k!, v);
    await Deno.remove(dir, { recursive: true });
  }
}

/** A registry check that accepts only alice/secret and stores what it accepts. */
function fakeCheck(seen: string[]): LoginCheck {
  return async (registry, username, password, opts) => {
    seen.push(`${registry} ${username} tls=${opts.client.tlsVerify}`);
    if (username !== "alice" || password !== "secret") {
      throw new UnavailableError("unauthorized: authentication required");
    }
    await saveCredentials(registry, { username, password });
  };
}

const noPrompts: LoginPrompts = {
  username: () => Promise.reject(new Error("asked for a username")),
  password: () => Promise.reject(new Error("asked for a password")),
};

Deno.test("login: given credentials are checked, stored, then removed by logout", async () => {
  await withAuthFile(async () => {
    const seen: string[] = [];
    await loginRegistry(
      { server: "https://reg.example:5000/v2/", username: "alice", password: "secret" },
      noPrompts,
      fakeCheck(seen),
    );
    assertEquals(seen, ["reg.example:5000 alice tls=true"]);
    assertEquals(await getCredentials("reg.example:5000"), {
      username: "alice",
      password: "secret",
    });
    assertEquals(await logoutRegistry("reg.example:5000"), true);
    assertEquals(await getCredentials("reg.example:5000"), undefined);
    assertEquals(await logoutRegistry("reg.example:5000"), false);
  });
});

Deno.test("login: a refusal names the server and stores nothing", async () => {
  await withAuthFile(async () => {
    const err = await assertRejects(
      () =>
        loginRegistry(
          { server: "reg.example", username: "alice", password: "wrong", tlsVerify: false },
          noPrompts,
          fakeCheck([]),
        ),
      UnavailableError,
    );
    assertEquals(
      err.message,
      "login to reg.example failed: unauthorized: incorrect username or password",
    );
    assertEquals(await getCredentials("reg.example"), undefined);
  });
});

Deno.test("login: stored credentials first, then the prompts; empty answers refused", async () => {
  await withAuthFile(async () => {
    const seen: string[] = [];
    const events: string[] = [];
    const prompts: LoginPrompts = {
      usingStored: () => events.push("stored"),
      username: () => (events.push("username"), Promise.resolve("  alice ")),
      password: () => (events.push("password"), Promise.resolve("secret")),
    };
    // Nothing stored: both prompts, the username trimmed.
    await loginRegistry({ server: "reg.example" }, prompts, fakeCheck(seen));
    assertEquals(events, ["username", "password"]);
    // Now stored: no prompt at all.
    events.length = 0;
    await loginRegistry({ server: "reg.example" }, prompts, fakeCheck(seen));
    assertEquals(events, ["stored"]);
    // A username given: only the password is asked for.
    events.length = 0;
    await loginRegistry({ server: "reg.example", username: "alice" }, prompts, fakeCheck(seen));
    assertEquals(events, ["password"]);
    assertEquals(seen, Array(3).fill("reg.example alice tls=true"));
    const blank = { ...prompts, username: () => Promise.resolve(" ") };
    const err = await assertRejects(
      () => loginRegistry({ server: "other.example" }, blank, fakeCheck(seen)),
      InvalidArgumentError,
    );
    assertEquals(err.message, "Username is required");
    const noPassword = { ...prompts, password: () => Promise.resolve("") };
    const err2 = await assertRejects(
      () => loginRegistry({ server: "other.example" }, noPassword, fakeCheck(seen)),
      InvalidArgumentError,
    );
    assertEquals(err2.message, "Password is required");
  });
});

Deno.test("login flags: docker's exclusions", () => {
  assertEquals(parseLoginArgs({ username: " u ", "password-stdin": true }, []), {
    server: "docker.io",
    username: "u",
    password: undefined,
    passwordStdin: true,
    tlsVerify: true,
  });
  assertEquals(
    assertThrows(
      () => parseLoginArgs({ username: "u", password: "p", "password-stdin": true }, []),
      InvalidArgumentError,
    ).message,
    "--password and --password-stdin are mutually exclusive",
  );
  assertEquals(
    assertThrows(() => parseLoginArgs({ "password-stdin": true }, ["r"]), InvalidArgumentError)
      .message,
    "Must provide --username with --password-stdin",
  );
});

const fakeSources: SearchSources = {
  hub: (term, limit) =>
    Promise.resolve(
      [
        { name: term, description: "the official one", star_count: 9, is_official: true },
        { name: `me/${term}`, star_count: "3", is_automated: true },
        { name: `you/${term}` },
      ].slice(0, limit + 1), // one too many: the engine still keeps to the limit
    ),
  catalog: (registry, tls) =>
    Promise.resolve(
      registry === "localhost:5000" && !tls ? ["team/App", "team/other", "apple", "lib/app"] : [],
    ),
};

Deno.test("search: Docker Hub's fields, a registry's catalog by substring, the limit", async () => {
  assertEquals(await searchImages({ term: "busybox", limit: 2 }, fakeSources), [
    {
      Name: "busybox",
      Description: "the official one",
      StarCount: 9,
      IsOfficial: true,
      IsAutomated: false,
    },
    {
      Name: "me/busybox",
      Description: "",
      StarCount: 3,
      IsOfficial: false,
      IsAutomated: true,
    },
  ]);
  const names = async (term: string, limit?: number) =>
    (await searchImages({ term, limit, tlsVerify: false }, fakeSources)).map((r) => r.Name);
  assertEquals(await names("localhost:5000/app"), [
    "localhost:5000/team/App",
    "localhost:5000/apple",
    "localhost:5000/lib/app",
  ]);
  assertEquals(await names("localhost:5000/app", 1), ["localhost:5000/team/App"]);
  const bad = await assertRejects(() => names("busybox", 101), InvalidArgumentError);
  assertEquals(bad.message, "limit 101 is outside the range of [1, 100]");
  const empty = await assertRejects(() => names("localhost:5000/"), InvalidArgumentError);
  assertEquals(empty.message, 'invalid search term: "localhost:5000/"');
});
