/**
 * Fixtures for the COPY/ADD tests: a build context made from a file map, a
 * COPY/ADD instruction parsed from one Dockerfile line, and a tree listing
 * of a root as a user would look at it.
 */
import { type BuildContext, openContext } from "../../src/build/context/mod.ts";
import { parseDockerfile } from "../../src/build/dockerfile/mod.ts";
import type { AddInstruction, CopyInstruction } from "../../src/build/dockerfile/mod.ts";

/** Writes `files` under `dir`: "->target" makes a symlink, a name ending in "/" a directory. */
export async function writeTree(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, body] of Object.entries(files)) {
    const full = `${dir}/${path}`;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    if (body.startsWith("->")) await Deno.symlink(body.slice(2), full);
    else if (path.endsWith("/")) await Deno.mkdir(full, { recursive: true });
    else await Deno.writeTextFile(full, body);
  }
}

/** A temp dir holding `ctx/` (a build context from `files`), `root/` and `outside/`. */
export interface Fixture {
  top: string;
  ctxDir: string;
  root: string;
  outside: string;
  ctx: BuildContext;
  cleanup(): Promise<void>;
}

/** `prepare` runs on the fixture's directories before the context is opened (and walked). */
export async function fixture(
  files: Record<string, string>,
  prepare?: (dirs: { ctxDir: string; root: string; outside: string; top: string }) => Promise<void>,
): Promise<Fixture> {
  const top = await Deno.makeTempDir({ prefix: "skiff-bcopy-" });
  const ctxDir = `${top}/ctx`, root = `${top}/root`, outside = `${top}/outside`;
  await Deno.mkdir(ctxDir);
  await Deno.mkdir(root);
  await Deno.mkdir(outside);
  await Deno.writeTextFile(`${outside}/secret`, "SECRET");
  await writeTree(ctxDir, files);
  await prepare?.({ ctxDir, root, outside, top });
  const ctx = await openContext({ dir: ctxDir }, { dockerfile: null });
  return {
    top,
    ctxDir,
    root,
    outside,
    ctx,
    async cleanup() {
      await ctx.close();
      await Deno.remove(top, { recursive: true });
    },
  };
}

/** The COPY or ADD instruction of one Dockerfile line (values as written). */
export function instruction(line: string): CopyInstruction | AddInstruction {
  const df = parseDockerfile(`FROM scratch\n${line}\n`);
  const ins = df.stages[0].instructions[0];
  if (ins.kind !== "COPY" && ins.kind !== "ADD") throw new Error(`not COPY/ADD: ${line}`);
  return ins;
}

/** Every entry under `dir` as "path type mode uid:gid [-> target | =content]", sorted. */
export async function listing(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for await (const e of Deno.readDir(`${dir}${rel}`)) {
      const p = `${rel}/${e.name}`;
      const st = await Deno.lstat(`${dir}${p}`);
      const mode = ((st.mode ?? 0) & 0o7777).toString(8).padStart(4, "0");
      const who = `${st.uid}:${st.gid}`;
      if (st.isSymlink) out.push(`${p} symlink ${who} -> ${await Deno.readLink(`${dir}${p}`)}`);
      else if (st.isDirectory) {
        out.push(`${p}/ ${mode} ${who}`);
        await walk(p);
      } else if (st.isFile) {
        out.push(`${p} ${mode} ${who} =${await Deno.readTextFile(`${dir}${p}`)}`);
      } else out.push(`${p} other ${mode} ${who}`);
    }
  };
  await walk("");
  return out.sort();
}
