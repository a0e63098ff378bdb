/** `skiff version`: client and engine versions, as `docker version` shows them. */
import type { CommandContext } from "../cli/spec.ts";
import { VERSION } from "../version.ts";
import { InvalidArgumentError } from "../errors.ts";

/**
 * What `version -f` templates see, with Docker's field names. `Server` is the engine that
 * runs the containers: without a daemon, that is this same skiff on this machine.
 */
export function versionInfo(): Record<string, Record<string, unknown>> {
  const arch = Deno.build.arch === "x86_64" ? "amd64" : "arm64";
  const goVersion = `deno ${Deno.version.deno}`;
  const kernel = (() => {
    try {
      return Deno.osRelease();
    } catch {
      return "";
    }
  })();
  const common = { ApiVersion: "1.41", GitCommit: "", GoVersion: goVersion, Os: Deno.build.os };
  return {
    Client: {
      Platform: { Name: "skiff" },
      Version: VERSION,
      ...common,
      DefaultAPIVersion: "1.41",
      Arch: arch,
      BuildTime: "",
      Context: "default",
      Experimental: false,
    },
    Server: {
      Platform: { Name: "skiff (daemonless)" },
      Components: [{
        Name: "Engine",
        Version: VERSION,
        Details: { ...common, Arch: arch, KernelVersion: kernel, MinAPIVersion: "1.12" },
      }],
      Version: VERSION,
      ...common,
      MinAPIVersion: "1.12",
      Arch: arch,
      KernelVersion: kernel,
      Experimental: false,
      BuildTime: "",
    },
  };
}

/** Runs `skiff version [-f FORMAT]` (`--kubeconfig`, deprecated in Docker, is ignored). */
export default async function version(ctx: CommandContext): Promise<number> {
  const info = versionInfo();
  const fmt = ctx.flags.format as string | undefined;
  if (fmt) {
    const { parseTemplate }: typeof import("../cli/template.ts") = await import(
      new URL("../cli/template.ts", import.meta.url).href
    );
    // a field the version lacks is an error that exits 1, as docker's is (not "<no value>")
    let out: string;
    try {
      out = parseTemplate(fmt).execute(info, undefined, {
        missing: "struct",
        typeName: "system.versionInfo",
      });
    } catch (e) {
      const err = new InvalidArgumentError((e as Error).message);
      err.exitCode = 1;
      throw err;
    }
    console.log(out);
    return 0;
  }
  console.log(
    [
      "Client:",
      ` Version:           ${VERSION}`,
      ` API version:       ${info.Client.ApiVersion}`,
      ` Deno version:      ${Deno.version.deno}`,
      ` OS/Arch:           ${info.Client.Os}/${info.Client.Arch}`,
      " Daemon:            none (skiff is daemonless)",
    ].join("\n"),
  );
  return 0;
}
