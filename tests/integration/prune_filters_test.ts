/**
 * `system prune --filter` (root only): `label!=KEY` keeps what has the label, for stopped
 * containers, unused networks, volumes (with --volumes) and images (with -a), and `until=`
 * keeps what is newer than the time, as Docker's daemon filters them.
 */
import { assertEquals } from "../helpers/assert.ts";
import { ok, withBusyboxStore } from "../helpers/busybox_store.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: skipUnless(IS_ROOT) };

const lines = (s: string) => s.trim().split("\n").filter(Boolean).sort();

Deno.test("system prune --filter label!= keeps what has the label", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    await ok(sk, ["create", "--name", "a", "--label", "keep=1", "busybox", "true"]);
    await ok(sk, ["create", "--name", "b", "busybox", "true"]);
    await ok(sk, ["network", "create", "--label", "keep", "pn-keep"]);
    await ok(sk, ["network", "create", "pn-gone"]);
    await ok(sk, ["volume", "create", "--label", "keep=yes", "pv-keep"]);
    await ok(sk, ["volume", "create", "pv-gone"]);
    await ok(sk, ["commit", "--change", "LABEL keep=1", "a", "kept:1"]);
    try {
      const out = await ok(sk, ["system", "prune", "-f", "--volumes", "--filter", "label!=keep"]);
      assertEquals(lines(await ok(sk, ["ps", "-a", "--format", "{{.Names}}"])), ["a"]);
      const nets = lines(await ok(sk, ["network", "ls", "--format", "{{.Name}}"]));
      assertEquals(nets.filter((n) => n.startsWith("pn-")), ["pn-keep"]);
      assertEquals(lines(await ok(sk, ["volume", "ls", "-q"])), ["pv-keep"]);
      assertEquals(out.includes("pn-gone") && out.includes("pv-gone"), true, out);
      // images: busybox is unused once "a" is gone; the committed image has the label
      await ok(sk, ["rm", "a"]);
      await ok(sk, ["system", "prune", "-a", "-f", "--filter", "label!=keep=1"]);
      assertEquals(lines(await ok(sk, ["images", "--format", "{{.Repository}}:{{.Tag}}"])), [
        "kept:1",
      ]);
    } finally {
      await sk(["network", "rm", "pn-keep"]);
    }
  });
});

Deno.test("system prune --filter until= keeps what is newer", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    await ok(sk, ["create", "--name", "c", "busybox", "true"]);
    await ok(sk, ["system", "prune", "-f", "--filter", "until=1h"]);
    assertEquals(lines(await ok(sk, ["ps", "-a", "--format", "{{.Names}}"])), ["c"]);
    const later = new Date(Date.now() + 60_000).toISOString();
    await ok(sk, ["system", "prune", "-f", "--filter", `until=${later}`]);
    assertEquals(await ok(sk, ["ps", "-a", "-q"]), "");
  });
});
