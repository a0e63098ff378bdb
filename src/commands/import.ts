/** `skiff import`: create a one-layer image from a root file system tarball. */
import type { CommandContext } from "../cli/spec.ts";
import { InvalidArgumentError, UnavailableError } from "../errors.ts";
import { openStore } from "../store/store.ts";
import type { StreamSource } from "../image/commit_image.ts";
import { importRootfs } from "../image/import_rootfs.ts";
import { parsePlatform } from "../image/platform.ts";
import { parseReference } from "../image/reference.ts";

/** What `skiff import` was asked to do. */
export interface ImportArgs {
  /** `-`, a file path or an http(s) URL. */
  source: string;
  /** Fully qualified tag, when a repository was given. */
  tag?: string;
  changes: string[];
  message?: string;
  platform?: string;
}

/**
 * Parses `import` arguments: the source and an optional `REPOSITORY[:TAG]`
 * (a digest is refused, as docker does).
 *
 * @example
 * ```ts
 * parseImportArgs({ change: [], message: undefined }, ["-", "mine"]).tag;
 * // "docker.io/library/mine:latest"
 * ```
 */
export function parseImportArgs(
  flags: Record<string, unknown>,
  args: string[],
): ImportArgs {
  const [source, repo] = args;
  let tag: string | undefined;
  if (repo !== undefined) {
    const ref = parseReference(repo);
    if (ref.digest) {
      throw new InvalidArgumentError(`refusing to create a tag with a digest reference`);
    }
    tag = ref.toString();
  }
  return {
    source,
    tag,
    changes: (flags.change as string[] | undefined) ?? [],
    message: flags.message as string | undefined,
    platform: flags.platform as string | undefined,
  };
}

function openSource(source: string): StreamSource {
  if (source === "-") return () => Promise.resolve(Deno.stdin.readable);
  if (/^https?:\/\//i.test(source)) {
    return async () => {
      let res: Response;
      try {
        res = await fetch(source);
      } catch (err) {
        throw new UnavailableError(`cannot fetch ${source}: ${(err as Error).message}`);
      }
      if (!res.ok || !res.body) {
        await res.body?.cancel();
        throw new UnavailableError(`cannot fetch ${source}: HTTP ${res.status}`);
      }
      return res.body;
    };
  }
  return async () => {
    try {
      return (await Deno.open(source)).readable;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        throw new InvalidArgumentError(`open ${source}: no such file or directory`);
      }
      throw err;
    }
  };
}

/** Runs `skiff import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]`. */
export default async function importCommand(ctx: CommandContext): Promise<number> {
  const args = parseImportArgs(ctx.flags, ctx.args);
  const platform = args.platform ? parsePlatform(args.platform) : undefined;
  const store = await openStore(ctx.global);
  const record = await importRootfs(store, openSource(args.source), {
    changes: args.changes,
    message: args.message,
    platform,
    sourceName: args.source,
    tag: args.tag,
  });
  console.log(record.id);
  return 0;
}
