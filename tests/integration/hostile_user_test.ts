/**
 * An image whose /etc/passwd gives a user the uid 4294967295, which the
 * kernel reads as "leave the uid unchanged": the container would run as
 * root while `docker inspect` says it runs as that user. Refused instead, by
 * `run -u`, by the image's USER and by `exec -u`.
 */
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ok, withBusyboxStore } from "../helpers/busybox_store.ts";

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: skipUnless(IS_ROOT) };
const REFUSED =
  'invalid /etc/passwd entry "evil": uid 4294967295 is outside the range 0-4294967294';

Deno.test("a passwd entry with uid 4294967295 does not run as root", opts, async () => {
  await withBusyboxStore(async (_s, sk) => {
    await ok(sk, [
      "run",
      "--name",
      "maker",
      "busybox",
      "sh",
      "-c",
      "echo 'evil:x:4294967295:4294967295::/:/bin/sh' >> /etc/passwd",
    ]);
    await ok(sk, ["commit", "maker", "hostile"]);
    await ok(sk, ["commit", "--change", "USER evil", "maker", "hostile-user"]);

    const run = await sk(["run", "--rm", "-u", "evil", "hostile", "id", "-u"]);
    assertEquals(run.stdout, "");
    assert(run.code !== 0);
    assertStringIncludes(run.stderr, REFUSED);

    const image = await sk(["run", "--rm", "hostile-user", "id", "-u"]);
    assertEquals(image.stdout, "");
    assert(image.code !== 0);
    assertStringIncludes(image.stderr, REFUSED);

    await ok(sk, ["run", "-d", "--name", "box", "hostile", "sleep", "600"]);
    const exec = await sk(["exec", "-u", "evil", "box", "id", "-u"]);
    assertEquals(exec.stdout, "");
    assert(exec.code !== 0);
    assertStringIncludes(exec.stderr, REFUSED);
    // an ordinary user of the same image still works
    assertEquals((await ok(sk, ["exec", "-u", "nobody", "box", "id", "-u"])).trim(), "65534");
  });
});
