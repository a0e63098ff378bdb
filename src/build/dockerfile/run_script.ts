/**
 * What a RUN with heredocs executes, as BuildKit decides it: a RUN that is only `<<EOF`
 * runs the body with the shell (or, when the body starts with `#!`, as an executable file);
 * any other RUN with heredocs hands the shell the command line followed by each body and
 * its delimiter, so that the shell's own here-document rules (quoted delimiters, `<<-`)
 * apply.
 */
import type { RunInstruction } from "./ast.ts";
import { chompHeredoc, parseHeredocWord } from "./lexer.ts";

/** How to run a RUN instruction's command. */
export type RunScript =
  /** Exec form: run these arguments as they are. */
  | { kind: "exec"; args: string[] }
  /** Run `script` with the image's shell (`SHELL`, default `/bin/sh -c`). */
  | { kind: "shell"; script: string }
  /**
   * A `#!` heredoc: write `content` as `/dev/pipes/<name>` (mode 0755, on a read-only mount)
   * and run that path with the shell, as BuildKit does.
   */
  | { kind: "file"; name: string; content: string };

/**
 * The command a RUN instruction runs.
 *
 * @example
 * ```ts
 * import { parseDockerfile } from "./parse.ts";
 * import { runScript } from "./run_script.ts";
 * import type { RunInstruction } from "./ast.ts";
 * const df = parseDockerfile("FROM a\nRUN <<EOF\necho hi\nEOF\n");
 * runScript(df.stages[0].instructions[0] as RunInstruction); // { kind: "shell", script: "echo hi\n" }
 * ```
 */
export function runScript(run: RunInstruction): RunScript {
  if (run.command.form === "exec") return { kind: "exec", args: run.command.args };
  const command = run.command.command;
  if (run.heredocs.length === 0) return { kind: "shell", script: command };
  const only = parseHeredocWord(command);
  if (only) {
    const doc = run.heredocs[0];
    const content = doc.chomp ? chompHeredoc(doc.content) : doc.content;
    if (content.startsWith("#!")) return { kind: "file", name: doc.name, content };
    return { kind: "shell", script: content };
  }
  let script = command;
  for (const doc of run.heredocs) script += "\n" + doc.content + doc.name;
  return { kind: "shell", script };
}
