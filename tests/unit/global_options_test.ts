/** Docker's global flags: parsed before the command, then checked for what skiff can honour. */
import { assertEquals, assertStringIncludes, assertThrows } from "../helpers/assert.ts";
import { parseInvocation } from "../../src/cli/parser.ts";
import { commandTable } from "../../src/cli/table.ts";
import { checkGlobalOptions } from "../../src/cli/global_options.ts";
import { InvalidArgumentError } from "../../src/errors.ts";

const noEnv = () => undefined;

Deno.test("global flags are parsed before the command", () => {
  const inv = parseInvocation(commandTable, [
    "-H",
    "unix:///var/run/docker.sock",
    "--host=unix:///run/docker.sock",
    "-D",
    "--config",
    "/tmp/cfg",
    "-c",
    "default",
    "--tlsverify=false",
    "--tlscert=/c.pem",
    "ps",
    "-q",
  ]);
  assertEquals(inv.path, ["ps"]);
  assertEquals(inv.global, {
    host: ["unix:///var/run/docker.sock", "unix:///run/docker.sock"],
    debug: true,
    config: "/tmp/cfg",
    context: "default",
    tlsverify: false,
    tlscert: "/c.pem",
  });
  assertThrows(() => parseInvocation(commandTable, ["--tls=maybe", "ps"]), InvalidArgumentError);
});

Deno.test("checkGlobalOptions: local host and default context pass, the rest is refused", () => {
  assertEquals(checkGlobalOptions({ host: ["unix:///var/run/docker.sock"] }, noEnv), undefined);
  assertEquals(checkGlobalOptions({ debug: true }, noEnv), "debug");
  assertEquals(checkGlobalOptions({ logLevel: "warn" }, noEnv), "warn");
  const env = (vars: Record<string, string>) => (k: string) => vars[k];
  const refused: [Parameters<typeof checkGlobalOptions>[0], Record<string, string>, string][] = [
    [{ host: ["tcp://h:2375"] }, {}, "Cannot connect to tcp://h:2375"],
    [{}, { DOCKER_HOST: "tcp://h:2376" }, "Cannot connect to DOCKER_HOST=tcp://h:2376"],
    [{ context: "x" }, {}, 'context "x" does not exist'],
    [{}, { DOCKER_CONTEXT: "remote" }, 'context "remote" does not exist'],
    [{ tls: true }, {}, "--tls: TLS secures"],
    [{ tlskey: "k" }, {}, "--tlskey: TLS secures"],
    [{}, { DOCKER_TLS_VERIFY: "1" }, "DOCKER_TLS_VERIFY: TLS secures"],
    [{ logLevel: "trace" }, {}, "unable to parse logging level: trace"],
    [{ context: "default", host: ["unix:///var/run/docker.sock"] }, {}, "Conflicting options"],
  ];
  for (const [g, vars, message] of refused) {
    const err = assertThrows(() => checkGlobalOptions(g, env(vars)), InvalidArgumentError);
    assertStringIncludes(err.message, message);
  }
  // an empty DOCKER_HOST is no host; --tlsverify=false overrides DOCKER_TLS_VERIFY
  assertEquals(checkGlobalOptions({}, env({ DOCKER_HOST: "" })), undefined);
  assertEquals(
    checkGlobalOptions({ tlsverify: false }, env({ DOCKER_TLS_VERIFY: "1" })),
    undefined,
  );
});
