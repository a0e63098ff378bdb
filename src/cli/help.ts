/** Usage text for skiff and each command, generated from the command table. */
import type { CommandSpec, FlagSpec } from "./spec.ts";
import { globalFlags } from "./parser.ts";

function flagLines(flags: FlagSpec[]): string[] {
  const rows = flags.filter((f) => !f.hidden).map((f) => {
    const short = f.short ? `-${f.short}, ` : "    ";
    const value = f.type === "bool" ? "" : ` ${f.valueName ?? f.type}`;
    let help = f.help;
    if (f.type !== "bool" && f.default !== undefined && f.default !== "") {
      help += ` (default ${typeof f.default === "string" ? `"${f.default}"` : f.default})`;
    }
    if (f.type === "bool" && f.default === true) help += " (default true)";
    return [`  ${short}--${f.name}${value}`, help];
  });
  const width = Math.max(0, ...rows.map(([l]) => l.length)) + 3;
  return rows.map(([l, h]) => l.padEnd(width) + h);
}

function commandLines(list: CommandSpec[]): string[] {
  const width = Math.max(...list.map((c) => c.name.length)) + 3;
  return list.map((c) => `  ${c.name.padEnd(width)}${c.summary}`);
}

/** Help for `skiff --help`. */
export function rootHelp(table: CommandSpec[]): string {
  const groups = table.filter((c) => c.subcommands);
  const plain = table.filter((c) => !c.subcommands);
  return [
    "",
    "Usage:  skiff [OPTIONS] COMMAND",
    "",
    "A daemonless, Docker-compatible container engine",
    "",
    "Management Commands:",
    ...commandLines(groups),
    "",
    "Commands:",
    ...commandLines(plain),
    "",
    "Global Options:",
    ...flagLines(globalFlags),
    "",
    "Run 'skiff COMMAND --help' for more information on a command.",
    "",
  ].join("\n");
}

/** Help for `skiff COMMAND --help` (path is the command words, e.g. ["image", "ls"]). */
export function commandHelp(path: string[], command: CommandSpec): string {
  const display = `skiff ${path.join(" ")}`;
  const lines = [
    "",
    `Usage:  ${display} ${command.usage ?? (command.subcommands ? "COMMAND" : "")}`.trimEnd(),
    "",
  ];
  lines.push(command.summary, "");
  if (command.aliases?.length) {
    const parent = path.slice(0, -1).join(" ");
    lines.push(
      "Aliases:",
      `  ${[command.name, ...command.aliases].map((a) => `${parent} ${a}`.trim()).join(", ")}`,
      "",
    );
  }
  if (command.subcommands) {
    lines.push("Commands:", ...commandLines(command.subcommands), "");
    lines.push(`Run '${display} COMMAND --help' for more information on a command.`, "");
    return lines.join("\n");
  }
  const flags = command.flags ?? [];
  if (flags.length) lines.push("Options:", ...flagLines(flags), "");
  return lines.join("\n");
}
