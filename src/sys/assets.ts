/**
 * Where skiff's native parts live: `ffi/build/` next to the sources, or,
 * in a binary made by `deno compile` (which embeds them with `--include`),
 * a copy written once to a cache directory, since `dlopen` and `exec` need
 * real files.
 */

/** True when running from a `deno compile` binary. */
export function isCompiled(url = import.meta.url): boolean {
  return url.includes("/deno-compile-") || !url.startsWith("file:");
}

/**
 * Path of a native asset (`libskiff.so`, `skiff-monitor`).
 *
 * @example
 * ```ts
 * assetPath("skiff-monitor"); // ".../ffi/build/skiff-monitor"
 * ```
 */
export function assetPath(name: string): string {
  const dir = Deno.env.get("SKIFF_LIBDIR");
  if (dir) return `${dir}/${name}`;
  const embedded = new URL(`../../ffi/build/${name}`, import.meta.url).pathname;
  if (!isCompiled()) return embedded;
  return extract(embedded, name);
}

function extract(embedded: string, name: string): string {
  const data = Deno.readFileSync(embedded);
  const base = Deno.env.get("XDG_RUNTIME_DIR") ?? "/tmp";
  const dir = `${base}/skiff-native-${Deno.uid() ?? 0}-${data.length.toString(16)}`;
  const target = `${dir}/${name}`;
  try {
    if (Deno.statSync(target).size === data.length) return target;
  } catch {
    // not extracted yet
  }
  Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${target}.${Deno.pid}`;
  Deno.writeFileSync(tmp, data, { mode: 0o755 });
  Deno.renameSync(tmp, target);
  return target;
}
