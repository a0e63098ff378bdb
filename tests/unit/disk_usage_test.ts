/** One disk-usage walker: symlinks are not followed, hard links count once. */
import { assertEquals } from "../helpers/assert.ts";
import { diskUsage } from "../../src/store/disk_usage.ts";

Deno.test("diskUsage counts files once by inode and never follows symlinks", async () => {
  const dir = await Deno.makeTempDir();
  const outside = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${outside}/big`, new Uint8Array(100_000));
    await Deno.mkdir(`${dir}/sub/deeper`, { recursive: true });
    await Deno.writeFile(`${dir}/a`, new Uint8Array(1000));
    await Deno.writeFile(`${dir}/sub/deeper/b`, new Uint8Array(234));
    await Deno.link(`${dir}/a`, `${dir}/sub/a-again`);
    // A symlink to a large file and one to a directory outside: only the link itself counts.
    await Deno.symlink(`${outside}/big`, `${dir}/to-file`);
    await Deno.symlink(outside, `${dir}/sub/to-dir`);
    const links = `${outside}/big`.length + outside.length;
    assertEquals(await diskUsage(dir), 1000 + 234 + links);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("diskUsage of a missing directory is 0", async () => {
  assertEquals(await diskUsage("/nonexistent/skiff-disk-usage"), 0);
});
