/**
 * The command table types each command's flags: a misspelt flag name or a wrong value type
 * does not compile (checked by `deno check`, which the test command runs on tests/), and the
 * parser fills values of the types the table declares.
 */
import { assertEquals } from "../helpers/assert.ts";
import type { CommandContext, FlagsOf } from "../../src/cli/spec.ts";
import { parseFlags } from "../../src/cli/parser.ts";
import { run } from "../../src/cli/table_containers.ts";
import { pull } from "../../src/cli/table.ts";

Deno.test("typed flags: the parser's values have the table's types", () => {
  const parsed = parseFlags(run.flags, ["-d", "-e", "A=1", "--stop-timeout", "3", "busybox"], 1);
  const flags = parsed.flags as FlagsOf<typeof run>;
  const detach: boolean = flags.detach;
  const env: string[] = flags.env;
  const pullPolicy: string = flags.pull; // has a default
  const timeout: number | undefined = flags["stop-timeout"];
  const name: string | undefined = flags.name;
  const tlsVerify: boolean = flags["tls-verify"];
  assertEquals([detach, env, pullPolicy, timeout, name, tlsVerify], [
    true,
    ["A=1"],
    "missing",
    3,
    undefined,
    true,
  ]);
});

Deno.test("typed flags: unknown names and wrong types are compile errors", () => {
  const ctx = {
    path: ["pull"],
    flags: parseFlags(pull.flags, ["-q", "x"]).flags,
    args: ["x"],
    global: {},
  } as CommandContext<FlagsOf<typeof pull>>;
  // @ts-expect-error: pull has no --detach flag
  const missing = ctx.flags.detach;
  // @ts-expect-error: --platform is a string, not a boolean
  const platform: boolean = ctx.flags.platform;
  assertEquals([ctx.flags.quiet, missing, platform], [true, undefined, undefined]);
});
