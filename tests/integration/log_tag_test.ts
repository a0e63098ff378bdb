/**
 * `--log-opt tag=` with the json-file driver (root only): each record carries Docker's
 * `"attrs":{"tag":..}` between the stream and the time, the template filled in, and
 * `logs --details` puts the attrs (query-escaped) and a space before each line, as Docker's.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { ok, withBusyboxStore } from "../helpers/busybox_store.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: skipUnless(IS_ROOT) };

Deno.test("json-file --log-opt tag: attrs in the file, logs --details", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    const id = (await ok(sk, [
      "run",
      "-d",
      "--name",
      "lt",
      "--log-driver",
      "json-file",
      "--log-opt",
      'tag={{.Name}}/{{.ID}} "q"',
      "busybox",
      "sh",
      "-c",
      "echo hi; echo err >&2",
    ])).trim();
    await ok(sk, ["wait", "lt"]);
    const path = (await ok(sk, ["inspect", "-f", "{{.LogPath}}", "lt"])).trim();
    const records = (await Deno.readTextFile(path)).trim().split("\n");
    assertEquals(records.length, 2);
    const tag = `lt/${id.slice(0, 12)} "q"`;
    for (const line of records) {
      const r = JSON.parse(line);
      assertEquals(Object.keys(r), ["log", "stream", "attrs", "time"]);
      assertEquals(r.attrs, { tag });
    }
    const details = await sk(["logs", "--details", "lt"]);
    const escaped = `tag=lt%2F${id.slice(0, 12)}+%22q%22`;
    assertEquals(details.stdout, `${escaped} hi\n`);
    assertEquals(details.stderr, `${escaped} err\n`);
    assertEquals((await sk(["logs", "lt"])).stdout, "hi\n");
    const stamped = (await ok(sk, ["logs", "-t", "--details", "lt"])).trim();
    assert(
      new RegExp(`^\\d{4}-\\S+ ${escaped.replace(/[+%]/g, "\\$&")} hi$`).test(stamped),
      stamped,
    );

    // no tag asked for: no attrs, and --details puts a lone space
    await ok(sk, ["run", "--name", "plain", "--log-driver", "json-file", "busybox", "echo", "x"]);
    const plainPath = (await ok(sk, ["inspect", "-f", "{{.LogPath}}", "plain"])).trim();
    assert(!(await Deno.readTextFile(plainPath)).includes("attrs"));
    assertEquals(await ok(sk, ["logs", "--details", "plain"]), " x\n");
    await ok(sk, ["rm", "lt", "plain"]);
  });
});
