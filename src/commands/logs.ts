/** `skiff logs`: a container's output from its log file, with -f, --tail, --since, --until, -t. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { logs as spec } from "../cli/table_containers.ts";
import { containerLogs } from "../engine/container_logs.ts";
import { exitOne } from "./exit_codes.ts";

const encoder = new TextEncoder();

async function writeAll(w: { write(p: Uint8Array): Promise<number> }, data: Uint8Array) {
  for (let off = 0; off < data.length;) off += await w.write(data.subarray(off));
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
      // (--details' attrs column is the engine's: see runtime/logs.ts)
      await writeAll(stream === "stdout" ? Deno.stdout : Deno.stderr, encoder.encode(text));
    })
  );
  return 0;
}
