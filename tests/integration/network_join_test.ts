/**
 * `--network container:NAME` (root only): a container joins another's network namespace (on a
 * user bridge network and in a private one), takes its hostname and files, and is refused
 * with Docker's one-line errors when the other is missing or stopped, or when it asks for
 * options of a network of its own; a refusal leaves no container behind.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ok, withBusyboxStore } from "../helpers/busybox_store.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: skipUnless(IS_ROOT) };
const NETNS = ["sh", "-c", "readlink /proc/self/ns/net"];

Deno.test(
  "network container:NAME joins the other's namespace, hostname and files",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      await ok(sk, ["network", "create", "joinnet"]);
      await ok(sk, [
        "run",
        "-d",
        ...["--name", "web", "--network", "joinnet", "--hostname", "webhost"],
        "busybox",
        "sleep",
        "600",
      ]);
      const webNs = await ok(sk, ["exec", "web", ...NETNS]);
      assert(/^net:\[\d+\]\n$/.test(webNs), webNs);
      const joined = await ok(sk, [
        "run",
        "--rm",
        ...["--network", "container:web"],
        "busybox",
        "sh",
        "-c",
        "readlink /proc/self/ns/net; hostname; cat /etc/hosts /etc/resolv.conf",
      ]);
      const webFiles = await ok(sk, ["exec", "web", "cat", "/etc/hosts", "/etc/resolv.conf"]);
      assertEquals(joined, `${webNs}webhost\n${webFiles}`);
      // a container in a private namespace (no --network) can be joined too
      await ok(sk, ["run", "-d", "--name", "priv", "busybox", "sleep", "600"]);
      const privNs = await ok(sk, ["exec", "priv", ...NETNS]);
      assert(privNs !== webNs, "two containers shared a namespace");
      assertEquals(
        await ok(sk, ["run", "--rm", "--network", "container:priv", "busybox", ...NETNS]),
        privNs,
      );
      // and the joined container's network is its own still after the joiner left
      assertEquals(await ok(sk, ["exec", "web", ...NETNS]), webNs);
    });
  },
);

Deno.test(
  "network container:NAME refusals: missing, stopped, conflicting options",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      await ok(sk, ["run", "-d", "--name", "up", "busybox", "sleep", "600"]);
      await ok(sk, ["create", "--name", "stopped", "busybox", "true"]);
      const before = await ok(sk, ["ps", "-aq"]);
      const cases: [string[], string][] = [
        [["--network", "container:nope"], "No such container: nope"],
        [["--network", "container:up", "-p", "8080:80"], "conflicting options: port publishing"],
        [["--network", "container:up", "--hostname", "x"], "conflicting options: hostname"],
        [["--network", "container:up", "--dns", "1.1.1.1"], "conflicting options: dns"],
        [["--network", "container:up", "--add-host", "a:1.2.3.4"], "custom host-to-IP mapping"],
      ];
      for (const [flags, message] of cases) {
        const r = await sk(["run", "--rm", ...flags, "busybox", "true"]);
        assertEquals(r.code, 125, r.stderr);
        assertStringIncludes(r.stderr, message);
        assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
      }
      assertEquals(await ok(sk, ["ps", "-aq"]), before, "a refused run left a container");
      const stopped = await sk([
        "run",
        "--name",
        "late",
        "--network",
        "container:stopped",
        "busybox",
        "true",
      ]);
      assertEquals(stopped.code, 125);
      assertStringIncludes(
        stopped.stderr,
        "cannot join network of a non running container: stopped",
      );
    });
  },
);
