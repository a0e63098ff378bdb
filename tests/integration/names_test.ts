/**
 * Container names are reserved without a global lock: of many creates with
 * one name exactly one wins, `--rm` frees its name, and a reservation left by
 * a crashed command is taken over.
 */
import { assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ensureFixtures, fixturePaths } from "../helpers/fixtures.ts";
import { skiff, tempStore } from "../helpers/skiff.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: skipUnless(IS_ROOT) };

Deno.test(
  "names: one of twenty concurrent creates wins; --rm and rm free names",
  opts,
  async () => {
    await ensureFixtures();
    const store = await tempStore();
    const sk = (args: string[]) => skiff(args, store);
    try {
      const load = await sk(["load", "-q", "-i", `${fixturePaths().busybox}.docker.tar`]);
      assertEquals(load.code, 0, load.stderr);
      const results = await Promise.all(
        Array.from({ length: 20 }, () => sk(["create", "--name", "same", "busybox", "true"])),
      );
      assertEquals(results.filter((r) => r.code === 0).length, 1);
      for (const r of results.filter((r) => r.code !== 0)) {
        assertStringIncludes(r.stderr, 'The container name "/same" is already in use');
      }
      assertEquals((await sk(["ps", "-aq"])).stdout.trim().split("\n").length, 1);

      const rm = await sk(["run", "--rm", "--name", "once", "busybox", "true"]);
      assertEquals(rm.code, 0, rm.stderr);
      const again = await sk(["run", "--rm", "--name", "once", "busybox", "true"]);
      assertEquals(again.code, 0, again.stderr);

      assertEquals((await sk(["rm", "same"])).code, 0);
      assertEquals((await sk(["create", "--name", "same", "busybox", "true"])).code, 0);

      // A reservation whose container never came to exist (a create killed midway).
      const stale = `${store.root}/names/ghost`;
      await Deno.writeTextFile(stale, "f".repeat(64));
      const old = new Date(Date.now() - 60_000);
      await Deno.utime(stale, old, old);
      const taken = await sk(["create", "--name", "ghost", "busybox", "true"]);
      assertEquals(taken.code, 0, taken.stderr);
    } finally {
      const ids = (await sk(["ps", "-aq"])).stdout.trim().split("\n").filter(Boolean);
      if (ids.length) await sk(["rm", "-f", ...ids]);
      await store.cleanup();
    }
  },
);
