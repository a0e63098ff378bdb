/**
 * Behaviour scripts rely on, matched to Docker's (issue 13, "Breaks scripts"): refusals, exit
 * codes, teardown that tolerates what is already gone, and `ps` filters and formats.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ok, withBusyboxStore } from "../helpers/busybox_store.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

Deno.test(
  "run -it, exec -it and attach with a piped stdin are refused as Docker does, never hang",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      const run = await sk(["run", "-it", "--name", "piped", "busybox", "cat"], {
        stdin: "hello\n",
        timeoutMs: 60_000,
      });
      assertEquals(run.code, 1, run.stderr);
      assertEquals(run.stderr.trim(), "Error: the input device is not a TTY");
      assertEquals(run.stdout, "");
      // refused before anything was created
      assertEquals(await ok(sk, ["ps", "-aq"]), "");
      // -d, -i alone and -t alone are not refused
      const detached = await sk(["run", "-dit", "--name", "bg", "busybox", "sh"]);
      assertEquals(detached.code, 0, detached.stderr);
      const i = await sk(["run", "--rm", "-i", "busybox", "cat"], {
        stdin: "in\n",
        timeoutMs: 60_000,
      });
      assertEquals([i.code, i.stdout], [0, "in\n"], i.stderr);
      const t = await sk(["run", "--rm", "-t", "busybox", "echo", "out"], { timeoutMs: 60_000 });
      assertEquals(t.code, 0, t.stderr);
      assertStringIncludes(t.stdout, "out");

      const exec = await sk(["exec", "-it", "bg", "cat"], { stdin: "hello\n", timeoutMs: 60_000 });
      assertEquals(exec.code, 1, exec.stderr);
      assertEquals(exec.stderr.trim(), "Error: the input device is not a TTY");
      const execI = await sk(["exec", "-i", "bg", "cat"], { stdin: "x\n", timeoutMs: 60_000 });
      assertEquals([execI.code, execI.stdout], [0, "x\n"], execI.stderr);
      // "No such container" comes first, as in Docker
      const missing = await sk(["exec", "-it", "nosuch", "cat"], {
        stdin: "x\n",
        timeoutMs: 60_000,
      });
      assertEquals([missing.code, missing.stderr.trim()], [1, "Error: No such container: nosuch"]);
      // attach to a container with a tty is refused the same way, unless --no-stdin
      const attach = await sk(["attach", "bg"], { stdin: "exit\n", timeoutMs: 60_000 });
      assertEquals([attach.code, attach.stderr.trim()], [
        1,
        "Error: the input device is not a TTY",
      ]);
      assert((await ok(sk, ["ps", "-q"])).trim() !== "", "bg still runs");
      await ok(sk, ["run", "-d", "--name", "plain", "busybox", "sh", "-c", "echo out; sleep 1"]);
      const plain = await sk(["attach", "plain"], { stdin: "", timeoutMs: 60_000 });
      assertEquals(plain.code, 0, plain.stderr);
    });
  },
);

Deno.test(
  "rm -f and rmi -f of a name that does not exist say so on stderr and exit 0, as docker 20.10",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      await ok(sk, ["create", "--name", "there", "busybox", "true"]);
      const rm = await sk(["rm", "-f", "nosuch", "there", "nosuch2"]);
      assertEquals([rm.code, rm.stdout, rm.stderr], [
        0,
        "there\n",
        "Error: No such container: nosuch\nError: No such container: nosuch2\n",
      ]);
      assertEquals(await ok(sk, ["ps", "-aq"]), "");
      const rmi = await sk(["rmi", "-f", "nosuch:1.0"]);
      assertEquals([rmi.code, rmi.stdout, rmi.stderr], [
        0,
        "",
        "Error: No such image: nosuch:1.0\n",
      ]);
      const image = await sk(["image", "rm", "-f", "nosuch", "0123456789ab"]);
      assertEquals([image.code, image.stdout], [0, ""]);
      assertEquals(image.stderr.trim().split("\n").length, 2);
      // without -f a missing name is still an error, and -f does not hide other errors
      const plain = await sk(["rm", "nosuch"]);
      assertEquals([plain.code, plain.stderr.trim()], [1, "Error: No such container: nosuch"]);
      const plainImage = await sk(["rmi", "nosuch"]);
      assertEquals([plainImage.code, plainImage.stderr.trim()], [
        1,
        "Error: No such image: nosuch",
      ]);
      const bad = await sk(["rmi", "-f", "Not/Valid"]);
      assertEquals(bad.code, 1);
      assertStringIncludes(bad.stderr, "invalid reference format");
    });
  },
);

Deno.test(
  "-v creates a missing host directory; --mount type=bind refuses a missing source",
  opts,
  async () => {
    await withBusyboxStore(async (store, sk) => {
      const dir = `${store.root.replace(/\/root$/, "")}/host/missing/dir`;
      const run = await sk([
        "run",
        "--rm",
        "-v",
        `${dir}:/m`,
        "busybox",
        "sh",
        "-c",
        "echo hi > /m/f",
      ]);
      assertEquals(run.code, 0, run.stderr);
      const info = await Deno.stat(dir);
      assert(info.isDirectory);
      assertEquals(info.mode! & 0o777, 0o755);
      assertEquals(await Deno.readTextFile(`${dir}/f`), "hi\n");
      // made again at the next start when it has gone
      await ok(sk, ["create", "--name", "again", "-v", `${dir}/sub:/m`, "busybox", "ls", "/m"]);
      assertEquals((await sk(["start", "-a", "again"])).code, 0);
      await Deno.remove(`${dir}/sub`);
      const again = await sk(["start", "-a", "again"]);
      assertEquals(again.code, 0, again.stderr);
      assert((await Deno.stat(`${dir}/sub`)).isDirectory);

      const other = `${store.root.replace(/\/root$/, "")}/host/other`;
      const mount = await sk([
        "run",
        "--rm",
        "--mount",
        `type=bind,source=${other},target=/m`,
        "busybox",
        "true",
      ]);
      assertEquals(mount.code, 125);
      assertEquals(
        mount.stderr.trim(),
        `Error: invalid mount config for type "bind": bind source path does not exist: ${other}`,
      );
      assertEquals(await Deno.stat(other).then(() => true, () => false), false);
    });
  },
);

Deno.test(
  "ps: name filters are regular expressions on /name, -n and -l count after the filters",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      for (const name of ["foo", "foobar", "xfoo", "other"]) {
        await ok(sk, ["create", "--name", name, "busybox", "true"]);
      }
      const names = async (...args: string[]) =>
        (await ok(sk, ["ps", "--format", "{{.Names}}", ...args])).trim().split("\n").filter(
          Boolean,
        );
      assertEquals(await names("-a", "--filter", "name=^/foo$"), ["foo"]);
      assertEquals(await names("-a", "--filter", "name=foo"), ["xfoo", "foobar", "foo"]);
      assertEquals(await names("-a", "--filter", "name=^/foo"), ["foobar", "foo"]);
      assertEquals(await names("-a", "--filter", "name=bar$", "--filter", "name=^/x"), [
        "xfoo",
        "foobar",
      ]);
      assertEquals(await names("-a", "--filter", "name=[unclosed"), []);
      assertEquals(await names("-l", "--filter", "name=^/foo$"), ["foo"]);
      assertEquals(await names("-n", "2", "--filter", "name=foo"), ["xfoo", "foobar"]);
      assertEquals(await names("-n", "2", "--filter", "status=created", "--filter", "name=oo"), [
        "xfoo",
        "foobar",
      ]);
      assertEquals(await names("-l"), ["other"]);
    });
  },
);

Deno.test(
  "ps --filter ancestor= matches name, name:tag, ids and images built from it",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      await ok(sk, ["run", "--name", "base", "busybox", "touch", "/made"]);
      await ok(sk, ["commit", "base", "child:1"]);
      await ok(sk, ["create", "--name", "kid", "child:1", "true"]);
      const id = (await ok(sk, ["image", "inspect", "-f", "{{.Id}}", "busybox"])).trim();
      const names = async (filter: string) =>
        (await ok(sk, ["ps", "-a", "--format", "{{.Names}}", "--filter", filter])).trim();
      for (const a of ["busybox", "busybox:latest", id, id.slice(7), id.slice(7, 19)]) {
        assertEquals(await names(`ancestor=${a}`), "kid\nbase", a);
      }
      assertEquals(await names("ancestor=child:1"), "kid");
      assertEquals(await names("ancestor=child"), "");
      assertEquals(await names("ancestor=nosuch:2"), "");
      // values of one key are alternatives
      const both = await ok(sk, [
        "ps",
        "-a",
        "--format",
        "{{.Names}}",
        "--filter",
        "ancestor=nosuch",
        "--filter",
        "ancestor=child:1",
      ]);
      assertEquals(both, "kid\n");
    });
  },
);

Deno.test('ps --format {{.Label "key"}} and sorted {{.Labels}}', opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    await ok(sk, [
      "create",
      "--name",
      "lab",
      "-l",
      "zed=1",
      "-l",
      "app=web",
      "-l",
      "a.b=2",
      "busybox",
      "true",
    ]);
    const out = await ok(sk, [
      "ps",
      "-a",
      "--format",
      '{{.Label "app"}}|{{.Label "none"}}|{{.Labels}}',
    ]);
    assertEquals(out, "web||a.b=2,app=web,zed=1\n");
    const table = await ok(sk, ["ps", "-a", "--format", 'table {{.Names}}\t{{.Label "zed"}}']);
    assertEquals(table, "NAMES     LABEL\nlab       1\n");
    const json = JSON.parse(await ok(sk, ["ps", "-a", "--format", "{{json .}}"]));
    assertEquals(json.Labels, "a.b=2,app=web,zed=1");
    assertEquals("Label" in json || "labels" in json, false);
    // inspect's Config.Labels is a Go map: sorted keys in JSON
    const inspected = await ok(sk, ["inspect", "-f", "{{json .Config.Labels}}", "lab"]);
    assertEquals(inspected, '{"a.b":"2","app":"web","zed":"1"}\n');
  });
});

Deno.test(
  "exit codes: 1 for the errors of commands other than run, as Docker's CLI",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      await ok(sk, ["create", "--name", "taken", "busybox", "true"]);
      const cases: [string[], string][] = [
        [
          ["create", "--name", "taken", "busybox", "true"],
          'The container name "/taken" is already in use',
        ],
        [["logs", "nosuch"], "Error: No such container: nosuch"],
        [
          ["logs", "--since", "bogus", "taken"],
          'failed to parse value as time or duration: "bogus"',
        ],
        [["exec", "nosuch", "true"], "Error: No such container: nosuch"],
        [["tag", "nosuch:1", "other:1"], "Error: No such image: nosuch:1"],
        [["save", "-o", "/dev/null", "nosuch:1"], "Error: No such image: nosuch:1"],
        [["kill", "-s", "BOGUS", "taken"], "Invalid signal: BOGUS"],
        [["ps", "--format", "{{.Names"], "failed to parse template: template: :1: unclosed"],
        [["ps", "--filter", "colour=red"], "invalid filter 'colour'"],
        [["ps", "--filter", "status=sleeping"], "invalid filter 'status=sleeping'"],
        [["images", "--format", "{{.Nope"], "template parsing error"],
        [["cp", "nosuch:/x", "/tmp/skiff-parity-cp"], "Error: No such container:path: nosuch:/x"],
        [
          ["cp", "taken:/no/such", "/tmp/skiff-parity-cp"],
          "No such container:path: taken:/no/such",
        ],
        [["pull", "UPPER"], "invalid reference format"],
        [["commit", "-c", "BOGUS x", "taken"], "bogus is not a valid change command"],
        [["diff", "nosuch"], "No such container: nosuch"],
        [["run"], `"skiff run" requires at least 1 argument. See 'skiff run --help'.`],
        [["rename", "taken"], '"skiff rename" requires exactly 2 arguments.'],
      ];
      for (const [args, message] of cases) {
        const r = await sk(args);
        assertEquals(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
        assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
        assertStringIncludes(r.stderr, message);
      }
      const load = await sk(["load"], { stdin: "garbage" });
      assertEquals([load.code, load.stderr.trim().split("\n").length], [1, 1], load.stderr);
      assertStringIncludes(load.stderr, "invalid archive");
      // run still exits 125 when it fails before its container starts; inspect's template 64
      const run = await sk(["run", "--name", "taken", "busybox", "true"]);
      assertEquals(run.code, 125, run.stderr);
      const inspect = await sk(["inspect", "--format", "{{.Id", "taken"]);
      assertEquals(inspect.code, 64, inspect.stderr);
      // a bad option value of create is still a usage error
      const bad = await sk(["create", "--cgroup-parent", "a/../b", "busybox", "true"]);
      assertEquals(bad.code, 125, bad.stderr);
      // exec keeps the codes of a command that cannot run
      await ok(sk, ["run", "-d", "--name", "up", "busybox", "sleep", "60"]);
      assertEquals((await sk(["exec", "up", "/no/such/binary"])).code, 127);
      assertEquals((await sk(["exec", "up", "sh", "-c", "exit 125"])).code, 125);
    });
  },
);

Deno.test(
  "a template naming an unknown field fails with exit 1 and names it; docker's inspect fields are there",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      await ok(sk, ["create", "--name", "tpl", "busybox", "true"]);
      const ps = await sk(["ps", "-a", "--format", "{{.Bogus}}"]);
      assertEquals([ps.code, ps.stdout], [1, ""]);
      // ps words its template errors as docker's ps does (tests/parity compares them)
      assertEquals(
        ps.stderr.trim(),
        'Error: failed to execute template: template: :1:2: executing "" at <.Bogus>: ' +
          "can't evaluate field Bogus in type *formatter.ContainerContext",
      );
      const images = await sk(["images", "--format", "{{.Nope}}"]);
      assertEquals(images.code, 1);
      assertStringIncludes(
        images.stderr,
        "can't evaluate field Nope in type *formatter.imageContext",
      );
      const inspect = await sk(["inspect", "-f", "{{.HostConfig.Bogus}}", "tpl"]);
      assertEquals([inspect.code, inspect.stdout], [1, ""]);
      assertEquals(
        inspect.stderr.trim(),
        'Error: template parsing error: template: :1:13: executing "" at <.HostConfig.Bogus>: ' +
          'map has no entry for key "Bogus"',
      );
      // map keys that are absent, and fields docker leaves out when empty, are not errors
      assertEquals(
        await ok(sk, ["inspect", "-f", "{{.Config.Labels.x}}|{{.State.Health}}", "tpl"]),
        "<no value>|<no value>\n",
      );
      const c = JSON.parse(await ok(sk, ["inspect", "tpl"]))[0];
      assertEquals(c.HostConfig.MaskedPaths.includes("/proc/kcore"), true);
      assertEquals(c.HostConfig.ReadonlyPaths.includes("/proc/sys"), true);
      assertEquals(c.HostConfig.ConsoleSize, [0, 0]);
      assertEquals(Object.keys(c.GraphDriver.Data), [
        "LowerDir",
        "MergedDir",
        "UpperDir",
        "WorkDir",
      ]);
      // each lower directory is a layer of the image, on disk
      for (const dir of c.GraphDriver.Data.LowerDir.split(":")) await Deno.stat(dir);
      const img = JSON.parse(await ok(sk, ["image", "inspect", "busybox"]))[0];
      assertEquals(img.VirtualSize, img.Size);
      assertEquals(img.ContainerConfig.Cmd, null);
      assertEquals(img.Container, "");
    });
  },
);

Deno.test(
  "ps shows the image id once the container's image name is gone or moved, as docker",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      await ok(sk, ["tag", "busybox", "alias:1"]);
      await ok(sk, ["create", "--name", "byalias", "alias:1", "true"]);
      const id = (await ok(sk, ["image", "inspect", "-f", "{{.Id}}", "busybox"])).trim();
      const image = async (...flags: string[]) =>
        (await ok(sk, ["ps", "-a", ...flags, "--format", "{{.Image}}"])).trim();
      assertEquals(await image(), "alias:1");
      // rmi -f of a name a container uses removes the name; ps then shows the id
      await ok(sk, ["rmi", "-f", "alias:1"]);
      assertEquals(await image(), id.slice(7, 19));
      assertEquals(await image("--no-trunc"), id);
      assertEquals(await ok(sk, ["images", "-q", "alias"]), "");
    });
  },
);
