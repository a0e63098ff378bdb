/**
 * Interactive `skiff login` on a terminal (a pty made by `script`) against a registry that
 * wants HTTP basic auth: the prompts, the username echoed and the password not, "Login
 * Succeeded", and the credentials kept. Typing starts once each prompt is on the screen (and,
 * for the password, once the terminal has stopped echoing), as a person would type.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { startRegistry } from "../helpers/registry.ts";
import { SKIFF_BIN, tempStore } from "../helpers/skiff.ts";
import { until } from "../helpers/wait.ts";
import { skipUnless } from "../helpers/requires.ts";

const haveScript = (await new Deno.Command("sh", { args: ["-c", "command -v script"] }).output())
  .success;

/** The terminal of the process `script` started (its child's stdin). */
async function ptyOf(scriptPid: number): Promise<string> {
  let tty = "";
  await until("the program on the pty", async () => {
    for await (const t of Deno.readDir(`/proc/${scriptPid}/task`)) {
      const kids = (await Deno.readTextFile(`/proc/${scriptPid}/task/${t.name}/children`)).trim();
      for (const kid of kids.split(/\s+/).filter(Boolean)) {
        const link = await Deno.readLink(`/proc/${kid}/fd/0`).catch(() => "");
        if (link.startsWith("/dev/pts/")) tty = link;
      }
    }
    return tty !== "";
  });
  return tty;
}

async function echoOff(tty: string): Promise<boolean> {
  const st = await new Deno.Command("stty", { args: ["-F", tty, "-a"], stdout: "piped" }).output();
  return /(^|\s)-echo(\s|$)/.test(new TextDecoder().decode(st.stdout));
}

Deno.test({
  name: "login on a terminal: prompts, the password unseen, Login Succeeded, credentials kept",
  ignore: skipUnless(haveScript),
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const reg = await startRegistry({ htpasswd: { user: "alice", password: "s3cret" } });
    const store = await tempStore();
    const home = await Deno.makeTempDir({ prefix: "skiff-login-tty-" });
    try {
      const authFile = `${home}/auth.json`;
      const cmd =
        `${SKIFF_BIN} --root ${store.root} --runroot ${store.runroot} login ${reg.host}; echo "EXIT:$?"`;
      const child = new Deno.Command("script", {
        args: ["-q", "-f", "-c", cmd, "/dev/null"],
        env: { SKIFF_AUTH_FILE: authFile, HOME: home, DOCKER_CONFIG: `${home}/docker` },
        stdin: "piped",
        stdout: "piped",
        stderr: "null",
      }).spawn();
      let screen = "";
      const td = new TextDecoder();
      const reading = (async () => {
        for await (const chunk of child.stdout) screen += td.decode(chunk, { stream: true });
      })();
      const keys = child.stdin.getWriter();
      const type = (s: string) => keys.write(new TextEncoder().encode(s));
      try {
        await until("the username prompt", () => screen.includes("Username: "), 60_000);
        const tty = await ptyOf(child.pid);
        await type("alice\r");
        await until("the password prompt", () => screen.includes("Password: "));
        await until("the terminal to stop echoing", () => echoOff(tty));
        await type("s3cret\r");
        await until("skiff to exit", () => screen.includes("EXIT:"), 60_000);
      } finally {
        await keys.close().catch(() => {});
        await child.status;
        await reading;
      }
      const text = screen.replace(/\r/g, "");
      assert(text.includes("EXIT:0"), text);
      const afterUser = text.slice(text.indexOf("Username: ") + "Username: ".length);
      assert(afterUser.startsWith("alice\n"), `the username was not echoed: ${text}`);
      const typed = text.slice(text.indexOf("Password: ") + "Password: ".length);
      assertEquals(typed.split("\n").slice(0, 3), ["", "Login Succeeded", "EXIT:0"]);
      assert(!text.includes("s3cret"), `the password was shown: ${text}`);
      const auth = JSON.parse(await Deno.readTextFile(authFile));
      assertEquals(atob(auth.auths[reg.host].auth), "alice:s3cret");
    } finally {
      await Deno.remove(home, { recursive: true });
      await store.cleanup();
      await reg.stop();
    }
  },
});
