/** `skiff version`: client and engine versions, as `docker version` shows them. */
import type { CommandContext } from "../cli/spec.ts";
import { VERSION } from "../version.ts";

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
    const { renderTemplate }: typeof import("../cli/template.ts") = await import(
      new URL("../cli/template.ts", import.meta.url).href
    );
    console.log(renderTemplate(fmt, info));
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
