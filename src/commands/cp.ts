/** `skiff cp`: copy files or folders between a container and the local file system. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { cp as spec } from "../cli/table_containers.ts";
import { humanSizeWithPrecision } from "../units.ts";
import { InvalidArgumentError } from "../errors.ts";
import { parseCopyArg } from "../runtime/copy.ts";
import { copyFiles } from "../engine/container_files.ts";
import { exitOne } from "./exit_codes.ts";

/** The parsed arguments of `skiff cp`. */
export interface CpArgs {
  direction: "from" | "to";
  container: string;
  /** Path inside the container. */
  containerPath: string;
  /** Host path, or `-` for a tar stream. */
  local: string;
}

/**
 * Parses `CONTAINER:SRC DEST` or `SRC CONTAINER:DEST`, as docker does.
 *
 * @example
 * ```ts
 * parseCpArgs(["web:/etc/hosts", "-"]); // { direction: "from", container: "web", ... }
 * ```
 */
export function parseCpArgs(args: string[]): CpArgs {
  const [src, dst] = args.map(parseCopyArg);
  if (src.container !== undefined && dst.container !== undefined) {
    throw new InvalidArgumentError("copying between containers is not supported");
  }
  if (src.container === undefined && dst.container === undefined) {
    throw new InvalidArgumentError("must specify at least one container source");
  }
  const remote = src.container !== undefined ? src : dst;
  if (remote.path === "") throw new InvalidArgumentError("filepath cannot be empty");
  const local = src.container !== undefined ? dst.path : src.path;
  if (local === "") throw new InvalidArgumentError("filepath cannot be empty");
  return {
    direction: src.container !== undefined ? "from" : "to",
    container: remote.container!,
    containerPath: remote.path,
    local,
  };
}

/** Runs `skiff cp [-a] [-L] [-q] CONTAINER:SRC DEST|-` or `SRC|- CONTAINER:DEST`. */
export default function cp(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  // Its errors exit 1, as docker's do (125 is for flags that do not parse).
  return exitOne(() => cpWork(ctx));
}

async function cpWork(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const a = parseCpArgs(ctx.args);
  const f = ctx.flags;
  const size = await copyFiles(ctx.global, {
    ...a,
    archive: f.archive,
    followLink: f["follow-link"],
  });
  const streamed = a.direction === "from" && a.local === "-";
  if (!streamed && !f.quiet && Deno.stderr.isTerminal()) {
    const to = a.direction === "from" ? a.local : `${a.container}:${a.containerPath}`;
    console.error(`Successfully copied ${humanSizeWithPrecision(size, 3)} to ${to}`);
  }
  return 0;
}
