/**
 * `build`'s `--secret` values (parsed as buildx does) and the secrets loaded from them: only
 * the files and variables named, each missing one a one-line error; the mount points a RUN
 * step's mounts left are removed unless the step wrote there or the image has them.
 */
import {
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "../helpers/assert.ts";
import { buildRunOptions, parseSecretFlag } from "../../src/commands/build_flags.ts";
import { loadSecrets, parseBuildOutput } from "../../src/engine/image_build.ts";
import { removeMountStubs } from "../../src/build/executor/run_mounts.ts";

Deno.test("--secret: id with src, env, type=env, or neither", () => {
  assertEquals(parseSecretFlag("id=a,src=/f"), { id: "a", src: "/f" });
  assertEquals(parseSecretFlag("id=a,source=f"), { id: "a", src: "f" });
  assertEquals(parseSecretFlag("id=a,env=V"), { id: "a", env: "V" });
  assertEquals(parseSecretFlag("type=env,id=a,src=V"), { id: "a", env: "V" });
  assertEquals(parseSecretFlag("id=a"), { id: "a" });
  assertStringIncludes(
    assertThrows(() => parseSecretFlag("src=f"), Error).message,
    "id= is required",
  );
  assertStringIncludes(
    assertThrows(() => parseSecretFlag("id=a,type=ssh"), Error).message,
    'unsupported secret type "ssh"',
  );
  assertStringIncludes(
    assertThrows(() => parseSecretFlag("id=a,foo=1"), Error).message,
    "unexpected key 'foo'",
  );
  assertStringIncludes(
    assertThrows(() => parseSecretFlag("id=a,src=f,env=V"), Error).message,
    "both given",
  );
});

Deno.test("loadSecrets: files and variables named, nothing else", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/f`, "file-value");
    const env = (k: string) => ({ V: "env-value", byid: "by-id" } as Record<string, string>)[k];
    const got = await loadSecrets([
      { id: "a", src: `${dir}/f` },
      { id: "b", env: "V" },
      { id: "byid" },
    ], env);
    const text = (id: string) => new TextDecoder().decode(got.get(id));
    assertEquals([text("a"), text("b"), text("byid")], ["file-value", "env-value", "by-id"]);
    assertStringIncludes(
      (await assertRejects(() => loadSecrets([{ id: "a", src: `${dir}/missing` }], env), Error))
        .message,
      "no such file or directory",
    );
    assertStringIncludes(
      (await assertRejects(() => loadSecrets([{ id: "a", src: dir }], env), Error)).message,
      "not a file",
    );
    assertStringIncludes(
      (await assertRejects(() => loadSecrets([{ id: "a", env: "NOPE" }], env), Error)).message,
      "not set",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("removeMountStubs: empty mount points the image lacks go, the rest stays", async () => {
  const upper = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${upper}/run/secrets`, { recursive: true });
    await Deno.writeTextFile(`${upper}/run/secrets/tok`, "");
    await Deno.mkdir(`${upper}/opt/app`, { recursive: true });
    await Deno.writeTextFile(`${upper}/opt/app/key`, "");
    await Deno.writeTextFile(`${upper}/opt/app/other`, "written");
    await Deno.mkdir(`${upper}/etc`);
    await Deno.writeTextFile(`${upper}/etc/passwd`, "");
    await Deno.mkdir(`${upper}/data`);
    await Deno.writeTextFile(`${upper}/data/x`, "kept");
    // a symlink planted on the way is never followed
    const outside = await Deno.makeTempDir();
    await Deno.mkdir(`${outside}/stub`);
    await Deno.symlink(outside, `${upper}/link`);
    const inImage = new Set(["/etc", "/etc/passwd"]);
    await removeMountStubs(
      upper,
      ["/run/secrets/tok", "/opt/app/key", "/etc/passwd", "/data", "/link/stub"],
      (p) => Promise.resolve(inImage.has(p)),
    );
    const exists = (p: string) => Deno.lstat(`${upper}${p}`).then(() => true, () => false);
    assertEquals(await exists("/run"), false);
    assertEquals(await exists("/opt/app/key"), false);
    assertEquals(await exists("/opt/app/other"), true);
    assertEquals(await exists("/etc/passwd"), true);
    assertEquals(await exists("/data/x"), true);
    assertEquals(await Deno.lstat(`${outside}/stub`).then(() => true), true);
    await Deno.remove(outside, { recursive: true });
  } finally {
    await Deno.remove(upper, { recursive: true });
  }
});

Deno.test("build's run flags: docker's values, checked", () => {
  assertEquals(buildRunOptions({}), {});
  assertEquals(
    buildRunOptions({
      ulimit: ["nofile=512:1024"],
      memory: "64m",
      "memory-swap": "-1",
      "cpu-shares": 512,
      "cpu-period": 100000,
      "cpuset-cpus": "0",
      "shm-size": "1g",
      "add-host": ["db:10.0.0.5"],
      "security-opt": ["no-new-privileges"],
      "cgroup-parent": "p",
      isolation: "default",
    }),
    {
      ulimits: [{ name: "nofile", soft: 512, hard: 1024 }],
      memory: 64 << 20,
      memorySwap: -1,
      cpuShares: 512,
      cgroupParent: "p",
      resources: { cpuPeriod: 100000, cpusetCpus: "0", shmSize: 1 << 30 },
      securityOpt: { noNewPrivileges: true, seccomp: "default" },
      extraHosts: ["db:10.0.0.5"],
    },
  );
  const bad: [Parameters<typeof buildRunOptions>[0], string][] = [
    [{ isolation: "process" }, "linux only supports 'default'"],
    [{ "cpuset-cpus": "x" }, "Invalid value x for cpuset cpus"],
    [{ "add-host": ["bad"] }, "bad format for add-host"],
    [{ ulimit: ["nofile=2:1"] }, "soft limit must be less than or equal to hard limit"],
  ];
  for (const [flags, message] of bad) {
    assertStringIncludes(assertThrows(() => buildRunOptions(flags), Error).message, message);
  }
});

Deno.test("--output: local, tar, image, a bare DIR or -; others refused", () => {
  assertEquals(parseBuildOutput([]), { type: "image" });
  assertEquals(parseBuildOutput(["out"]), { type: "local", dest: "out" });
  assertEquals(parseBuildOutput(["-"]), { type: "tar", dest: "-" });
  assertEquals(parseBuildOutput(["type=local,dest=d"]), { type: "local", dest: "d" });
  assertEquals(parseBuildOutput(["dest=d"]), { type: "local", dest: "d" });
  assertEquals(parseBuildOutput(["type=tar,dest=x.tar"]), { type: "tar", dest: "x.tar" });
  assertEquals(parseBuildOutput(["type=docker"]), { type: "image" });
  assertEquals(parseBuildOutput(["type=docker,dest=-"]), { type: "docker", dest: "-" });
  assertEquals(parseBuildOutput(["type=oci,dest=o.tar"]), { type: "oci", dest: "o.tar" });
  const bad: [string[], string][] = [
    [["type=registry"], 'output type "registry" is not supported'],
    [["type=tar"], "dest is required for tar output"],
    [["a", "b"], "multiple outputs"],
    [["type=local,dest"], "expected key=value"],
    [["type=image,dest=x"], "with a dest is not supported"],
    [["type=oci"], "dest is required for oci output"],
  ];
  for (const [values, message] of bad) {
    assertStringIncludes(assertThrows(() => parseBuildOutput(values), Error).message, message);
  }
});
