/**
 * `logs`: a container's output from its log file, as `docker logs` shows it, once or followed
 * until the container stops.
 *
 * @module
 */
import { FailedPreconditionError, InvalidArgumentError } from "../errors.ts";
import { parseTimestamp } from "../units.ts";
import { openStore } from "../store/store.ts";
import { containerDir, findContainer } from "../runtime/container_store.ts";
import { logFiles, type LogOptions, renderLog } from "../runtime/logs.ts";
import { DEFAULT_LOG_DRIVER, logKeepsFile } from "../runtime/logs_config.ts";
import { currentState } from "../runtime/state.ts";
import { isSupervised } from "../runtime/status.ts";
import type { StoreOptions } from "./engine_types.ts";
import { realHost } from "../sys/host.ts";

/** What `logs` was asked for, as given. */
export interface LogsRequest {
  /** A number of lines from the end, or "all" (default). */
  tail?: string;
  /** Docker timestamps or relative durations ("42m"). */
  since?: string;
  until?: string;
  timestamps: boolean;
  /** Keep reading until the container stops. */
  follow: boolean;
  /** --details: Docker's attrs (the json-file tag) before each line. */
  details?: boolean;
}

/** Where the output goes, in order. */
export type LogSink = (stream: "stdout" | "stderr", text: string) => Promise<void>;

function logOptions(req: LogsRequest): LogOptions {
  const tail = req.tail ?? "all";
  if (tail !== "all" && !/^-?\d+$/.test(tail)) {
    throw new InvalidArgumentError(`invalid value for "tail": "${tail}"`);
  }
  return {
    tail: tail === "all" ? undefined : Number(tail),
    since: req.since ? flagTime("since", req.since) : undefined,
    until: req.until ? flagTime("until", req.until) : undefined,
    timestamps: req.timestamps,
    ...(req.details ? { details: true } : {}),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Whether the file being followed was rotated away (another file now has its name) or
 * emptied (max-file 1) since `pos` was read; the rest of a renamed one has been read.
 */
async function rotated(
  file: Deno.FsFile,
  path: string,
  pos: number,
): Promise<"renamed" | "truncated" | undefined> {
  const [open, named] = await Promise.all([file.stat(), Deno.stat(path).catch(() => undefined)]);
  if (named && named.ino !== open.ino) return "renamed";
  if (open.size < pos) return "truncated";
  return undefined;
}

/** A --since/--until value in milliseconds; a bad one is named as docker names it. */
function flagTime(flag: string, value: string): number {
  try {
    return parseTimestamp(value);
  } catch (err) {
    if (err instanceof Error) err.message = `invalid value for "${flag}": ${err.message}`;
    throw err;
  }
}

/**
 * A journald container's log, read with `journalctl` (a clear error when it is not installed
 * or fails); `--follow` is refused rather than silently ending.
 */
async function journaldLogs(
  id: string,
  req: LogsRequest,
  opts: LogOptions,
  sink: LogSink,
): Promise<void> {
  if (req.follow) {
    throw new FailedPreconditionError(
      "logs --follow of a journald container is not supported yet (use journalctl -f " +
        `CONTAINER_ID_FULL=${id})`,
    );
  }
  const { journalArgs, journalToRecords }: typeof import("../runtime/logs_journald.ts") =
    await import(new URL("../runtime/logs_journald.ts", import.meta.url).href);
  let r;
  try {
    r = await realHost.run("journalctl", { args: journalArgs(id) });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new FailedPreconditionError(
        "the journald log driver's logs are read with journalctl, which is not installed",
      );
    }
    throw err;
  }
  if (!r.success) {
    const why = new TextDecoder().decode(r.stderr).trim().split("\n")[0];
    throw new FailedPreconditionError(`journalctl failed: ${why || `exit code ${r.code}`}`);
  }
  for (const c of renderLog(journalToRecords(new TextDecoder().decode(r.stdout)), opts)) {
    await sink(c.stream, c.text);
  }
}

/**
 * Sends the named container's log to `sink`, record by record; with `follow`, waits for more
 * until the container is no longer running. A container without a log has nothing to send.
 *
 * @example
 * ```ts ignore
 * await containerLogs({}, "web", { timestamps: false, follow: false }, (s, t) => write(s, t));
 * ```
 */
export async function containerLogs(
  where: StoreOptions,
  name: string,
  req: LogsRequest,
  sink: LogSink,
): Promise<void> {
  const store = await openStore(where);
  const rec = await findContainer(store, name);
  const opts = logOptions(req);
  const driver = rec.Options.logConfig?.Type ?? DEFAULT_LOG_DRIVER;
  if (driver === "journald") return await journaldLogs(rec.Id, req, opts, sink);
  if (!logKeepsFile(driver)) {
    throw new FailedPreconditionError("configured logging driver does not support reading");
  }
  const dir = containerDir(store, rec.Id);
  const path = `${dir}/ctr.log`;
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  const files = logFiles(path, names);
  let file = await Deno.open(path).catch(() => undefined);
  if (!file) return;
  let pending = "";
  let first = true;
  const emit = async (text: string, final: boolean) => {
    const upto = final ? text.length : text.lastIndexOf("\n") + 1;
    pending = text.slice(upto);
    const chunks = renderLog(text.slice(0, upto), first ? opts : { ...opts, tail: undefined });
    first = false;
    for (const c of chunks) await sink(c.stream, c.text);
  };
  const decoder = new TextDecoder();
  const buf = new Uint8Array(1 << 16);
  let pos = 0;
  try {
    // rotated files first, oldest first (one that rotates away meanwhile is skipped)
    let text = "";
    for (const f of files.slice(0, -1)) {
      text += await Deno.readTextFile(f).catch(() => "");
    }
    for (;;) {
      const n = await file.read(buf);
      if (n === null) break;
      pos += n;
      text += decoder.decode(buf.subarray(0, n), { stream: true });
    }
    await emit(text, !req.follow);
    while (req.follow) {
      const n = await file.read(buf);
      if (n !== null) {
        pos += n;
        await emit(pending + decoder.decode(buf.subarray(0, n), { stream: true }), false);
        continue;
      }
      const moved = await rotated(file, path, pos);
      if (moved === "renamed") {
        // what was written to it before the rename
        for (let m = await file.read(buf); m !== null; m = await file.read(buf)) {
          await emit(pending + decoder.decode(buf.subarray(0, m), { stream: true }), false);
        }
        file.close();
        file = await Deno.open(path);
        pos = 0;
        continue;
      }
      if (moved === "truncated") {
        await file.seek(0, Deno.SeekMode.Start);
        pos = 0;
        continue;
      }
      if (!isSupervised((await currentState(store, rec)).Status)) {
        // One more read catches the last lines written before the exit.
        const m = await file.read(buf);
        if (m !== null) pending += decoder.decode(buf.subarray(0, m));
        await emit(pending, true);
        break;
      }
      await sleep(100);
    }
  } finally {
    file.close();
  }
}
