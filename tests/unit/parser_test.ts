import { assertEquals, assertThrows } from "../helpers/assert.ts";
import { parseFlags, parseInvocation } from "../../src/cli/parser.ts";
import { commandTable } from "../../src/cli/table.ts";
import type { CommandSpec } from "../../src/cli/spec.ts";
import { InvalidArgumentError } from "../../src/errors.ts";

const run: CommandSpec = {
  name: "run",
  summary: "Run",
  minArgs: 1,
  positionalStop: 1,
  flags: [
    { name: "interactive", short: "i", type: "bool", help: "" },
    { name: "tty", short: "t", type: "bool", help: "" },
    { name: "env", short: "e", type: "list", help: "" },
    { name: "name", type: "string", help: "" },
    { name: "rm", type: "bool", help: "" },
    { name: "stop-timeout", type: "int", help: "" },
  ],
};
const table = [run, ...commandTable];

Deno.test("combined short flags and trailing container command", () => {
  const inv = parseInvocation(table, ["run", "-it", "busybox", "sh", "-c", "ls -l"]);
  assertEquals(inv.flags.interactive, true);
  assertEquals(inv.flags.tty, true);
  assertEquals(inv.args, ["busybox", "sh", "-c", "ls -l"]);
});

Deno.test("repeatable flags, attached and separate values", () => {
  const inv = parseInvocation(table, [
    "run",
    "-e",
    "A=1",
    "-eB=2",
    "--env=C=3",
    "--env",
    "D=4",
    "--name=web",
    "--rm=false",
    "img",
  ]);
  assertEquals(inv.flags.env, ["A=1", "B=2", "C=3", "D=4"]);
  assertEquals(inv.flags.name, "web");
  assertEquals(inv.flags.rm, false);
});

Deno.test("flags after the image belong to the container command", () => {
  const inv = parseInvocation(table, ["run", "img", "--rm", "-e", "X"]);
  assertEquals(inv.flags.rm, false);
  assertEquals(inv.args, ["img", "--rm", "-e", "X"]);
});

Deno.test("double dash ends flags", () => {
  const { args } = parseFlags(run.flags!, ["--", "-x", "y"]);
  assertEquals(args, ["-x", "y"]);
});

Deno.test("global flags before the command", () => {
  const inv = parseInvocation(table, ["--root", "/tmp/a", "--runroot=/tmp/b", "images", "-q"]);
  assertEquals(inv.global, { root: "/tmp/a", runroot: "/tmp/b" });
  assertEquals(inv.path, ["images"]);
  assertEquals(inv.flags.quiet, true);
});

Deno.test("subcommands resolve through groups and aliases", () => {
  assertEquals(parseInvocation(table, ["image", "ls"]).path, ["image", "ls"]);
  assertEquals(parseInvocation(table, ["image", "list"]).path, ["image", "ls"]);
  assertEquals(parseInvocation(table, ["image", "rm", "x"]).path, ["image", "rm"]);
});

Deno.test("bad input is refused with one-line errors", () => {
  const cases: [string[], string][] = [
    [["run", "--bogus", "img"], "unknown flag: --bogus"],
    [["run", "-z", "img"], "unknown shorthand flag: 'z' in -z"],
    [["run", "--name"], "flag needs an argument: --name"],
    [["run", "--stop-timeout", "x", "img"], 'invalid argument "x" for "--stop-timeout" flag'],
    [["run"], `"skiff run" requires at least 1 argument. See 'skiff run --help'.`],
    [["nope"], 'unknown command "nope" for "skiff"'],
    [["image", "nope"], 'unknown command "nope" for "skiff image"'],
    [["tag", "a"], '"skiff tag" requires exactly 2 arguments.'],
    [["images", "a", "b"], '"skiff images" requires at most 1 argument.'],
    [["ps", "a"], '"skiff ps" accepts no arguments.'],
  ];
  for (const [argv, message] of cases) {
    const err = assertThrows(() => parseInvocation(table, argv), InvalidArgumentError);
    assertEquals(err.message.includes(message), true, `${argv.join(" ")}: ${err.message}`);
    assertEquals(err.message.includes("\n"), false);
    // docker's CLI exits 125 for flags, 1 for a wrong number of arguments
    assertEquals(err.exitCode, / arguments?\./.test(message) ? 1 : 125, argv.join(" "));
  }
});

Deno.test("--help on a command is help, not an argument error", () => {
  const inv = parseInvocation(table, ["tag", "--help"]);
  assertEquals(inv.help, true);
});
