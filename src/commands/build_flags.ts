/**
 * The values of `build`'s secret, context, output and run flags, parsed with BuildKit's and
 * docker's wording for bad values. Pure: nothing is read here (the engine reads the files
 * a `--secret` names).
 */
import { InvalidArgumentError } from "../errors.ts";
import type { SecretSource } from "../engine/image_build.ts";
import type { StepRunOptions } from "../build/executor/mod.ts";
import { parseSize } from "../units.ts";
import { parseSecurityOpt, parseUlimit } from "../runtime/run_options.ts";
import { checkResourceOptions, type ResourceOptions } from "../runtime/resource_options.ts";
import { parseExtraHost } from "../network/endpoint_options.ts";

function fields(value: string): [string, string][] {
  return value.split(",").filter((f) => f !== "").map((f) => {
    const eq = f.indexOf("=");
    return eq < 0 ? [f, ""] : [f.slice(0, eq).trim().toLowerCase(), f.slice(eq + 1)];
  });
}

/**
 * `--secret id=X[,src=FILE|,env=VAR][,type=file|env]` as buildx reads it: a secret with
 * neither a file nor a variable is the variable named by its id when set, else the file.
 *
 * @example
 * ```ts
 * parseSecretFlag("id=npm,src=.npmrc"); // { id: "npm", src: ".npmrc" }
 * ```
 */
export function parseSecretFlag(value: string): SecretSource {
  let id = "", src = "", env = "", type = "";
  for (const [key, v] of fields(value)) {
    switch (key) {
      case "type":
        if (v !== "file" && v !== "env") {
          throw new InvalidArgumentError(`unsupported secret type "${v}"`);
        }
        type = v;
        break;
      case "id":
        id = v;
        break;
      case "source":
      case "src":
        src = v;
        break;
      case "env":
        env = v;
        break;
      default:
        throw new InvalidArgumentError(`unexpected key '${key}' in '${value}'`);
    }
  }
  if (type === "env" && env === "") [env, src] = [src, ""];
  if (id === "") throw new InvalidArgumentError(`--secret ${value}: id= is required`);
  if (src && env) {
    throw new InvalidArgumentError(`secret ${id}: a file (src=) and a variable (env=) both given`);
  }
  if (src) return { id, src };
  if (env) return { id, env };
  return { id };
}

/** The run and resource flags of `build` (docker 20.10's), as the parser gives them. */
export interface BuildRunFlags {
  "add-host"?: string[];
  "cgroup-parent"?: string;
  "cpu-period"?: number;
  "cpu-quota"?: number;
  "cpu-shares"?: number;
  "cpuset-cpus"?: string;
  "cpuset-mems"?: string;
  isolation?: string;
  memory?: string;
  "memory-swap"?: string;
  "security-opt"?: string[];
  "shm-size"?: string;
  ulimit?: string[];
}

/**
 * The options every RUN step's container gets from `build`'s run flags, checked with
 * docker's messages (`--isolation` takes only `default`, as on Linux).
 *
 * @example
 * ```ts
 * buildRunOptions({ ulimit: ["nofile=512"], memory: "64m" });
 * // { ulimits: [{ name: "nofile", soft: 512, hard: 512 }], memory: 67108864 }
 * ```
 */
export function buildRunOptions(f: BuildRunFlags): StepRunOptions {
  const o: StepRunOptions = {};
  if (f.isolation !== undefined && f.isolation !== "" && f.isolation !== "default") {
    throw new InvalidArgumentError(
      `Invalid isolation: "${f.isolation}" - linux only supports 'default'`,
    );
  }
  if (f.ulimit?.length) o.ulimits = f.ulimit.map(parseUlimit);
  if (f.memory) o.memory = parseSize(f.memory);
  if (f["memory-swap"]) {
    o.memorySwap = f["memory-swap"] === "-1" ? -1 : parseSize(f["memory-swap"]);
  }
  if (f["cpu-shares"]) o.cpuShares = f["cpu-shares"];
  if (f["cgroup-parent"]) o.cgroupParent = f["cgroup-parent"];
  const r: ResourceOptions = {};
  if (f["cpu-period"]) r.cpuPeriod = f["cpu-period"];
  if (f["cpu-quota"]) r.cpuQuota = f["cpu-quota"];
  if (f["cpuset-cpus"]) r.cpusetCpus = f["cpuset-cpus"];
  if (f["cpuset-mems"]) r.cpusetMems = f["cpuset-mems"];
  if (f["shm-size"]) r.shmSize = parseSize(f["shm-size"]);
  checkResourceOptions(r, o.memory !== undefined ? { memory: o.memory } : {});
  if (Object.keys(r).length) o.resources = r;
  if (f["security-opt"]?.length) o.securityOpt = parseSecurityOpt(f["security-opt"]);
  if (f["add-host"]?.length) {
    for (const h of f["add-host"]) parseExtraHost(h);
    o.extraHosts = [...f["add-host"]];
  }
  return o;
}
