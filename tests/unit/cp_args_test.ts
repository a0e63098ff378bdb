import { assertEquals, assertThrows } from "../helpers/assert.ts";
import { parseCpArgs } from "../../src/commands/cp.ts";
import { parseCopyArg, splitPath } from "../../src/runtime/copy.ts";
import { InvalidArgumentError } from "../../src/errors.ts";

Deno.test("parseCopyArg: CONTAINER:PATH, local paths with colons stay local", () => {
  assertEquals(parseCopyArg("web:/etc/hosts"), { container: "web", path: "/etc/hosts" });
  assertEquals(parseCopyArg("web:"), { container: "web", path: "" });
  assertEquals(parseCopyArg("/tmp/a:b"), { path: "/tmp/a:b" });
  assertEquals(parseCopyArg("./a:b"), { path: "./a:b" });
  assertEquals(parseCopyArg("-"), { path: "-" });
});

Deno.test("parseCpArgs: direction and docker's errors", () => {
  assertEquals(parseCpArgs(["c:/x", "-"]), {
    direction: "from",
    container: "c",
    containerPath: "/x",
    local: "-",
  });
  assertEquals(parseCpArgs(["./f", "c:/dst/"]), {
    direction: "to",
    container: "c",
    containerPath: "/dst/",
    local: "./f",
  });
  assertEquals(
    assertThrows(() => parseCpArgs(["a:/x", "b:/y"]), InvalidArgumentError).message.includes(
      "between containers",
    ),
    true,
  );
  assertEquals(
    assertThrows(() => parseCpArgs(["/x", "/y"]), InvalidArgumentError).message.includes(
      "at least one container",
    ),
    true,
  );
  assertEquals(
    assertThrows(() => parseCpArgs(["c:", "/y"]), InvalidArgumentError).message.includes(
      "filepath cannot be empty",
    ),
    true,
  );
});

Deno.test("splitPath: parent and base name, trailing slashes ignored", () => {
  assertEquals(splitPath("/a/b"), ["/a", "b"]);
  assertEquals(splitPath("/a/b/"), ["/a", "b"]);
  assertEquals(splitPath("/a"), ["/", "a"]);
  assertEquals(splitPath("/"), ["/", ""]);
  assertEquals(splitPath("rel"), [".", "rel"]);
});
