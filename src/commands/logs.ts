/** `skiff logs`: a container's output from its log file, with -f, --tail, --since, --until, -t. */
import type { CommandContext } from "../cli/spec.ts";
import { openStore } from "../store/store.ts";
import { containerDir, findContainer } from "../runtime/container_store.ts";
import { type LogOptions, renderLog } from "../runtime/logs.ts";
import { parseTimestamp } from "../units.ts";
import { currentState } from "../runtime/state.ts";
import { InvalidArgumentError } from "../errors.ts";

const encoder = new TextEncoder();

async function writeAll(w: { write(p: Uint8Array): Promise<number> }, data: Uint8Array) {
  for (let off = 0; off < data.length;) off += await w.write(data.subarray(off));
}

/** Runs `skiff logs [OPTIONS] CONTAINER`. */
export default async function logs(ctx: CommandContext): Promise<number> {
  const store = await openStore(ctx.global);
  const rec = await findContainer(store, ctx.args[0]);
  const tailFlag = (ctx.flags.tail as string | undefined) ?? "all";
  if (tailFlag !== "all" && !/^-?\d+$/.test(tailFlag)) {
    throw new InvalidArgumentError(`invalid value for "tail": "${tailFlag}"`);
  }
  const opts: LogOptions = {
    tail: tailFlag === "all" ? undefined : Number(tailFlag),
    since: ctx.flags.since ? parseTimestamp(ctx.flags.since as string) : undefined,
    until: ctx.flags.until ? parseTimestamp(ctx.flags.until as string) : undefined,
    timestamps: ctx.flags.timestamps === true,
  };
  const path = `${containerDir(store, rec.Id)}/ctr.log`;
  const file = await Deno.open(path).catch(() => undefined);
  if (!file) return 0;
  let pending = "";
  let first = true;
  const emit = async (text: string, final: boolean) => {
    const upto = final ? text.length : text.lastIndexOf("\n") + 1;
    const complete = text.slice(0, upto);
    pending = text.slice(upto);
    const chunks = renderLog(complete, first ? opts : { ...opts, tail: undefined });
    first = false;
    for (const c of chunks) {
      await writeAll(c.stream === "stdout" ? Deno.stdout : Deno.stderr, encoder.encode(c.text));
    }
  };
  const decoder = new TextDecoder();
  const buf = new Uint8Array(1 << 16);
  let text = "";
  for (;;) {
    const n = await file.read(buf);
    if (n === null) break;
    text += decoder.decode(buf.subarray(0, n), { stream: true });
  }
  await emit(text, !ctx.flags.follow);
  if (ctx.flags.follow) {
    for (;;) {
      const n = await file.read(buf);
      if (n === null) {
        const state = await currentState(store, rec);
        if (
          state.Status !== "running" && state.Status !== "paused" && state.Status !== "restarting"
        ) {
          // One more read catches the last lines written before the exit.
          const m = await file.read(buf);
          if (m !== null) pending += decoder.decode(buf.subarray(0, m));
          await emit(pending, true);
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      await emit(pending + decoder.decode(buf.subarray(0, n), { stream: true }), false);
    }
  }
  file.close();
  return 0;
}
