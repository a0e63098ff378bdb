/** `skiff version`: client and engine versions, as `docker version` shows them. */
import type { CommandContext } from "../cli/spec.ts";
import { VERSION } from "../version.ts";
import { InvalidArgumentError } from "../errors.ts";

/** Runs `skiff version`. */
export default async function version(ctx: CommandContext): Promise<number> {
  const info = {
    Client: {
      Version: VERSION,
      ApiVersion: "1.41",
      GoVersion: `deno ${Deno.version.deno}`,
      Os: Deno.build.os,
      Arch: Deno.build.arch === "x86_64" ? "amd64" : "arm64",
      Experimental: false,
    },
  };
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
