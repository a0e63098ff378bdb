/** `skiff logs`: a container's output from its log file, with -f, --tail, --since, --until, -t. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { logs as spec } from "../cli/table_containers.ts";
import { containerLogs } from "../engine/container_logs.ts";
import { exitOne } from "./exit_codes.ts";

const encoder = new TextEncoder();

async function writeAll(w: { write(p: Uint8Array): Promise<number> }, data: Uint8Array) {
  for (let off = 0; off < data.length;) off += await w.write(data.subarray(off));
}

/**
 * Each line of `text` with docker's `--details` column: the log's extra attributes (skiff's
 * logs carry none) and a space, after the timestamp when there is one.
 */
function withDetails(text: string, timestamps: boolean): string {
  return timestamps
    ? text.replace(/(^|\n)(\S+ )/g, "$1$2 ")
    : text.replace(/(^|\n)(?=[^\n])/g, "$1 ");
}

/** Runs `skiff logs [OPTIONS] CONTAINER`; its errors exit 1, as Docker's do. */
export default async function logs(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const f = ctx.flags;
  const req = {
    tail: f.tail,
    since: f.since,
    until: f.until,
    timestamps: f.timestamps,
    follow: f.follow,
    details: f.details,
  };
  await exitOne(() =>
    containerLogs(ctx.global, ctx.args[0], req, async (stream, text) => {
      const out = f.details ? withDetails(text, f.timestamps) : text;
      await writeAll(stream === "stdout" ? Deno.stdout : Deno.stderr, encoder.encode(out));
    })
  );
  return 0;
}
