/** `-e` and `--env-file` of run, create and exec, as Docker reads them on the caller's side. */
import { assert, assertEquals, assertThrows } from "../helpers/assert.ts";
import { envFromFlags, parseEnvFlags } from "../../src/commands/env_flags.ts";
import { InvalidArgumentError } from "../../src/errors.ts";

const host: Record<string, string> = { HOME: "/home/u", EMPTY: "" };
const lookup = (k: string) => host[k];

Deno.test("-e: KEY=VALUE as given, a bare KEY from the caller's environment, unset dropped", () => {
  assertEquals(parseEnvFlags(["A=1", "B=x=y", "C=", "HOME", "EMPTY", "UNSET"], lookup), [
    "A=1",
    "B=x=y",
    "C=",
    "HOME=/home/u",
    "EMPTY=",
  ]);
  const e = assertThrows(() => parseEnvFlags(["=oops"], lookup), InvalidArgumentError);
  assertEquals(e.message, "invalid environment variable: =oops");
});

Deno.test("--env-file then -e, in order; comments, blanks and bare names as Docker", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/a.env`, "# settings\nA=1\n\n  HOME\nUNSET\nB=two words\n");
    await Deno.writeTextFile(`${dir}/b.env`, "\uFEFFA=2\r\nC=3\r\n");
    assertEquals(envFromFlags([`${dir}/a.env`, `${dir}/b.env`], ["D=4", "A=5"], lookup), [
      "A=1",
      "HOME=/home/u",
      "B=two words",
      "A=2",
      "C=3",
      "D=4",
      "A=5",
    ]);
    await Deno.writeTextFile(`${dir}/bad.env`, "MY VAR=1\n");
    const bad = assertThrows(
      () => envFromFlags([`${dir}/bad.env`], [], lookup),
      InvalidArgumentError,
    );
    assertEquals(
      bad.message,
      "poorly formatted environment: variable 'MY VAR' contains whitespaces",
    );
    const missing = assertThrows(
      () => envFromFlags([`${dir}/nope.env`], [], lookup),
      InvalidArgumentError,
    );
    assert(missing.message.startsWith(`open ${dir}/nope.env: `), missing.message);
    // in Go's words, as docker prints them
    assert(missing.message.endsWith(": no such file or directory"), missing.message);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
