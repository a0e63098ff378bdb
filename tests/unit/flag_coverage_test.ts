/**
 * `alias docker=skiff`, measured: every command path and flag of docker 20.10 (the fixture made
 * from the real client's `--help` by tests/fixtures/docker_flags/make.sh) is looked up in skiff's
 * command table. The coverage is printed; a flag or command in the committed baseline
 * (accepted.txt) that skiff no longer accepts fails the test. After adding flags, refresh the
 * baseline with `deno run -A tests/fixtures/docker_flags/update_baseline.ts`.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { commandTable } from "../../src/cli/table.ts";
import { globalFlags } from "../../src/cli/parser.ts";
import type { CommandSpec } from "../../src/cli/spec.ts";
import {
  acceptedNames,
  baselineUrl,
  coverage,
  type DockerCommand,
  fixtureUrl,
  formatBaseline,
  inScope,
  OUT_OF_SCOPE,
  parseFixture,
  parseLines,
  ratio,
  regressions,
  type SkiffTable,
  totals,
} from "../fixtures/docker_flags/coverage.ts";

const skiff: SkiffTable = { commands: commandTable, globals: globalFlags };

async function docker(): Promise<DockerCommand[]> {
  return parseFixture(await Deno.readTextFile(fixtureUrl));
}

async function baseline(): Promise<Map<string, string[]>> {
  return parseLines(await Deno.readTextFile(baselineUrl), "accepted.txt");
}

/** A copy of the table with one command's flag (by long name) taken away. */
function withoutFlag(table: CommandSpec[], path: string[], flag: string): CommandSpec[] {
  return table.map((c) => {
    if (c.name !== path[0]) return c;
    if (path.length > 1) {
      return { ...c, subcommands: withoutFlag(c.subcommands ?? [], path.slice(1), flag) };
    }
    return { ...c, flags: c.flags?.filter((f) => f.name !== flag) };
  });
}

Deno.test("docker flags: the fixture is docker 20.10's whole CLI", async () => {
  const cmds = await docker();
  const paths = cmds.map((c) => c.path);
  // a cut-short fixture would make every comparison pass
  for (const p of ["(global)", "run", "container ls", "image build", "network create", "wait"]) {
    assert(paths.includes(p), `docker-20.10.txt lacks ${p}`);
  }
  const run = cmds.find((c) => c.path === "run")!;
  assert(run.flags.length > 90, `run has only ${run.flags.length} flags`);
  assertEquals(run.flags.find((f) => f.long === "--env"), { long: "--env", short: "-e" });
  const flags = cmds.reduce((n, c) => n + c.flags.length, 0);
  assert(flags > 1000, `docker-20.10.txt lists only ${flags} flags`);
});

Deno.test("docker flags: no flag or command in accepted.txt stops being accepted", async () => {
  const cmds = await docker();
  const before = await baseline();
  assert(before.size > 50, `accepted.txt holds only ${before.size} commands`);
  const now = acceptedNames(skiff, cmds);
  const lost = regressions(before, now);
  assertEquals(
    lost,
    [],
    `skiff no longer accepts flags it accepted (if on purpose, run ` +
      `tests/fixtures/docker_flags/update_baseline.ts):\n  ${lost.join("\n  ")}`,
  );
  // Every baseline entry is a docker flag of that path (a stale baseline is no baseline).
  const known = new Map(cmds.map((c) => [c.path, c.flags.flatMap((f) => [f.short, f.long])]));
  for (const [path, names] of before) {
    for (const n of names) assert(known.get(path)?.includes(n), `accepted.txt: ${path} ${n}`);
  }
  // Gains are fine, but the baseline should be refreshed to guard them.
  const gained = formatBaseline(now) !== formatBaseline(before);
  if (gained) console.log("accepted.txt is behind: run update_baseline.ts to guard new flags");

  const report = coverage(cmds, now);
  const scoped = totals(report.filter((c) => inScope(c.path)));
  const all = totals(report);
  console.log(
    `docker 20.10 flags skiff accepts: ${ratio(scoped.covered, scoped.total)}, ` +
      `commands ${ratio(scoped.foundCommands, scoped.commands)} ` +
      `(without ${OUT_OF_SCOPE.join(", ")})`,
  );
  console.log(
    `  counting every docker command: flags ${ratio(all.covered, all.total)}, ` +
      `commands ${ratio(all.foundCommands, all.commands)}`,
  );
  const gaps = report.filter((c) => inScope(c.path) && (c.covered < c.total || !c.found))
    .sort((a, b) => (b.total - b.covered) - (a.total - a.covered) || a.path.localeCompare(b.path));
  for (const c of gaps) {
    const head = `  ${c.path} ${c.covered}/${c.total}${c.found ? "" : " (no such command)"}`;
    console.log(c.missing.length ? `${head}: ${c.missing.join(" ")}` : head);
  }
});

Deno.test("docker flags: a flag or command taken away is reported", async () => {
  const cmds = await docker();
  const before = acceptedNames(skiff, cmds);
  assert(before.get("run")?.includes("--env"), "skiff run takes --env");
  assert(before.get("container ls")?.includes("-q"), "skiff container ls takes -q");

  // run's --env removed: both of its names are lost, on `run` only
  const noEnv = withoutFlag(commandTable, ["run"], "env");
  assertEquals(regressions(before, acceptedNames({ ...skiff, commands: noEnv }, cmds)), [
    "run -e",
    "run --env",
  ]);
  // `container ls` reached through its alias: taking the command away loses the path
  const noLs = commandTable.map((c) =>
    c.name === "container"
      ? { ...c, subcommands: c.subcommands?.filter((s) => s.name !== "ls") }
      : c
  );
  assertEquals(regressions(before, acceptedNames({ ...skiff, commands: noLs }, cmds)), [
    "container ls (the command)",
  ]);
  // a global flag removed
  const noLevel = globalFlags.filter((f) => f.name !== "log-level");
  assertEquals(regressions(before, acceptedNames({ ...skiff, globals: noLevel }, cmds)), [
    "(global) -l",
    "(global) --log-level",
  ]);
});

Deno.test("docker flags: command aliases count, as the parser resolves them", async () => {
  const cmds = await docker();
  const now = acceptedNames(skiff, cmds);
  // `volume ls` is also `volume list` in skiff: docker's canonical path is found either way
  const lsOnlyAsList = commandTable.map((c) =>
    c.name === "volume"
      ? {
        ...c,
        subcommands: c.subcommands?.map((s) =>
          s.name === "ls" ? { ...s, name: "list", aliases: ["ls"] } : s
        ),
      }
      : c
  );
  const renamed = acceptedNames({ ...skiff, commands: lsOnlyAsList }, cmds);
  assert(now.get("volume ls")?.includes("--quiet"));
  assertEquals(renamed.get("volume ls"), now.get("volume ls"));
});
