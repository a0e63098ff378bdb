/**
 * skiff's entry point: parses the command line against the command table,
 * runs the command, and maps errors to Docker's exit codes (125 for engine
 * errors). Commands are imported lazily, so start-up stays near Deno's own.
 */
import { SkiffError } from "./src/errors.ts";

async function main(argv: string[]): Promise<number> {
  const remote = ["DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_TLS_VERIFY"].some((k) =>
    Deno.env.get(k)
  );
  if (argv.length === 1 && (argv[0] === "version" || argv[0] === "--version") && !remote) {
    // The hottest trivial path skips loading the command table.
    if (argv[0] === "--version") {
      const { versionLine }: typeof import("./src/version.ts") = await import(
        new URL("./src/version.ts", import.meta.url).href
      );
      console.log(versionLine());
      return 0;
    }
    const version: typeof import("./src/commands/version.ts") = await import(
      new URL("./src/commands/version.ts", import.meta.url).href
    );
    return await version.default({ path: ["version"], flags: {}, args: [], global: {} });
  }
  // Computed specifiers: Deno would otherwise pre-load every command's module graph.
  const [{ commandTable }, { parseInvocation }, { checkGlobalOptions }] = await Promise.all([
    import(new URL("./src/cli/table.ts", import.meta.url).href),
    import(new URL("./src/cli/parser.ts", import.meta.url).href),
    import(new URL("./src/cli/global_options.ts", import.meta.url).href),
  ]) as [
    typeof import("./src/cli/table.ts"),
    typeof import("./src/cli/parser.ts"),
    typeof import("./src/cli/global_options.ts"),
  ];
  const inv = parseInvocation(commandTable, argv);
  // -H, --tls..., -c and their environment variables: refused unless skiff can honour them
  const level = checkGlobalOptions(inv.global, (k) => Deno.env.get(k));
  // debug: errors are reported with their stack, for bug reports.
  if (level === "debug") debug = true;
  if (inv.global.config !== undefined) {
    // --config DIR: credentials are DIR/config.json for login, logout, pull and push
    const { useConfigDir }: typeof import("./src/image/registry_credentials.ts") = await import(
      new URL("./src/image/registry_credentials.ts", import.meta.url).href
    );
    useConfigDir(inv.global.config);
  }
  if (inv.version && !inv.command) {
    const { versionLine }: typeof import("./src/version.ts") = await import(
      new URL("./src/version.ts", import.meta.url).href
    );
    console.log(versionLine());
    return 0;
  }
  if (inv.help || !inv.command) {
    const help: typeof import("./src/cli/help.ts") = await import(
      new URL("./src/cli/help.ts", import.meta.url).href
    );
    console.log(
      inv.command ? help.commandHelp(inv.path, inv.command) : help.rootHelp(commandTable),
    );
    return 0;
  }
  const mod = await inv.command.load!();
  const code = await mod.default({
    path: inv.path,
    flags: inv.flags,
    args: inv.args,
    global: inv.global,
  });
  return code ?? 0;
}

let debug = Deno.env.get("SKIFF_DEBUG") !== undefined;

function report(err: unknown): number {
  const message = err instanceof Error ? err.message : String(err);
  if (debug && err instanceof Error) console.error(err.stack);
  console.error(`Error: ${message.replaceAll("\n", " ")}`);
  return err instanceof SkiffError ? err.exitCode : 125;
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (err) {
    code = report(err);
  }
  Deno.exit(code);
}
