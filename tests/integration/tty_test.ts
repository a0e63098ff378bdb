/**
 * `run -it` on a real terminal (root only): skiff runs inside a tmux pane,
 * driven with send-keys and read back with capture-pane. Checks the prompt,
 * the container's pty, the window size and its changes, the exit code and
 * the outer terminal's modes afterwards, and detaching with ctrl-p ctrl-q.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ensureFixtures, fixturePaths } from "../helpers/fixtures.ts";
import { skiff, SKIFF_BIN, type TempStore, tempStore } from "../helpers/skiff.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";
import { hasTmux, Pane } from "../helpers/tmux.ts";
import { until } from "../helpers/wait.ts";

const opts = {
  sanitizeResources: false,
  sanitizeOps: false,
  ignore: skipUnless(IS_ROOT, hasTmux),
};

async function withTty(fn: (pane: Pane, store: TempStore, cmd: string) => Promise<void>) {
  await ensureFixtures();
  const store = await tempStore();
  const pane = new Pane();
  const sk = (args: string[]) => skiff(args, store);
  try {
    const load = await sk(["load", "-q", "-i", `${fixturePaths().busybox}.docker.tar`]);
    assertEquals(load.code, 0, load.stderr);
    await pane.start();
    await fn(pane, store, `${SKIFF_BIN} --root ${store.root} --runroot ${store.runroot}`);
  } finally {
    await pane.stop();
    const ids = (await sk(["ps", "-aq", "--no-trunc"])).stdout.trim().split("\n").filter(Boolean);
    if (ids.length > 0) await sk(["rm", "-f", ...ids]);
    await store.cleanup();
  }
}

Deno.test("run -it: prompt, pty, window size, exit code, terminal restored", opts, async () => {
  await withTty(async (pane, store, cmd) => {
    await pane.send(`${cmd} run -it --name tt busybox sh`);
    await pane.waitFor(/^\/ #/m);
    await pane.send("tty; stty size");
    let screen = await pane.waitFor("40 120");
    assertStringIncludes(screen, "/dev/pts/0");
    await pane.tmux("resize-window", "-t", "t", "-x", "100", "-y", "30");
    // the new size reaches the container's pty (seen from an exec), then the shell's stty
    await until("the resize to reach the container", async () => {
      const r = await skiff(["exec", "tt", "sh", "-c", "stty -F /dev/pts/0 size"], store);
      return r.stdout.trim() === "30 100";
    });
    await pane.send("stty size");
    await pane.waitFor("30 100");
    await pane.send("exit 5");
    await pane.waitFor("OUTER$", 2);
    await pane.send(
      'echo "rc=$?"; stty -a | tr " " "\\n" | grep -x -e icanon -e echo -e -icanon -e -echo',
    );
    screen = await pane.waitFor(/rc=\d+\n(-?\w+\n){2}/);
    assertStringIncludes(screen, "rc=5");
    const modes = screen.slice(screen.lastIndexOf("rc=5")).split("\n").slice(1, 3);
    assertEquals(modes.sort(), ["echo", "icanon"]);
  });
});

Deno.test("run -it: ctrl-p ctrl-q detaches and the container keeps running", opts, async () => {
  await withTty(async (pane, store, cmd) => {
    await pane.send(`${cmd} run -it --name dt busybox sh`);
    await pane.waitFor(/^\/ #/m);
    await pane.send("echo in-$((40 + 2))");
    await pane.waitFor("in-42");
    await pane.keys("C-p", "C-q");
    await pane.waitFor("OUTER$", 2);
    await pane.send('echo "rc=$?"');
    assertStringIncludes(await pane.waitFor(/rc=\d+/), "rc=0");
    const ps = await skiff(["ps", "--filter", "name=dt", "--format", "{{.Status}}"], store);
    assert(ps.stdout.startsWith("Up"), ps.stdout);
    const logs = await skiff(["logs", "dt"], store);
    assertStringIncludes(logs.stdout, "in-42");
    // ctrl-p alone is passed through (the sequence is not complete)
    await pane.send(`${cmd} run -it --rm busybox sh`);
    await pane.waitFor(/^\/ #/m);
    await pane.keys("C-p");
    await pane.send("echo after-$((1 + 1))");
    await pane.waitFor("after-2");
    await pane.send("exit");
    await pane.waitFor("OUTER$", 4);
  });
});

Deno.test("exec -it: pty, window size, ctrl-c, exit code, terminal restored", opts, async () => {
  await withTty(async (pane, store, cmd) => {
    const started = await skiff(["run", "-d", "--name", "ex", "busybox", "sleep", "300"], store);
    assertEquals(started.code, 0, started.stderr);
    await pane.send(`${cmd} exec -it ex sh`);
    await pane.waitFor(/^\/ #/m);
    await pane.send("tty; stty size");
    const screen = await pane.waitFor("40 120");
    assertStringIncludes(screen, "/dev/pts/");
    // ctrl-c interrupts the foreground command inside, not skiff
    await pane.send("sleep 100");
    // ctrl-c once the sleep runs in the foreground (it has been executed: ps shows it)
    await until("sleep 100 to run", async () => {
      const ps = await skiff(["exec", "ex", "ps", "-o", "args"], store);
      return ps.stdout.split("\n").some((l) => l.trim() === "sleep 100");
    });
    await pane.keys("C-c");
    await pane.send("echo still-$((20 + 1))");
    await pane.waitFor("still-21");
    await pane.send("exit 7");
    await pane.waitFor("OUTER$", 2);
    await pane.send(
      'echo "rc=$?"; stty -a | tr " " "\\n" | grep -x -e icanon -e echo -e -icanon -e -echo',
    );
    const after = await pane.waitFor(/rc=\d+\n(-?\w+\n){2}/);
    assertStringIncludes(after, "rc=7");
    const modes = after.slice(after.lastIndexOf("rc=7")).split("\n").slice(1, 3);
    assertEquals(modes.sort(), ["echo", "icanon"]);
  });
});
