/** `--cache-from` / `--cache-to` values: type=local accepted, every other type one clear error. */
import { assertEquals, assertThrows } from "../helpers/assert.ts";
import { parseCacheSpec } from "../../src/build/cache/spec.ts";
import { InvalidArgumentError } from "../../src/errors.ts";

Deno.test("parseCacheSpec: type=local with src for an import, dest for an export", () => {
  assertEquals(parseCacheSpec("type=local,src=/c", false), {
    type: "local",
    dir: "/c",
    ignoreError: false,
  });
  assertEquals(parseCacheSpec("type=local,dest=/c,mode=max,ignore-error=true", true), {
    type: "local",
    dir: "/c",
    ignoreError: true,
  });
});

Deno.test("parseCacheSpec: other types, bare names, missing or unknown attributes refused", () => {
  for (
    const [value, to, says] of [
      ["type=registry,ref=r/c", true, "--cache-to type=registry is not supported"],
      ["type=inline", false, "--cache-from type=inline is not supported"],
      ["r/c:latest", false, "a bare image name (type=registry) is not supported"],
      ["type=local,dest=/c", false, "src=DIR is required"],
      ["type=local,src=/c", true, "dest=DIR is required"],
      ["type=local,src=/c,x=1", false, "unknown attribute x"],
    ] as const
  ) {
    const err = assertThrows(() => parseCacheSpec(value, to), InvalidArgumentError);
    assertEquals(err.message.includes(says), true, err.message);
  }
});
