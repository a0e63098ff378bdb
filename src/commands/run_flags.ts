/**
 * Turns the flags of `run` and `create` into RunOptions, with Docker's
 * messages for bad values. Pure apart from reading --env-file files and
 * checking bind sources exist.
 */
import type { FlagValues } from "../cli/spec.ts";
import { InvalidArgumentError } from "../errors.ts";
import { parseSize } from "../units.ts";
import { parseMountFlag, parseTmpfsFlag, parseVolumeFlag } from "../runtime/mounts.ts";
import {
  defaultRunOptions,
  parseCpus,
  parseEnvFile,
  parseRestartPolicy,
  parseSecurityOpt,
  parseSignal,
  parseUlimit,
  type RunOptions,
} from "../runtime/run_options.ts";

function list(flags: FlagValues, name: string): string[] {
  return (flags[name] as string[] | undefined) ?? [];
}

/** Environment from -e: `KEY=VALUE` as given, a bare `KEY` taken from the host (dropped if unset). */
export function parseEnvFlags(
  values: string[],
  lookup: (name: string) => string | undefined = (k) => Deno.env.get(k),
): string[] {
  const out: string[] = [];
  for (const v of values) {
    if (v.startsWith("=")) throw new InvalidArgumentError(`invalid environment variable: ${v}`);
    if (v.includes("=")) out.push(v);
    else {
      const value = lookup(v);
      if (value !== undefined) out.push(`${v}=${value}`);
    }
  }
  return out;
}

/**
 * Builds RunOptions from parsed flags and the arguments after the image.
 *
 * @example
 * ```ts
 * runOptionsFromFlags({ env: ["A=1"], tty: true, ... }, ["sh"]);
 * ```
 */
export function runOptionsFromFlags(flags: FlagValues, cmd: string[]): RunOptions {
  const o = defaultRunOptions();
  const envFiles = list(flags, "env-file").flatMap((file) => {
    let text: string;
    try {
      text = Deno.readTextFileSync(file);
    } catch (err) {
      throw new InvalidArgumentError(`open ${file}: ${(err as Error).message}`);
    }
    return parseEnvFile(text, (k) => Deno.env.get(k));
  });
  o.env = [...envFiles, ...parseEnvFlags(list(flags, "env"))];
  o.cmd = cmd;
  o.workdir = flags.workdir as string | undefined;
  o.user = flags.user as string | undefined;
  o.entrypoint = flags.entrypoint as string | undefined;
  o.hostname = flags.hostname as string | undefined;
  o.tty = flags.tty === true;
  o.interactive = flags.interactive === true;
  const ctx = {
    cwd: Deno.cwd(),
    exists: (p: string) => {
      try {
        Deno.statSync(p);
        return true;
      } catch {
        return false;
      }
    },
  };
  o.mounts = [
    ...list(flags, "volume").map((v) => parseVolumeFlag(v, ctx)),
    ...list(flags, "mount").map((v) => parseMountFlag(v, ctx)),
    ...list(flags, "tmpfs").map((v) => parseTmpfsFlag(v)),
  ];
  for (const l of list(flags, "label")) {
    const eq = l.indexOf("=");
    if (eq === 0) throw new InvalidArgumentError(`invalid label: ${l}`);
    o.labels[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? "" : l.slice(eq + 1);
  }
  o.init = flags.init === true;
  if (flags["stop-signal"]) o.stopSignal = parseSignal(flags["stop-signal"] as string).name;
  if (flags["stop-timeout"] !== undefined) o.stopTimeout = flags["stop-timeout"] as number;
  o.ulimits = list(flags, "ulimit").map(parseUlimit);
  if (flags.memory) o.memory = parseSize(flags.memory as string);
  if (flags["memory-swap"]) {
    const v = flags["memory-swap"] as string;
    o.memorySwap = v === "-1" ? -1 : parseSize(v);
  }
  if (flags.cpus) o.cpus = parseCpus(flags.cpus as string);
  if (flags["cpu-shares"] !== undefined) o.cpuShares = flags["cpu-shares"] as number;
  if (flags["pids-limit"] !== undefined) o.pidsLimit = flags["pids-limit"] as number;
  o.privileged = flags.privileged === true;
  o.capAdd = list(flags, "cap-add");
  o.capDrop = list(flags, "cap-drop");
  o.securityOpt = parseSecurityOpt(list(flags, "security-opt"));
  o.readOnly = flags["read-only"] === true;
  const network = (flags.network as string | undefined) ?? "private";
  if (!["none", "host", "private", "default", "bridge"].includes(network)) {
    throw new InvalidArgumentError(
      `network ${network} not found: only "none" and "host" are supported until networking lands`,
    );
  }
  o.network = network === "default" || network === "bridge" ? "private" : network;
  if (list(flags, "publish").length) {
    throw new InvalidArgumentError(
      "publishing ports (-p) needs bridge networking, not yet supported",
    );
  }
  o.restart = parseRestartPolicy((flags.restart as string | undefined) ?? "no");
  o.autoRemove = flags.rm === true;
  if (o.autoRemove && o.restart.name !== "no") {
    throw new InvalidArgumentError("Conflicting options: --restart and --rm");
  }
  return o;
}
