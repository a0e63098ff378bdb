/**
 * `login`'s prompts on a real terminal (a pty made by `script`): the username is echoed as it
 * is typed, the password is not, erase works, Ctrl-C cancels, and the terminal echoes again
 * afterwards. The typing starts only once the prompt is on the screen (and, for the password,
 * once the terminal has stopped echoing), as a person would type.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { until } from "../helpers/wait.ts";
import { skipUnless } from "../helpers/requires.ts";

const MODULE = new URL("../../src/commands/login_prompt.ts", import.meta.url).href;
const CHILD = `
import { promptLine } from "${MODULE}";
console.log("TTY:" + Deno.readLinkSync("/proc/self/fd/0"));
try {
  const v = await promptLine(Deno.env.get("LABEL")!, Deno.env.get("HIDDEN") === "1");
  console.log("RESULT:" + JSON.stringify(v));
} catch (e) {
  console.log("ERROR:" + (e as Error).message);
}
const st = await new Deno.Command("stty", { args: ["-a"], stdin: "inherit", stdout: "piped" })
  .output();
console.log("ECHO:" + (/(^|\\s)echo(\\s|$)/.test(new TextDecoder().decode(st.stdout)) ? "on" : "off"));
`;

const haveScript = (await new Deno.Command("sh", { args: ["-c", "command -v script"] }).output())
  .success;

/** Runs the prompt on a pty, types `keys` when it is ready; returns what the screen showed. */
async function prompt(label: string, hidden: boolean, keys: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "skiff-prompt-" });
  try {
    await Deno.writeTextFile(`${dir}/child.ts`, CHILD);
    const cmd = `${Deno.execPath()} run -A --quiet --no-check ${dir}/child.ts`;
    const child = new Deno.Command("script", {
      args: ["-q", "-f", "-e", "-c", cmd, "/dev/null"],
      env: { LABEL: label, HIDDEN: hidden ? "1" : "0", NO_COLOR: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let screen = "";
    const td = new TextDecoder();
    const reading = (async () => {
      for await (const chunk of child.stdout) screen += td.decode(chunk, { stream: true });
    })();
    await until(`the prompt ${JSON.stringify(label)}`, () => screen.includes(label));
    const tty = /TTY:(\S+)/.exec(screen)![1];
    if (hidden) {
      await until("the terminal to stop echoing", async () => {
        const st = await new Deno.Command("stty", { args: ["-F", tty, "-a"], stdout: "piped" })
          .output();
        return /(^|\s)-echo(\s|$)/.test(td.decode(st.stdout));
      });
    }
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(keys));
    await reading;
    await w.close().catch(() => {});
    const status = await child.status;
    await child.stderr.cancel();
    assertEquals(status.code, 0, screen);
    return screen.replace(/\r/g, "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The part of the screen between the prompt and the program's own result lines. */
function typedArea(screen: string, label: string): string {
  const from = screen.indexOf(label) + label.length;
  return screen.slice(from, screen.search(/(RESULT|ERROR):/));
}

const opts = { ignore: skipUnless(haveScript), sanitizeResources: false, sanitizeOps: false };

Deno.test({
  name: "login prompt: the username is echoed as typed; erase works",
  ...opts,
  fn: async () => {
    const screen = await prompt("Username: ", false, "alicx\x7fe\r");
    assert(screen.includes('RESULT:"alice"'), screen);
    assert(typedArea(screen, "Username: ").includes("alic"), screen);
    assert(screen.includes("ECHO:on"), screen);
  },
});

Deno.test({
  name: "login prompt: the password is not echoed; erase works; echo comes back",
  ...opts,
  fn: async () => {
    const screen = await prompt("Password: ", true, "s3crx\x7fet\r");
    assert(screen.includes('RESULT:"s3cret"'), screen);
    const typed = typedArea(screen, "Password: ");
    assert(!/s3c|cr|et/.test(typed), `the password was shown: ${JSON.stringify(typed)}`);
    assertEquals(typed, "\n"); // only the line end the prompt prints itself
    assert(screen.includes("ECHO:on"), screen);
  },
});

Deno.test({
  name: "login prompt: Ctrl-C at the password cancels the login and restores echo",
  ...opts,
  fn: async () => {
    const screen = await prompt("Password: ", true, "abc\x03");
    assert(screen.includes("ERROR:login cancelled"), screen);
    assert(!screen.includes("RESULT:"), screen);
    assert(screen.includes("ECHO:on"), screen);
  },
});
