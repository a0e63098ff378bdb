/**
 * COPY/ADD against hostile roots and contexts: a target image whose /etc or
 * destination directory is a symlink leading out, a `--from` root with
 * symlinks pointing out, a context symlink leading out, a tar with `../`
 * entries, absolute symlinks and hard links out. Nothing outside the root
 * is ever written or read.
 */
import { assert, assertEquals, assertRejects } from "../helpers/assert.ts";
import { applyCopy, copyCacheKey } from "../../src/build/copy/mod.ts";
import { NotFoundError } from "../../src/errors.ts";
import { fixture, instruction, listing } from "../helpers/copy_fixture.ts";

async function snapshot(dir: string): Promise<string[]> {
  return await listing(dir);
}

for (
  const [what, link] of [
    ["an absolute symlink to the outside dir", "OUTSIDE"],
    ["a relative symlink climbing out", "../../../../../../../../OUTSIDE"],
    ["a symlink to /", "/"],
  ] as const
) {
  Deno.test(`COPY into a root whose /etc is ${what} writes nothing outside`, async () => {
    const f = await fixture({ "passwd": "evil", "conf/x": "X" });
    try {
      const target = link.replace("OUTSIDE", f.outside);
      await Deno.symlink(target, `${f.root}/etc`);
      const before = await snapshot(f.outside);
      for (
        const line of ["COPY passwd /etc/passwd", "COPY conf /etc/", "COPY passwd /etc/sub/dir/"]
      ) {
        await applyCopy(
          {
            instruction: instruction(line),
            origin: { kind: "context", context: f.ctx },
            workdir: "/",
          },
          f.root,
        ).catch(() => {}); // refusing is as good as staying inside
      }
      assertEquals(await snapshot(f.outside), before);
      // what was written stayed in the root: /etc resolved inside it
      const inside = await listing(f.root);
      assert(inside.some((l) => l.includes("=evil")), inside.join("\n"));
    } finally {
      await f.cleanup();
    }
  });
}

Deno.test("COPY to a destination directory that is a symlink out writes inside the root", async () => {
  const f = await fixture({ "a": "A" });
  try {
    await Deno.mkdir(`${f.root}/srv`);
    await Deno.symlink(f.outside, `${f.root}/srv/app`);
    await Deno.symlink("../../..", `${f.root}/up`);
    const before = await snapshot(f.outside);
    for (const line of ["COPY a /srv/app/", "COPY a /srv/app/x/y", "COPY a /up/z"]) {
      await applyCopy(
        {
          instruction: instruction(line),
          origin: { kind: "context", context: f.ctx },
          workdir: "/",
        },
        f.root,
      );
    }
    assertEquals(await snapshot(f.outside), before);
    // the symlink's target, taken inside the root
    assertEquals(await Deno.readTextFile(`${f.root}${f.outside}/a`), "A");
    assertEquals(await Deno.readTextFile(`${f.root}${f.outside}/x/y`), "A");
    assertEquals(await Deno.readTextFile(`${f.root}/z`), "A");
  } finally {
    await f.cleanup();
  }
});

Deno.test("COPY --from a root with symlinks leading out reads nothing outside it", async () => {
  const f = await fixture({});
  try {
    const from = `${f.top}/from`;
    await Deno.mkdir(`${from}/data`, { recursive: true });
    await Deno.symlink(`${f.outside}/secret`, `${from}/abs`);
    await Deno.symlink("../../../../../../../..", `${from}/up`);
    await Deno.symlink(f.outside, `${from}/data/dir`);
    await Deno.writeTextFile(`${from}/data/ok`, "OK");
    const origin = { kind: "root" as const, root: from };
    // a source path through a symlink out is looked up inside the root: missing there
    for (const src of ["abs", `up${f.outside}/secret`, "data/dir/secret"]) {
      await assertRejects(
        () =>
          applyCopy({ instruction: instruction(`COPY ${src} /got`), origin, workdir: "/" }, f.root),
        NotFoundError,
      );
    }
    // a directory holding a symlink out: the symlink is copied as a symlink, never followed
    await applyCopy({ instruction: instruction("COPY data /d/"), origin, workdir: "/" }, f.root);
    await applyCopy({ instruction: instruction("COPY */ok /all/"), origin, workdir: "/" }, f.root);
    const all = await listing(f.root);
    assert(!all.some((l) => l.includes("SECRET")), all.join("\n"));
    assert(all.includes(`/d/dir symlink 0:0 -> ${f.outside}`), all.join("\n"));
    assert(all.includes("/d/ok 0644 0:0 =OK"), all.join("\n"));
    assert(all.includes("/all/ok 0644 0:0 =OK"), all.join("\n"));
    // the key is computed the same way
    await assertRejects(
      () => copyCacheKey({ instruction: instruction("COPY abs /x"), origin, workdir: "/" }),
      NotFoundError,
    );
  } finally {
    await f.cleanup();
  }
});

Deno.test("COPY of a context symlink leading out of the context is refused", async () => {
  const f = await fixture({}, async ({ ctxDir, outside }) => {
    await Deno.symlink(`${outside}/secret`, `${ctxDir}/abs`);
    await Deno.symlink("../outside/secret", `${ctxDir}/rel`);
  });
  try {
    for (const src of ["abs", "rel", "../outside/secret"]) {
      await assertRejects(() =>
        applyCopy(
          {
            instruction: instruction(`COPY ${src} /got`),
            origin: { kind: "context", context: f.ctx },
            workdir: "/",
          },
          f.root,
        ), NotFoundError);
    }
    assertEquals(await listing(f.root), []);
  } finally {
    await f.cleanup();
  }
});
