/** Checks of the Podman-style and Docker API flags: search filters, inspect --type, wait's conditions, --all's argument rule. */
import { assert, assertEquals, assertStringIncludes, assertThrows } from "../helpers/assert.ts";
import { searchFilter, searchImages, type SearchSources } from "../../src/engine/image_search.ts";
import { inspectType } from "../../src/engine/container_inspect.ts";
import { parseWaitCondition } from "../../src/engine/container_wait.ts";
import { parseInvocation } from "../../src/cli/parser.ts";
import { commandTable } from "../../src/cli/table.ts";
import { InvalidArgumentError } from "../../src/errors.ts";

const hub: SearchSources = {
  hub: () =>
    Promise.resolve([
      { name: "busybox", description: "", star_count: 9, is_official: true },
      { name: "me/busybox", description: "", star_count: 3, is_automated: true },
      { name: "you/busybox", description: "", star_count: 0 },
    ]),
  catalog: () => Promise.resolve([]),
};

Deno.test("search --filter: stars, is-official, is-automated; bad ones refused", async () => {
  const names = async (...filters: string[]) =>
    (await searchImages({ term: "busybox", filters }, hub)).map((r) => r.Name);
  assertEquals(await names("stars=3"), ["busybox", "me/busybox"]);
  assertEquals(await names("is-official=true"), ["busybox"]);
  assertEquals(await names("is-official=false", "is-automated=true"), ["me/busybox"]);
  assertEquals(await names("stars=10"), []);
  assertStringIncludes(
    assertThrows(() => searchFilter(["stars=many"]), InvalidArgumentError).message,
    "invalid filter 'stars=many'",
  );
  assertThrows(() => searchFilter(["is-official=yes"]), InvalidArgumentError);
  assertStringIncludes(
    assertThrows(() => searchFilter(["colour=red"]), InvalidArgumentError).message,
    "invalid filter 'colour'",
  );
});

Deno.test("inspect --type and wait --condition take Docker's values only", () => {
  assertEquals(inspectType(undefined), undefined);
  assertEquals(inspectType("network"), "network");
  assertStringIncludes(
    assertThrows(() => inspectType("pod"), InvalidArgumentError).message,
    '"pod" is not a valid value for --type',
  );
  assertEquals(parseWaitCondition(undefined), "not-running");
  assertEquals(parseWaitCondition("removed"), "removed");
  assertThrows(() => parseWaitCondition("later"), InvalidArgumentError);
});

Deno.test("--all stands in for the container names; without it one is required", () => {
  const inv = parseInvocation(commandTable, ["stop", "-a"]);
  assertEquals([inv.flags.all, inv.args], [true, []]);
  assertEquals(parseInvocation(commandTable, ["stop", "--timeout", "3", "x"]).flags.time, 3);
  assertStringIncludes(
    assertThrows(() => parseInvocation(commandTable, ["stop"]), InvalidArgumentError).message,
    "requires",
  );
  // start keeps Docker's -a (attach); its --all is long only
  const start = parseInvocation(commandTable, ["start", "-a", "x"]);
  assert(start.flags.attach === true && start.flags.all === false);
});
