/**
 * `exec -it --detach-keys` on a real terminal (root only, in a tmux pane as tty_test.ts does):
 * ctrl-p ctrl-q (Docker's default) or the keys given give the terminal back with exit 0 and
 * its modes restored, while the exec'd shell keeps running in the container (its terminal is
 * kept open by a process that is not in the container's pid namespace); keys that only start
 * the sequence reach the shell; a bad key spec is one line.
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

/** The command lines of the container's processes, as its own `ps` shows them. */
async function processes(store: TempStore): Promise<string[]> {
  const ps = await skiff(["exec", "ed", "ps", "-o", "args"], store);
  return ps.stdout.split("\n").slice(1).map((l) => l.trim()).filter(Boolean);
}

Deno.test("exec -it: ctrl-p ctrl-q and --detach-keys detach; the shell runs on", opts, async () => {
  await withTty(async (pane, store, cmd) => {
    const started = await skiff(["run", "-d", "--name", "ed", "busybox", "sleep", "300"], store);
    assertEquals(started.code, 0, started.stderr);

    await pane.send(`${cmd} exec -it ed sh -c 'echo marker-one; exec sh'`);
    await pane.waitFor(/^\/ #/m);
    // ctrl-p alone, then other keys: passed through, the shell still answers
    await pane.keys("C-p");
    await pane.send("echo in-$((40 + 2))");
    await pane.waitFor("in-42");
    await pane.keys("C-p", "C-q");
    await pane.waitFor("OUTER$", 2);
    await pane.send(
      'echo "rc=$?"; stty -a | tr " " "\\n" | grep -x -e icanon -e echo -e -icanon -e -echo',
    );
    const after = await pane.waitFor(/rc=\d+\n(-?\w+\n){2}/);
    assertStringIncludes(after, "rc=0");
    const modes = after.slice(after.lastIndexOf("rc=0")).split("\n").slice(1, 3);
    assertEquals(modes.sort(), ["echo", "icanon"]);
    // the detached shell runs on in the container; what keeps its terminal is not in there
    const seen = await processes(store);
    assertEquals(seen.filter((l) => l === "sh").length, 1, seen.join(" | "));
    assert(!seen.some((l) => l.includes("skiff")), seen.join(" | "));

    // other keys, in Docker's syntax
    await pane.send(`${cmd} exec -it --detach-keys ctrl-x,y ed sh`);
    await pane.waitFor(/^\/ #/m, 2);
    await pane.keys("C-p", "C-q"); // not the keys now: the shell gets them
    await pane.send("echo two-$((1 + 1))");
    await pane.waitFor("two-2");
    await pane.keys("C-x", "y");
    await pane.waitFor("OUTER$", 3);
    await pane.send('echo "rc=$?"');
    assertStringIncludes(await pane.waitFor(/rc=\d+\n[^]*rc=\d+/), "rc=0");
    await until(
      "two detached shells",
      async () => (await processes(store)).filter((l) => l === "sh").length === 2,
    );

    const bad = await skiff(["exec", "-it", "--detach-keys", "ctrl-ab", "ed", "sh"], store);
    assertEquals(bad.code, 125);
    assertEquals(bad.stderr, "Error: Invalid detach keys (ctrl-ab) provided\n");
  });
});
