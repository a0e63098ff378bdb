/**
 * A container never holds the caller's terminal (root and tmux): a hostile program run by
 * `exec` (with and without -i), `run` (with and without -i) and `start -a` tries to push a
 * command line into the calling shell with TIOCSTI on its stdio and /dev/tty. Without -t its
 * stdio are pipes and it has no controlling terminal, so nothing reaches the shell. The same
 * program run directly in the shell does inject: the check can see an injection.
 */
import { assertEquals } from "../helpers/assert.ts";
import { ensureFixtures, fixturePaths } from "../helpers/fixtures.ts";
import { skiff, SKIFF_BIN, tempStore } from "../helpers/skiff.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";
import { hasTmux, Pane } from "../helpers/tmux.ts";

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: skipUnless(IS_ROOT, hasTmux) };
const PROBE_SOURCE = new URL("../fixtures/probes/tiocsti.c", import.meta.url).pathname;
const ALL_REFUSED = "tiocsti-probe: stdin=refused stdout=refused stderr=refused /dev/tty=refused";

/** Builds the probe as a static binary into `dir`. */
async function buildProbe(dir: string): Promise<void> {
  const out = await new Deno.Command("musl-gcc", {
    args: ["-static", "-O2", "-o", `${dir}/tiocsti`, PROBE_SOURCE],
    stderr: "piped",
  }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
}

/** How many times `text` is on the screen. */
function count(screen: string, text: string): number {
  return screen.split(text).length - 1;
}

Deno.test(
  "exec, run and start -a: a container cannot type into the caller's shell",
  opts,
  async () => {
    await ensureFixtures();
    const store = await tempStore();
    const probeDir = await Deno.makeTempDir({ prefix: "skiff-tiocsti-" });
    const pane = new Pane();
    const sk = (args: string[]) => skiff(args, store);
    try {
      await buildProbe(probeDir);
      const load = await sk(["load", "-q", "-i", `${fixturePaths().busybox}.docker.tar`]);
      assertEquals(load.code, 0, load.stderr);
      const vol = ["-v", `${probeDir}:/probe:ro`];
      const run = await sk(["run", "-d", "--name", "pc", ...vol, "busybox", "sleep", "1000"]);
      assertEquals(run.code, 0, run.stderr);
      for (const [name, i] of [["sa", []], ["sai", ["-i"]]] as const) {
        const c = await sk(["create", ...i, "--name", name, ...vol, "busybox", "/probe/tiocsti"]);
        assertEquals(c.code, 0, c.stderr);
      }
      await pane.start();

      // the control: run on the host, the probe's line is typed into the shell and runs
      await pane.send(`${probeDir}/tiocsti`);
      await pane.send("echo HOST-$((0))-DONE");
      const injected = count(await pane.waitFor("HOST-0-DONE"), "PWNED42");
      assertEquals(injected > 0, true, "the probe run on the host injected nothing");

      const cmd = `${SKIFF_BIN} --root ${store.root} --runroot ${store.runroot}`;
      const cases = [
        `exec pc /probe/tiocsti`,
        `exec -i pc /probe/tiocsti`,
        `run --rm ${vol.join(" ")} busybox /probe/tiocsti`,
        `run --rm -i ${vol.join(" ")} busybox /probe/tiocsti`,
        `start -a sa`,
        `start -ai sai`,
      ];
      for (const [n, c] of cases.entries()) {
        await pane.send(`${cmd} ${c}; echo END-$((${n}+100))`);
        await pane.waitFor(`END-${n + 100}`);
      }
      // anything pushed into the terminal's input would run before this line
      await pane.send("echo ALL-$((1+1))-DONE");
      const screen = await pane.waitFor("ALL-2-DONE");
      assertEquals(count(screen, ALL_REFUSED), cases.length, screen);
      assertEquals(count(screen, "PWNED42"), injected, screen);
    } finally {
      await pane.stop();
      const ids = (await sk(["ps", "-aq", "--no-trunc"])).stdout.trim().split("\n").filter(Boolean);
      if (ids.length > 0) await sk(["rm", "-f", ...ids]);
      await store.cleanup();
      await Deno.remove(probeDir, { recursive: true });
    }
  },
);
