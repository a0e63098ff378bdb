/**
 * The parity suite: every scenario in `tests/parity/*.txt` is run by skiff and by docker 20.10
 * (Debian's docker.io on a private dockerd), and their standard output, the first line of
 * standard error and the exit code are compared after {@linkcode normalize}. A difference fails
 * the test unless `accepted.md` lists its line with a reason. Prints how many scenarios match.
 */
import { ensureFixtures, fixturePaths } from "../helpers/fixtures.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";
import { type Engine, haveDocker, type Outcome, startDocker, startSkiff } from "./engines.ts";
import {
  errorLine,
  firstLine,
  normalize,
  parseAccepted,
  parseScenarios,
  type Scenario,
} from "./scenarios.ts";

const HERE = new URL(".", import.meta.url).pathname;
const opts = { sanitizeResources: false, sanitizeOps: false };

/** What is compared of one outcome. */
interface Seen {
  code: number;
  stdout: string;
  stderr: string;
}

async function play(engine: Engine, list: Scenario[]): Promise<Seen[]> {
  const seen: Seen[] = [];
  for (const s of list) {
    let out: Outcome;
    if (s.host) out = await engine.host(s.args[0]);
    else {
      const args = s.args.map((a) => a.split("$TMP").join(engine.tmp));
      out = await engine.run(args, s.stdin);
    }
    seen.push({
      code: out.code,
      stdout: normalize(out.stdout, engine),
      stderr: errorLine(normalize(firstLine(out.stderr), engine)),
    });
  }
  return seen;
}

/** A short account of how two outcomes differ. */
function describe(s: Scenario, sk: Seen, dk: Seen): string {
  const parts = [`${s.lineNo}: ${s.line}`];
  if (sk.code !== dk.code) parts.push(`  exit: skiff ${sk.code}, docker ${dk.code}`);
  if (sk.stderr !== dk.stderr) {
    parts.push(`  stderr: skiff ${JSON.stringify(sk.stderr)}`);
    parts.push(`          docker ${JSON.stringify(dk.stderr)}`);
  }
  if (sk.stdout !== dk.stdout) {
    const a = sk.stdout.split("\n"), b = dk.stdout.split("\n");
    const i = a.findIndex((l, n) => l !== b[n]);
    const at = i < 0 ? a.length : i;
    parts.push(`  stdout line ${at + 1}: skiff ${JSON.stringify(a[at] ?? "<end>")}`);
    parts.push(`                 docker ${JSON.stringify(b[at] ?? "<end>")}`);
  }
  return parts.join("\n");
}

Deno.test({
  name: "parity with docker 20.10: output, first error line and exit code of each scenario",
  ignore: skipUnless(IS_ROOT, haveDocker()),
  ...opts,
  fn: async () => {
    const began = Date.now();
    const archive = fixturePaths(await ensureFixtures()).dockerArchive;
    const accepted = parseAccepted(await Deno.readTextFile(`${HERE}/accepted.md`));
    const files = [...Deno.readDirSync(HERE)].map((e) => e.name).filter((n) => n.endsWith(".txt"))
      .sort();
    const [skiff, docker] = await Promise.all([startSkiff(archive), startDocker(archive)]);
    let total = 0, same = 0, excused = 0;
    const failures: string[] = [];
    const used = new Set<string>();
    try {
      for (const file of files) {
        const list = parseScenarios(await Deno.readTextFile(`${HERE}/${file}`));
        const [a, b] = await Promise.all([play(skiff, list), play(docker, list)]);
        list.forEach((s, i) => {
          total++;
          const sk = a[i], dk = b[i];
          if (sk.code === dk.code && sk.stdout === dk.stdout && sk.stderr === dk.stderr) {
            same++;
            return;
          }
          const text = `${file}:${describe(s, sk, dk)}`;
          if (accepted.has(s.line)) {
            excused++;
            used.add(s.line);
            if (Deno.env.get("PARITY_VERBOSE")) console.log(`accepted ${text}`);
          } else failures.push(text);
        });
      }
    } finally {
      await Promise.all([skiff.stop(), docker.stop()]);
    }
    for (const line of accepted.keys()) {
      if (!used.has(line)) {
        console.log(`parity: accepted.md lists a line that now matches: ${line}`);
      }
    }
    console.log(
      `parity: ${same} of ${total} scenarios match docker 20.10; ${excused} accepted differences; ` +
        `${failures.length} unaccepted (${Math.round((Date.now() - began) / 1000)} s)`,
    );
    if (failures.length) {
      throw new Error(`scenarios that differ from docker:\n${failures.join("\n")}`);
    }
  },
});
