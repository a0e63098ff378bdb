/**
 * Crash consistency, the short run: bench/torture/run.sh kills skiff (kill -9) at random
 * moments of pull, run, rm, commit, rmi and volume rm, 50 times, and after each kill checks
 * that the listings, inspect, a new pull and a run work, and that once the killed commands'
 * containers are removed no mount, cgroup, process or scratch entry of them is left.
 */
import { assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ensureFixtures } from "../helpers/fixtures.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";

const SCRIPT = new URL("../../bench/torture/run.sh", import.meta.url).pathname;

Deno.test({
  name: "50 commands killed at random moments leave a store and a host that work",
  ignore: skipUnless(IS_ROOT),
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await ensureFixtures();
    const out = await new Deno.Command("bash", {
      args: [SCRIPT, "50"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const td = new TextDecoder();
    const text = td.decode(out.stdout) + td.decode(out.stderr);
    // The whole report on failure: each failed check names its iteration, command and delay.
    assertStringIncludes(text, "torture: 50 iterations (", text);
    assertStringIncludes(text, ", 0 failures", text);
    assertEquals(out.code, 0, text);
    // Most commands were killed mid-way (the delay is drawn up to 1.3 times their usual time).
    const killed = Number(/\((\d+) killed mid-command\)/.exec(text)?.[1] ?? 0);
    assertEquals(killed >= 10, true, `only ${killed} of 50 commands were killed: ${text}`);
  },
});
