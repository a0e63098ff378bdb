/** `skiff login`: verify and store credentials for a registry. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { login as spec } from "../cli/table.ts";
import { InvalidArgumentError } from "../errors.ts";
import { type LoginOptions, loginRegistry } from "../engine/image_login.ts";
import { promptLine, readStdin } from "./login_prompt.ts";
import { exitOne } from "./exit_codes.ts";

/**
 * Checks `login`'s flags as docker does.
 *
 * @example
 * ```ts
 * parseLoginArgs({ username: "u", "password-stdin": true }, ["localhost:5000"]);
 * ```
 */
export function parseLoginArgs(
  flags: Partial<FlagsOf<typeof spec>>,
  args: string[],
): LoginOptions & { passwordStdin: boolean } {
  const out = {
    server: args[0] ?? "docker.io",
    username: flags.username?.trim(),
    password: flags.password,
    passwordStdin: flags["password-stdin"] === true,
    tlsVerify: flags["tls-verify"] !== false,
  };
  if (out.password !== undefined && out.passwordStdin) {
    throw new InvalidArgumentError("--password and --password-stdin are mutually exclusive");
  }
  if (out.passwordStdin && !out.username) {
    throw new InvalidArgumentError("Must provide --username with --password-stdin");
  }
  return out;
}

/** Prompts on a terminal; without one, says which flags to use instead. */
function ask(label: string, hidden: boolean, instead: string): Promise<string> {
  if (!Deno.stdin.isTerminal()) {
    throw new InvalidArgumentError(
      `Cannot perform an interactive login from a non TTY device (use ${instead})`,
    );
  }
  return promptLine(label, hidden);
}

/** Runs `skiff login [-u USER] [-p PASS | --password-stdin] [SERVER]`. */
export default function login(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  // Its errors exit 1, as docker's do (125 is for flags that do not parse).
  return exitOne(() => loginWork(ctx));
}

async function loginWork(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const a = parseLoginArgs(ctx.flags, ctx.args);
  if (a.password !== undefined) {
    console.error("WARNING! Using --password via the CLI is insecure. Use --password-stdin.");
  }
  if (a.passwordStdin) a.password = await readStdin();
  await loginRegistry(a, {
    usingStored: () => console.log("Authenticating with existing credentials..."),
    username: () => ask("Username: ", false, "--username and --password-stdin"),
    password: () => ask("Password: ", true, "--password-stdin"),
  });
  console.log("Login Succeeded");
  return 0;
}
