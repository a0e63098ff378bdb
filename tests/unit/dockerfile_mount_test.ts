/** `RUN --mount=` values into typed mount specs, with BuildKit's defaults and errors. */
import { assertEquals, assertThrows } from "../helpers/assert.ts";
import { parseMount } from "../../src/build/dockerfile/mount.ts";

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
  assertEquals(parseMount("type=bind,target=/m,readwrite=true").type, "bind");
  assertEquals(
    (parseMount("type=bind,target=/m,ro=false") as { readOnly: boolean }).readOnly,
    false,
  );
  assertEquals(fails("type=bind"), "mount target is required for bind mount");
});

Deno.test("mount: cache with id, sharing, mode, uid, gid; id defaults to the target", () => {
  assertEquals(
    parseMount("type=cache,target=/root/.cache/go-build,sharing=locked,mode=0700,uid=1000,gid=100"),
    {
      type: "cache",
      target: "/root/.cache/go-build",
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
  assertEquals(fails("type=cache,target=/c,sharing=wild"), 'unsupported sharing value "wild"');
  assertEquals(fails("type=cache,target=/c,mode=999"), "invalid value 999 for mode");
  assertEquals(fails("type=cache,target=/c,uid=-1"), "invalid value -1 for uid");
  assertEquals(fails("type=cache"), "mount target is required for cache mount");
});

Deno.test("mount: tmpfs with a size", () => {
  assertEquals(parseMount("type=tmpfs,target=/tmp,size=64m"), {
    type: "tmpfs",
    target: "/tmp",
    size: 64 * 1024 * 1024,
  });
  assertEquals(fails("type=tmpfs,target=/t,size=lots"), "invalid size: 'lots'");
  assertEquals(fails("type=tmpfs,target=/t,mode=0755"), 'mode not allowed for "tmpfs" type mounts');
  assertEquals(
    fails("type=bind,target=/t,sharing=shared"),
    "invalid cache sharing set for bind mount",
  );
});

Deno.test("mount: secret by id, by target, as an environment variable; required", () => {
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
  assertEquals(fails("type=secret,id=a,from=b"), "secret mount should not have a from");
  assertEquals(fails("type=secret,id=a,src=b"), "both source and id can't be set");
  assertEquals(
    fails("type=bind,target=/x,required"),
    "unexpected key 'required' for mount type 'bind'",
  );
});

Deno.test("mount: ssh defaults", () => {
  assertEquals(parseMount("type=ssh"), {
    type: "ssh",
    id: "default",
    target: "/run/buildkit/ssh_agent.0",
    required: false,
    mode: 0o600,
    uid: 0,
    gid: 0,
  });
});

Deno.test("mount: field syntax, CSV quoting, unknown keys and types", () => {
  assertEquals(
    (parseMount('type=bind,"target=/a,b",source=x') as { target: string }).target,
    "/a,b",
  );
  assertEquals(fails("type=volume,target=/x"), 'unsupported mount type "volume"');
  assertEquals(fails("target=/x,bogus"), "invalid field 'bogus' must be a key=value pair");
  assertEquals(
    fails("target=/x,targte=/y"),
    "unexpected key 'targte' in 'targte=/y' (did you mean target?)",
  );
  assertEquals(fails("target=/x,ro=maybe"), "invalid value for ro: maybe");
});

Deno.test("mount: values are expanded by the given expander, keys are not", () => {
  const vars: Record<string, string> = { $T: "cache", $D: "/c" };
  const m = parseMount("type=$T,target=$D", (w) => vars[w] ?? w);
  assertEquals([m.type, (m as { target: string }).target], ["cache", "/c"]);
});
