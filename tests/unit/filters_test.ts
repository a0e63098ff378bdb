import { assertEquals, assertStringIncludes, assertThrows } from "../helpers/assert.ts";
import { labelMatches, labelsMatch, parseFilters } from "../../src/engine/filters.ts";
import { InvalidArgumentError } from "../../src/errors.ts";

Deno.test("parseFilters groups repeated keys and refuses unknown ones", () => {
  const f = parseFilters(["label=a", "label=b=c", "until=1h"], ["label", "until"]);
  assertEquals([...f.entries()], [["label", ["a", "b=c"]], ["until", ["1h"]]]);
  assertStringIncludes(
    assertThrows(() => parseFilters(["name=x"], ["label"]), InvalidArgumentError).message,
    "invalid filter 'name'",
  );
  assertStringIncludes(
    assertThrows(() => parseFilters(["=x"], ["label"]), InvalidArgumentError).message,
    "bad format of filter",
  );
  assertStringIncludes(
    assertThrows(() => parseFilters(["label"], ["label"]), InvalidArgumentError).message,
    "bad format of filter",
  );
});

Deno.test("labelMatches: key, key=value (value may hold '='), key!=value", () => {
  const labels = { app: "web", url: "a=b", empty: "" };
  assertEquals(labelMatches(labels, "app"), true);
  assertEquals(labelMatches(labels, "empty"), true);
  assertEquals(labelMatches(labels, "empty="), true);
  assertEquals(labelMatches(labels, "missing"), false);
  assertEquals(labelMatches(labels, "app=web"), true);
  assertEquals(labelMatches(labels, "app=db"), false);
  assertEquals(labelMatches(labels, "url=a=b"), true);
  assertEquals(labelMatches(labels, "url=a"), false);
  assertEquals(labelMatches(labels, "app!=db"), true);
  assertEquals(labelMatches(labels, "app!=web"), false);
  assertEquals(labelMatches(undefined, "app"), false);
  // An inherited property is not a label.
  assertEquals(labelMatches({}, "constructor"), false);
});

Deno.test("labelsMatch: all wanted, none unwanted", () => {
  const labels = { app: "web", tier: "1" };
  assertEquals(labelsMatch(labels, ["app=web", "tier"]), true);
  assertEquals(labelsMatch(labels, ["app=web", "debug"]), false);
  assertEquals(labelsMatch(labels, ["app"], ["tier=1"]), false);
  assertEquals(labelsMatch(labels, ["app"], ["tier=2"]), true);
  assertEquals(labelsMatch(labels, []), true);
});
