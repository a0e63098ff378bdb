/**
 * `image prune`: dangling images by default, every unused one with `-a`,
 * narrowed by `--filter label=...` and `until=...`; images used by
 * containers are kept.
 */
import { assertEquals } from "../helpers/assert.ts";
import { skiff, tempStore } from "../helpers/skiff.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

async function rootfsTar(dir: string, content: string): Promise<string> {
  await Deno.mkdir(`${dir}/fs`, { recursive: true });
  await Deno.writeTextFile(`${dir}/fs/file`, content);
  const tar = `${dir}/${content}.tar`;
  const out = await new Deno.Command("tar", { args: ["-C", `${dir}/fs`, "-cf", tar, "."] })
    .output();
  assertEquals(out.success, true);
  return tar;
}

Deno.test("image prune: dangling by default, -a with label and until filters", opts, async () => {
  const store = await tempStore();
  const dir = await Deno.makeTempDir();
  const sk = (args: string[]) => skiff(args, store);
  try {
    const imp = async (content: string, label: string, name?: string) => {
      const tar = await rootfsTar(dir, content);
      const r = await sk(["import", "-c", `LABEL ${label}`, tar, ...(name ? [name] : [])]);
      assertEquals(r.code, 0, r.stderr);
      return r.stdout.trim();
    };
    const dangling = await imp("a", "keep=no");
    await imp("b", "keep=yes", "kept:1");
    await imp("c", "keep=no", "other:1");
    const list = async () =>
      (await sk(["images", "-q", "--no-trunc"])).stdout.trim().split("\n").filter(Boolean).sort();
    assertEquals((await list()).length, 3);

    const r1 = await sk(["image", "prune", "-f"]);
    assertEquals(r1.code, 0, r1.stderr);
    assertEquals((await list()).includes(dangling), false);
    assertEquals((await list()).length, 2);

    const r2 = await sk(["image", "prune", "-a", "-f", "--filter", "label=keep=yes"]);
    assertEquals(r2.code, 0, r2.stderr);
    const names = (await sk(["images", "--format", "{{.Repository}}"])).stdout.trim();
    assertEquals(names, "other");

    const r3 = await sk(["image", "prune", "-a", "-f", "--filter", "until=2000-01-01T00:00:00Z"]);
    assertEquals(r3.code, 0, r3.stderr);
    assertEquals((await list()).length, 1);
    const r4 = await sk(["image", "prune", "-a", "-f"]);
    assertEquals(r4.code, 0, r4.stderr);
    assertEquals(await list(), []);
  } finally {
    await store.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(
  "prune commands ask first unless -f, and a no (or no answer) keeps everything",
  opts,
  async () => {
    const store = await tempStore();
    const dir = await Deno.makeTempDir();
    try {
      const tar = await rootfsTar(dir, "z");
      assertEquals((await skiff(["import", tar], store)).code, 0);
      for (const stdin of ["n\n", ""]) {
        const r = await skiff(["image", "prune"], { ...store, stdin });
        assertEquals(r.code, 0, r.stderr);
        assertEquals(r.stdout.includes("Are you sure you want to continue? [y/N]"), true);
        assertEquals((await skiff(["images", "-q"], store)).stdout.trim().length, 12);
      }
      const yes = await skiff(["image", "prune"], { ...store, stdin: "y\n" });
      assertEquals(yes.code, 0, yes.stderr);
      assertEquals((await skiff(["images", "-q"], store)).stdout.trim(), "");
    } finally {
      await store.cleanup();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
