/**
 * A terminal for tests: a tmux server of its own with one 120x40 window running a plain bash
 * (prompt "OUTER$ "), typed into with send-keys and read back with capture-pane.
 *
 * ```ts ignore
 * import { Pane } from "./tmux.ts";
 * const pane = new Pane();
 * await pane.start();
 * await pane.send("echo hi");
 * await pane.waitFor("hi", 2);
 * await pane.stop();
 * ```
 *
 * @module
 */
/** Whether tmux can be run here. */
export const hasTmux = (() => {
  try {
    return new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();

/** A tmux server of our own with one 120x40 window running a plain bash. */
export class Pane {
  readonly socket = `skiff-tty-${Deno.pid}-${Math.random().toString(36).slice(2, 8)}`;

  async tmux(...args: string[]): Promise<string> {
    const out = await new Deno.Command("tmux", {
      args: ["-L", this.socket, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const td = new TextDecoder();
    if (!out.success) throw new Error(`tmux ${args.join(" ")}: ${td.decode(out.stderr)}`);
    return td.decode(out.stdout);
  }

  async start(): Promise<void> {
    await this.tmux(
      "new-session",
      "-d",
      "-s",
      "t",
      "-x",
      "120",
      "-y",
      "40",
      "env",
      "-i",
      "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
      "TERM=xterm",
      "PS1=OUTER$ ",
      "bash",
      "--norc",
      "--noprofile",
    );
    await this.waitFor("OUTER$");
  }

  /** Types a line (or keys such as "C-p") into the pane. */
  async send(text: string, enter = true): Promise<void> {
    await this.tmux("send-keys", "-t", "t", "-l", text);
    if (enter) await this.tmux("send-keys", "-t", "t", "Enter");
  }

  async keys(...keys: string[]): Promise<void> {
    await this.tmux("send-keys", "-t", "t", ...keys);
  }

  screen(): Promise<string> {
    return this.tmux("capture-pane", "-p", "-t", "t", "-S", "-200");
  }

  /** Waits until `pattern` is on screen `count` times; returns the screen. */
  async waitFor(pattern: string | RegExp, count = 1, ms = 15_000): Promise<string> {
    const deadline = Date.now() + ms;
    let last = "";
    while (Date.now() < deadline) {
      last = await this.screen();
      const n = typeof pattern === "string"
        ? last.split(pattern).length - 1
        : (last.match(new RegExp(pattern.source, pattern.flags.replace("g", "") + "g")) ?? [])
          .length;
      if (n >= count) return last;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`Timed out waiting for ${pattern} (x${count}) on screen:\n${last}`);
  }

  async stop(): Promise<void> {
    await this.tmux("kill-server").catch(() => {});
  }
}
