/**
 * A snapshot of a directory tree (paths and file contents) for tests that assert a refused
 * operation left the store unchanged. Lock files are left out: taking a lock rewrites its
 * holder line.
 */

/** Every file and directory under `dir`, with file contents, sorted by path. */
export async function treeSnapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (path: string, rel: string) => {
    for await (const e of Deno.readDir(path)) {
      const p = `${path}/${e.name}`, r = `${rel}${e.name}`;
      if (e.isDirectory) {
        out[`${r}/`] = "";
        await walk(p, `${r}/`);
      } else if (!e.name.endsWith(".lock") && e.name !== "lock") {
        out[r] = await Deno.readTextFile(p);
      }
    }
  };
  await walk(dir, "");
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}
