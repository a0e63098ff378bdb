/**
 * The CDI spec files on this host: every `*.json`, `*.yaml` and `*.yml` in `/etc/cdi` then
 * `/var/run/cdi` (or the directories `SKIFF_CDI_SPEC_DIRS` lists, colon-separated, in the same
 * order of priority: a device in a later directory replaces one of the same name in an earlier
 * one). A file that does not parse is left out and named when a device cannot be found.
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.ts";
import { GPU_KIND, type GpuRequest } from "./cdi_names.ts";
import { type CdiEdits, type CdiSpec, parseCdiSpec } from "./cdi_spec.ts";

/** Where CDI specs live unless SKIFF_CDI_SPEC_DIRS says otherwise, lowest priority first. */
export const DEFAULT_CDI_SPEC_DIRS: readonly string[] = ["/etc/cdi", "/var/run/cdi"];

/** Largest spec file read. */
const MAX_SPEC_BYTES = 4 * 1024 * 1024;

/**
 * The spec directories, lowest priority first: SKIFF_CDI_SPEC_DIRS when set (absolute paths,
 * colon-separated), else /etc/cdi and /var/run/cdi.
 *
 * @example
 * ```ts
 * cdiSpecDirs(() => "/tmp/a:/tmp/b"); // ["/tmp/a", "/tmp/b"]
 * cdiSpecDirs(() => undefined); // ["/etc/cdi", "/var/run/cdi"]
 * ```
 */
export function cdiSpecDirs(
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): string[] {
  const value = env("SKIFF_CDI_SPEC_DIRS");
  if (value === undefined || value === "") return [...DEFAULT_CDI_SPEC_DIRS];
  const dirs = value.split(":").filter((d) => d !== "");
  for (const d of dirs) {
    if (!d.startsWith("/") || d.split("/").includes("..")) {
      throw new InvalidArgumentError(
        `SKIFF_CDI_SPEC_DIRS: "${d}" is not an absolute path without ".."`,
      );
    }
  }
  return dirs;
}

/** One device a spec describes, with the spec it comes from. */
export interface CdiDevice {
  /** `vendor.com/class=name`. */
  qualified: string;
  name: string;
  edits: CdiEdits;
  spec: CdiSpec;
}

/** The devices of every readable spec, by qualified name, and the files that were left out. */
export interface CdiRegistry {
  devices: Map<string, CdiDevice>;
  /** Devices two files of the same directory both define: qualified name to the two files. */
  conflicts: Map<string, [string, string]>;
  /** One line per spec file that could not be read or did not parse. */
  errors: string[];
  /** Those lines by the kind the file names, when it names one. */
  kindErrors: Map<string, string>;
  dirs: string[];
}

async function parseFile(path: string): Promise<unknown> {
  const st = await Deno.stat(path);
  if (st.size > MAX_SPEC_BYTES) throw new Error(`larger than ${MAX_SPEC_BYTES} bytes`);
  const text = await Deno.readTextFile(path);
  if (path.endsWith(".json")) return JSON.parse(text);
  // a heavy module: only loaded when a YAML spec is there
  const yaml: typeof import("yaml") = await import("yaml");
  return yaml.parse(text, { maxAliasCount: 100 });
}

/**
 * Reads the specs in `dirs` (lowest priority first); a missing directory is skipped.
 *
 * @example
 * ```ts ignore
 * const reg = await loadCdiRegistry(cdiSpecDirs());
 * reg.devices.get("nvidia.com/gpu=0");
 * ```
 */
