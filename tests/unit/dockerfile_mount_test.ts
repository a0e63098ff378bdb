/**
 * `RUN --mount=` values into typed mount specs, with BuildKit's defaults and errors
 * (instructions/commands_runmount.go and the dispatch defaults of dockerfile2llb).
 */
import { assertEquals, assertThrows } from "../helpers/assert.ts";
import { mountFrom, parseMount } from "../../src/build/dockerfile/mount.ts";

function fails(value: string): string {
  return assertThrows(() => parseMount(value), Error).message;
}

Deno.test("mount: bind is the default type, read-only unless rw", () => {
  assertEquals(parseMount("target=/src"), {
    type: "bind",
    target: "/src",
    source: "",
    from: "",
    readOnly: true,
  });
  assertEquals(parseMount("type=bind,src=sub,dst=/m,from=build,rw"), {
    type: "bind",
    target: "/m",
    source: "sub",
    from: "build",
    readOnly: false,
  });
  assertEquals((parseMount("target=/m,readwrite=true") as { readOnly: boolean }).readOnly, false);
  assertEquals((parseMount("target=/m,ro=false") as { readOnly: boolean }).readOnly, false);
  assertEquals((parseMount("target=/m,rw=0") as { readOnly: boolean }).readOnly, true);
  // No target: the step's working directory (the builder refuses "/").
  assertEquals((parseMount("type=bind") as { target: string }).target, "");
});

Deno.test("mount: cache with id, sharing, mode, uid, gid; id defaults to the cleaned target", () => {
  assertEquals(
    parseMount(
      "type=cache,target=/root/.cache/go-build/,sharing=LOCKED,mode=0700,uid=1000,gid=100",
    ),
    {
      type: "cache",
      target: "/root/.cache/go-build/",
      id: "/root/.cache/go-build",
      sharing: "locked",
      from: "",
      source: "",
      readOnly: false,
      mode: 0o700,
      uid: 1000,
      gid: 100,
    },
  );
  assertEquals((parseMount("type=cache,target=/c,id=shared-go") as { id: string }).id, "shared-go");
  assertEquals((parseMount("type=cache,target=a/../b/./c") as { id: string }).id, "b/c");
  assertEquals(
    fails("type=cache,target=/c,sharing=sharde"),
    'unsupported sharing value "sharde" (did you mean shared?)',
  );
  assertEquals(fails("type=cache,target=/c,mode=999"), "invalid value 999 for mode");
  assertEquals(fails("type=cache,target=/c,uid=-1"), "invalid value -1 for uid");
  assertEquals(fails("type=cache,target=/c,gid=4294967296"), "invalid value 4294967296 for gid");
});

Deno.test("mount: tmpfs with a size; keys that need a type come after type=", () => {
  assertEquals(parseMount("type=tmpfs,target=/tmp,size=64m"), {
    type: "tmpfs",
    target: "/tmp",
    size: 64 * 1024 * 1024,
    readOnly: false,
  });
  assertEquals(fails("type=tmpfs,target=/t,size=lots"), "invalid value for size: lots");
  assertEquals(
    fails("size=1m,type=tmpfs,target=/t"),
    "unexpected key 'size' for mount type 'bind'",
  );
  assertEquals(fails("type=tmpfs,target=/t,mode=0755"), 'mode not allowed for "tmpfs" type mounts');
  assertEquals(fails("type=bind,target=/t,uid=1"), 'uid not allowed for "bind" type mounts');
  assertEquals(
    fails("type=bind,target=/t,sharing=shared"),
    "invalid cache sharing set for bind mount",
  );
});

Deno.test("mount: secret by id, by source, by target, as an environment variable", () => {
  assertEquals(parseMount("type=secret,id=npmrc"), {
    type: "secret",
    id: "npmrc",
    target: "/run/secrets/npmrc",
    required: false,
    mode: 0o400,
    uid: 0,
    gid: 0,
  });
  assertEquals((parseMount("type=secret,target=/root/.npmrc") as { id: string }).id, ".npmrc");
  assertEquals((parseMount("type=secret,src=aws") as { id: string }).id, "aws");
  assertEquals(parseMount("type=secret,id=tok,env=TOKEN,required"), {
    type: "secret",
    id: "tok",
    target: "",
    required: true,
    mode: 0o400,
    uid: 0,
    gid: 0,
    env: "TOKEN",
  });
  assertEquals(fails("type=secret"), "invalid secret mount. one of source, target required");
  assertEquals(fails("type=secret,env=X"), "invalid secret mount. one of source, target required");
  assertEquals(fails("type=secret,id=a,from=b"), "secret mount should not have a from");
  assertEquals(fails("type=secret,id=a,src=b"), "both source and id can't be set");
  assertEquals(fails("type=secret,id=a,required=maybe"), "invalid value for required: maybe");
  assertEquals(
    fails("type=bind,target=/x,required"),
    "unexpected key 'required' for mount type 'bind'",
  );
});

Deno.test("mount: ssh defaults and refusals", () => {
  assertEquals(parseMount("type=ssh"), {
    type: "ssh",
    id: "default",
    target: "",
    required: false,
    mode: 0o600,
    uid: 0,
    gid: 0,
  });
  assertEquals(fails("type=ssh,src=x"), "ssh does not support source");
});

Deno.test("mount: field syntax, CSV quoting, unknown keys and types", () => {
  assertEquals(
    (parseMount('type=bind,"target=/a,b",source=x') as { target: string }).target,
    "/a,b",
  );
  assertEquals(fails("type=volume,target=/x"), 'unsupported mount type "volume"');
  assertEquals(fails("type=bnid,target=/x"), 'unsupported mount type "bnid" (did you mean bind?)');
  assertEquals(fails("target=/x,bogus"), "invalid field 'bogus' must be a key=value pair");
  assertEquals(
    fails("target=/x,targte=/y"),
    "unexpected key 'targte' in 'targte=/y' (did you mean target?)",
  );
  assertEquals(
    fails("target=/x,dest=/y"),
    "unexpected key 'dest' in 'dest=/y' (did you mean dst?)",
  );
  assertEquals(fails("target=/x,ro=maybe"), "invalid value for ro: maybe");
  assertEquals((parseMount("TYPE=CACHE,Target=/c") as { type: string }).type, "cache");
});

Deno.test("mount: values are expanded by the given expander, keys are not", () => {
  const vars: Record<string, string> = { $T: "cache", $D: "/c" };
  const m = parseMount("type=$T,target=$D", (w) => vars[w] ?? w);
  assertEquals([m.type, (m as { target: string }).target], ["cache", "/c"]);
});

Deno.test("mountFrom: what a mount reads from, before variables are known", () => {
  assertEquals(mountFrom("type=bind,from=build,target=/x"), "build");
  assertEquals(mountFrom("type=cache,target=$X"), "");
  assertEquals(mountFrom("from=a$"), "a$");
  assertEquals(
    assertThrows(() => mountFrom("from=$STAGE,target=/x"), Error).message,
    "'from' doesn't support variable expansion, define alias stage instead",
  );
});
