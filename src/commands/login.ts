/** `skiff login`: verify and store credentials for a registry. */
import type { CommandContext } from "../cli/spec.ts";
import { InvalidArgumentError, UnavailableError } from "../errors.ts";
import { getCredentials, login as saveLogin, normalizeAuthKey } from "../image/auth.ts";

/** The parsed arguments of `skiff login`. */
export interface LoginArgs {
  /** Registry as typed (default `docker.io`). */
  server: string;
  username?: string;
  password?: string;
  passwordStdin: boolean;
  tlsVerify: boolean;
}

/**
 * Checks `login`'s flags as docker does.
 *
 * @example
 * ```ts
 * parseLoginArgs({ username: "u", "password-stdin": true }, ["localhost:5000"]);
 * ```
 */
export function parseLoginArgs(flags: CommandContext["flags"], args: string[]): LoginArgs {
  const out: LoginArgs = {
    server: args[0] ?? "docker.io",
    username: typeof flags.username === "string" ? flags.username.trim() : undefined,
    password: typeof flags.password === "string" ? flags.password : undefined,
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

/** The key credentials are stored under: `docker.io`, `localhost:5000`. */
function registryOf(server: string): string {
  return normalizeAuthKey(server);
}

async function readStdin(): Promise<string> {
  const text = await new Response(Deno.stdin.readable).text();
  return text.replace(/\r?\n$/, "");
}

/** Reads a line from the terminal, without echo when `hidden`. */
async function promptLine(label: string, hidden: boolean): Promise<string> {
  const enc = new TextEncoder();
  await Deno.stderr.write(enc.encode(label));
  if (hidden) Deno.stdin.setRaw(true);
  const bytes: number[] = [];
  const buf = new Uint8Array(1);
  try {
    while (true) {
      const n = await Deno.stdin.read(buf);
      if (n === null) break;
      const c = buf[0];
      if (c === 10 || c === 13) break;
      if (c === 3) throw new InvalidArgumentError("login cancelled");
      if (c === 127 || c === 8) {
        bytes.pop();
        continue;
      }
      bytes.push(c);
    }
  } finally {
    if (hidden) {
      Deno.stdin.setRaw(false);
      await Deno.stderr.write(enc.encode("\n"));
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** Runs `skiff login [-u USER] [-p PASS | --password-stdin] [SERVER]`. */
export default async function login(ctx: CommandContext): Promise<number> {
  const a = parseLoginArgs(ctx.flags, ctx.args);
  const registry = registryOf(a.server);
  let { username, password } = a;
  if (password !== undefined) {
    console.error("WARNING! Using --password via the CLI is insecure. Use --password-stdin.");
  }
  if (a.passwordStdin) password = await readStdin();
  const tty = Deno.stdin.isTerminal();
  if (!username && password === undefined) {
    const stored = await getCredentials(registry);
    if (stored) {
      console.log("Authenticating with existing credentials...");
      username = stored.username;
      password = stored.password;
    }
  }
  if (!username) {
    if (!tty) {
      throw new InvalidArgumentError(
        "Cannot perform an interactive login from a non TTY device (use --username and --password-stdin)",
      );
    }
    username = (await promptLine("Username: ", false)).trim();
    if (!username) throw new InvalidArgumentError("Username is required");
  }
  if (password === undefined) {
    if (!tty) {
      throw new InvalidArgumentError(
        "Cannot perform an interactive login from a non TTY device (use --password-stdin)",
      );
    }
    password = await promptLine("Password: ", true);
  }
  if (!password) throw new InvalidArgumentError("Password is required");
  try {
    await saveLogin(registry, username, password, { client: { tlsVerify: a.tlsVerify } });
  } catch (err) {
    if (err instanceof UnavailableError && /unauthorized|denied/.test(err.message)) {
      throw new UnavailableError(
        `login to ${a.server} failed: unauthorized: incorrect username or password`,
        { cause: err },
      );
    }
    throw err;
  }
  console.log("Login Succeeded");
  return 0;
}
