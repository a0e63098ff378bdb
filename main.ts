/**
 * skiff's entry point: parses the command line against the command table,
 * runs the command, and maps errors to Docker's exit codes (125 for engine
 * errors). Commands are imported lazily, so start-up stays near Deno's own.
 */
import { SkiffError } from "./src/errors.ts";

async function main(argv: string[]): Promise<number> {
  if (argv.length === 1 && (argv[0] === "version" || argv[0] === "--version")) {
    // The hottest trivial path skips loading the command table.
    if (argv[0] === "--version") {
      const { versionLine } = await import("./src/version.ts");
      console.log(versionLine());
      return 0;
    }
    const version = await import("./src/commands/version.ts");
    return await version.default({ path: ["version"], flags: {}, args: [], global: {} });
  }
  const [{ commandTable }, { parseInvocation }] = await Promise.all([
    import("./src/cli/table.ts"),
    import("./src/cli/parser.ts"),
  ]);
  const inv = parseInvocation(commandTable, argv);
  if (inv.version && !inv.command) {
    const { versionLine } = await import("./src/version.ts");
    console.log(versionLine());
    return 0;
  }
  if (inv.help || !inv.command) {
    const help = await import("./src/cli/help.ts");
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

function report(err: unknown): number {
  const message = err instanceof Error ? err.message : String(err);
  if (Deno.env.get("SKIFF_DEBUG") && err instanceof Error) console.error(err.stack);
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