export async function loadCdiRegistry(dirs: string[]): Promise<CdiRegistry> {
  const reg: CdiRegistry = {
    devices: new Map(),
    conflicts: new Map(),
    errors: [],
    kindErrors: new Map(),
    dirs,
  };
  for (const dir of dirs) {
    let names: string[];
    try {
      names = [];
      for await (const e of Deno.readDir(dir)) {
        if (/\.(json|ya?ml)$/.test(e.name) && !e.isDirectory) names.push(e.name);
      }
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) continue;
      reg.errors.push(`${dir}: ${(err as Error).message}`);
      continue;
    }
    const here = new Map<string, string>();
    for (const name of names.sort()) {
      const path = `${dir}/${name}`;
      let spec: CdiSpec;
      let doc: unknown;
      try {
        doc = await parseFile(path);
        spec = parseCdiSpec(doc, path);
      } catch (err) {
        const msg = (err as Error).message.split("\n")[0];
        const line = msg.startsWith("CDI spec ") ? msg : `CDI spec ${path}: ${msg}`;
        reg.errors.push(line);
        const kind = (doc as { kind?: unknown } | undefined)?.kind;
        if (typeof kind === "string") reg.kindErrors.set(kind, line);
        continue;
      }
      for (const d of spec.devices) {
        const qualified = `${spec.kind}=${d.name}`;
        const other = here.get(qualified);
        if (other) reg.conflicts.set(qualified, [other, path]);
        here.set(qualified, path);
        reg.devices.set(qualified, { qualified, name: d.name, edits: d.edits, spec });
      }
    }
  }
  return reg;
}

/**
 * The devices that `names` (qualified) ask for; an unknown or conflicting one is a one-line
 * error naming the directories searched and the first spec file left out, if any.
 *
 * @example
 * ```ts ignore
 * resolveCdiDevices(reg, ["example.com/null=a"]);
 * ```
 */
export function resolveCdiDevices(reg: CdiRegistry, names: string[]): CdiDevice[] {
  return names.map((name) => {
    const conflict = reg.conflicts.get(name);
    if (conflict) {
      throw new InvalidArgumentError(
        `CDI device ${name} is defined by both ${conflict[0]} and ${conflict[1]}`,
      );
    }
    const device = reg.devices.get(name);
    if (device) return device;
    const left = reg.kindErrors.get(name.slice(0, name.indexOf("="))) ?? reg.errors[0];
    const broken = left ? ` (a spec was left out: ${left})` : "";
    throw new InvalidArgumentError(
      `unresolvable CDI device ${name}: no CDI spec in ${
        reg.dirs.join(", ")
      } describes it${broken}`,
    );
  });
}

function byIndexThenName(a: string, b: string): number {
  const na = /^\d+$/.test(a) ? Number(a) : NaN, nb = /^\d+$/.test(b) ? Number(b) : NaN;
  if (!isNaN(na) && !isNaN(nb)) return na - nb;
  if (!isNaN(na)) return -1;
  if (!isNaN(nb)) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The CDI device names `--gpus` stands for: `all` is the spec's `all` device when it has one,
 * else every GPU; a count takes the GPUs by index; `device=` names them. No spec describing a
 * GPU is a one-line error saying how to make one.
 *
 * @example
 * ```ts ignore
 * selectGpus(reg, { kind: "count", count: 1 }); // ["nvidia.com/gpu=0"]
 * ```
 */
export function selectGpus(reg: CdiRegistry, request: GpuRequest): string[] {
  const prefix = `${GPU_KIND}=`;
  const gpus = [...reg.devices.keys()].filter((k) => k.startsWith(prefix))
    .map((k) => k.slice(prefix.length));
  if (gpus.length === 0) {
    const broken = reg.errors.length ? ` (a spec was left out: ${reg.errors[0]})` : "";
    throw new InvalidArgumentError(
      `--gpus: no CDI spec in ${
        reg.dirs.join(", ")
      } describes a GPU (kind ${GPU_KIND}); make one with: nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml${broken}`,
    );
  }
  const single = gpus.filter((g) => g !== "all").sort(byIndexThenName);
  if (request.kind === "all") {
    return (gpus.includes("all") ? ["all"] : single).map((g) => prefix + g);
  }
  if (request.kind === "count") {
    const indexed = single.filter((g) => /^\d+$/.test(g));
    const pool = indexed.length ? indexed : single;
    if (pool.length < request.count) {
      throw new InvalidArgumentError(
        `--gpus ${request.count}: the CDI specs describe ${pool.length} GPU${
          pool.length === 1 ? "" : "s"
        }`,
      );
    }
    return pool.slice(0, request.count).map((g) => prefix + g);
  }
  return request.ids.map((id) => prefix + id);
}
