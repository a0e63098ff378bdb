/**
 * `events` (root only): the store's event log as `docker events` shows it. run/stop/rm give
 * Docker's sequence; `die` is written by the container's monitor with no skiff alive; filters,
 * --since/--until bounds, `{{json .}}` with Docker's field names, following the log, and many
 * writers at once leaving whole lines.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ok, type Sk, withBusyboxStore } from "../helpers/busybox_store.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";
import { SKIFF_BIN, type TempStore } from "../helpers/skiff.ts";
import { until } from "../helpers/wait.ts";

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: skipUnless(IS_ROOT) };

/** `type action name` of each past event matching the filters. */
async function actions(sk: Sk, ...filters: string[]): Promise<string[]> {
  const out = await ok(sk, [
    "events",
    "--since",
    "1h",
    "--until",
    "0s",
    "--format",
    "{{.Type}} {{.Action}} {{with .Actor.Attributes.name}}{{.}}{{else}}{{.Actor.ID}}{{end}}",
    ...filters.flatMap((f) => ["--filter", f]),
  ]);
  return out.split("\n").filter(Boolean);
}

Deno.test("run, stop and rm give Docker's event sequence", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    await ok(sk, ["run", "-d", "--name", "ev1", "busybox", "sleep", "60"]);
    await ok(sk, ["stop", "-t", "1", "ev1"]);
    await ok(sk, ["rm", "ev1"]);
    assertEquals(await actions(sk, "type=container"), [
      "container create ev1",
      "container start ev1",
      "container kill ev1",
      "container die ev1",
      "container stop ev1",
      "container destroy ev1",
    ]);
    // the default line: time, type, action, id, sorted attributes
    const id = (await ok(sk, ["events", "--since", "1h", "--until", "0s", "-f", "event=kill"]))
      .trim();
    assert(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d) container kill [0-9a-f]{64} \(image=busybox, name=ev1, signal=15\)$/
        .test(id),
      id,
    );
  });
});

Deno.test(
  "die is written by the monitor, with the exit code, when no skiff runs",
  opts,
  async () => {
    await withBusyboxStore(async (store, sk) => {
      await ok(sk, ["run", "-d", "--name", "ev2", "busybox", "sh", "-c", "sleep 0.5; exit 3"]);
      // run has returned: nothing of skiff is alive when the container ends
      const log = `${store.root}/events/events.log`;
      await until(
        "the die event",
        async () => (await Deno.readTextFile(log)).includes('"Action":"die"'),
      );
      const die = await ok(sk, [
        "events",
        "--since",
        "1h",
        "--until",
        "0s",
        "--filter",
        "event=die",
        "--format",
        "{{.Actor.Attributes.exitCode}} {{.Actor.Attributes.name}} {{.From}}",
      ]);
      assertEquals(die, "3 ev2 busybox\n");
    });
  },
);

Deno.test(
  "run -d --rm: the monitor writes die, then destroy once it removed the container",
  opts,
  async () => {
    await withBusyboxStore(async (store, sk) => {
      await ok(sk, [
        "run",
        "-d",
        "--rm",
        "--name",
        "gone",
        "busybox",
        "sh",
        "-c",
        "sleep 0.5; exit 2",
      ]);
      const log = `${store.root}/events/events.log`;
      await until(
        "the destroy event",
        async () => (await Deno.readTextFile(log)).includes('"Action":"destroy"'),
      );
      assertEquals(await actions(sk, "container=gone"), [
        "container create gone",
        "container start gone",
        "container die gone",
        "container destroy gone",
      ]);
      assertEquals(await ok(sk, ["ps", "-aq"]), "");
    });
  },
);

Deno.test(
  "a volume made and mounted by run: create, then mount with Docker's attributes",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      const id = (await ok(sk, ["run", "-d", "-v", "rv:/data:ro", "busybox", "true"])).trim();
      const out = await ok(sk, ["events", "--since", "1h", "--until", "0s", "-f", "volume=rv"]);
      const lines = out.trim().split("\n").map((l) => l.replace(/^\S+ /, ""));
      assertEquals(lines, [
        "volume create rv (driver=local)",
        `volume mount rv (container=${id}, destination=/data, driver=local, propagation=, read/write=false)`,
      ]);
    });
  },
);

Deno.test("events filters: container, event, type, image, label, volume", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    await ok(sk, ["create", "--name", "fa", "--label", "team=red", "busybox", "true"]);
    await ok(sk, ["create", "--name", "fb", "busybox", "true"]);
    await ok(sk, ["volume", "create", "vol1"]);
    await ok(sk, ["volume", "rm", "vol1"]);
    await ok(sk, ["tag", "busybox", "other:1"]);
    assertEquals(await actions(sk, "container=fa"), ["container create fa"]);
    assertEquals(await actions(sk, "label=team=red"), ["container create fa"]);
    assertEquals(await actions(sk, "label=team=blue"), []);
    assertEquals(await actions(sk, "event=create"), [
      "container create fa",
      "container create fb",
      "volume create vol1",
    ]);
    assertEquals(await actions(sk, "type=volume"), ["volume create vol1", "volume destroy vol1"]);
    assertEquals(await actions(sk, "volume=vol1", "event=destroy"), ["volume destroy vol1"]);
    // image= matches containers of the image and the image's own events
    assertEquals(await actions(sk, "image=busybox", "type=container"), [
      "container create fa",
      "container create fb",
    ]);
    assertEquals(await actions(sk, "type=image", "event=tag"), ["image tag other:1"]);
    // several values of one key are alternatives
    assertEquals(await actions(sk, "container=fa", "container=fb"), [
      "container create fa",
      "container create fb",
    ]);
    const bad = await sk(["events", "--until", "0s", "--filter", "colour=red"]);
    assertEquals(bad.code, 1);
    assertStringIncludes(bad.stderr, "invalid filter 'colour'");
    const badTime = await sk(["events", "--since", "yesterday"]);
    assertEquals(badTime.code, 1);
    assertStringIncludes(badTime.stderr, "failed to parse value as time or duration");
  });
});

Deno.test("--since and --until bound the output, which then ends", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    await ok(sk, ["volume", "create", "early"]);
    await new Promise((r) => setTimeout(r, 1100));
    const mid = (Date.now() / 1000).toFixed(3);
    await new Promise((r) => setTimeout(r, 50));
    await ok(sk, ["volume", "create", "late"]);
    const fmt = ["--format", "{{.Actor.ID}}", "--filter", "type=volume"];
    assertEquals(await ok(sk, ["events", "--since", mid, "--until", "0s", ...fmt]), "late\n");
    assertEquals(await ok(sk, ["events", "--until", mid, ...fmt]), "early\n");
    const rfc = new Date(Number(mid) * 1000).toISOString();
    assertEquals(await ok(sk, ["events", "--since", rfc, "--until", "0s", ...fmt]), "late\n");
    // an until ahead waits for it, then ends
    const ahead = await sk(["events", "--since", mid, "--until", String(Date.now() / 1000 + 1)]);
    assertEquals(ahead.code, 0, ahead.stderr);
    assertStringIncludes(ahead.stdout, "volume create late");
  });
});

Deno.test("{{json .}} has Docker's field names", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    const id = (await ok(sk, ["create", "--name", "js", "busybox", "true"])).trim();
    await ok(sk, ["volume", "create", "jv"]);
    const lines = (await ok(sk, [
      "events",
      "--since",
      "1h",
      "--until",
      "0s",
      "--format",
      "{{json .}}",
      "-f",
      "type=container",
      "-f",
      "type=volume",
    ]))
      .trim().split("\n");
    assertEquals(lines.length, 2, lines.join("\n"));
    const c = JSON.parse(lines[0]);
    assertEquals(Object.keys(c), [
      "status",
      "id",
      "from",
      "Type",
      "Action",
      "Actor",
      "scope",
      "time",
      "timeNano",
    ]);
    assertEquals([c.status, c.id, c.from, c.Type, c.Action], [
      "create",
      id,
      "busybox",
      "container",
      "create",
    ]);
    assertEquals(c.Actor, { ID: id, Attributes: { image: "busybox", name: "js" } });
    assertEquals(c.scope, "local");
    const nano = /"timeNano":(\d+)/.exec(lines[0])![1];
    assertEquals(String(c.time), nano.slice(0, -9));
    // a volume has no legacy fields
    assertEquals(Object.keys(JSON.parse(lines[1])), [
      "Type",
      "Action",
      "Actor",
      "scope",
      "time",
      "timeNano",
    ]);
    // --format json is the same
    const json = await ok(sk, [
      "events",
      "--since",
      "1h",
      "--until",
      "0s",
      "--format",
      "json",
      "-f",
      "type=container",
      "-f",
      "type=volume",
    ]);
    assertEquals(json.trim().split("\n"), lines);
  });
});

/** Starts `events` following the store's log; returns the output so far and a stop. */
function follow(store: TempStore, args: string[]) {
  const child = new Deno.Command(SKIFF_BIN, {
    args: ["--root", store.root, "--runroot", store.runroot, "events", ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  const reading = (async () => {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) out += chunk;
  })();
  return {
    output: () => out,
    stop: async () => {
      child.kill("SIGINT");
      const status = await child.status;
      await reading;
      await child.stderr.cancel();
      return status.code;
    },
  };
}

Deno.test("events without --until follows the log until interrupted", opts, async () => {
  await withBusyboxStore(async (store, sk) => {
    await ok(sk, ["volume", "create", "before"]);
    const f = follow(store, ["--format", "{{.Action}} {{.Actor.ID}}"]);
    try {
      // the follower shows only what comes after it started
      await new Promise((r) => setTimeout(r, 1500));
      await ok(sk, ["volume", "create", "after"]);
      await until("the followed event", () => f.output().includes("create after"));
    } finally {
      assertEquals(await f.stop(), 0);
    }
    assertEquals(f.output(), "create after\n");
  });
});

Deno.test("many writers at once leave whole lines", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    const names = Array.from({ length: 12 }, (_, i) => `w${i}`);
    await Promise.all(names.map((n) => ok(sk, ["volume", "create", n])));
    await Promise.all(names.map((n) => ok(sk, ["volume", "rm", n])));
    const lines = (await ok(sk, [
      "events",
      "--since",
      "1h",
      "--until",
      "0s",
      "--format",
      "json",
      "-f",
      "type=volume",
    ]))
      .trim().split("\n");
    assertEquals(lines.length, 24);
    for (const l of lines) JSON.parse(l);
    assertEquals(
      lines.map((l) => JSON.parse(l)).filter((e) => e.Action === "create").map((e) => e.Actor.ID)
        .sort(),
      [...names].sort(),
    );
  });
});

Deno.test(
  "pause, unpause, rename, exec, restart, kill; images, volumes, networks",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      await ok(sk, ["run", "-d", "--name", "o1", "busybox", "sleep", "60"]);
      await ok(sk, ["pause", "o1"]);
      await ok(sk, ["unpause", "o1"]);
      await ok(sk, ["rename", "o1", "o2"]);
      await ok(sk, ["exec", "o2", "true"]);
      await ok(sk, ["restart", "-t", "0", "o2"]);
      await ok(sk, ["kill", "-s", "HUP", "o2"]);
      await ok(sk, ["rm", "-f", "o2"]);
      const fmt = "{{.Action}} {{.Actor.Attributes.name}}";
      const container = (await ok(sk, [
        "events",
        "--since",
        "1h",
        "--until",
        "0s",
        "-f",
        "type=container",
        "--format",
        fmt,
      ])).trim().split("\n");
      assertEquals(container.slice(2, 9), [
        "pause o1",
        "unpause o1",
        "rename o2",
        "exec_create: true o2",
        "exec_start: true o2",
        "exec_die o2",
        "kill o2",
      ]);
      // restart: stop's kill, die, stop, then start and restart; kill -s HUP; rm -f: kill, die, destroy
      // the monitor's die names the container as it is called now (its template was rewritten)
      assertEquals(container.slice(9), [
        "die o2",
        "stop o2",
        "start o2",
        "restart o2",
        "kill o2",
        "kill o2",
        "die o2",
        "destroy o2",
      ]);
      const rename = await ok(sk, [
        "events",
        "--since",
        "1h",
        "--until",
        "0s",
        "-f",
        "event=rename",
        "--format",
        "{{.Actor.Attributes.oldName}}",
      ]);
      assertEquals(rename, "/o1\n");
      const signals = await ok(sk, [
        "events",
        "--since",
        "1h",
        "--until",
        "0s",
        "-f",
        "event=kill",
        "--format",
        "{{.Actor.Attributes.signal}}",
      ]);
      assertEquals(signals, "15\n1\n9\n");

      await ok(sk, ["tag", "busybox", "mine:1"]);
      await ok(sk, ["rmi", "mine:1"]);
      await ok(sk, ["network", "create", "evnet"]);
      const c = (await ok(sk, ["create", "--name", "netc", "busybox", "true"])).trim();
      await ok(sk, ["network", "connect", "evnet", "netc"]);
      await ok(sk, ["network", "disconnect", "evnet", "netc"]);
      await ok(sk, ["rm", "netc"]);
      await ok(sk, ["network", "rm", "evnet"]);
      const conn = await ok(sk, [
        "events",
        "--since",
        "1h",
        "--until",
        "0s",
        "-f",
        "network=evnet",
        "--format",
        "{{.Action}} {{.Actor.Attributes.container}}",
      ]);
      assertEquals(conn, `create <no value>\nconnect ${c}\ndisconnect ${c}\ndestroy <no value>\n`);
      const others = (await ok(sk, [
        "events",
        "--since",
        "1h",
        "--until",
        "0s",
        "-f",
        "type=image",
        "-f",
        "type=network",
        "--format",
        "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}",
      ])).trim().split("\n");
      assertEquals(others.slice(1), [
        "image tag mine:1",
        "image untag mine:1",
        "network create evnet",
        "network connect evnet",
        "network disconnect evnet",
        "network destroy evnet",
      ]);
      assert(others[0].startsWith("image load "), others[0]);
      // untag names the image by its id, as Docker does
      const untag = await ok(sk, [
        "events",
        "--since",
        "1h",
        "--until",
        "0s",
        "-f",
        "event=untag",
        "--format",
        "{{.Actor.ID}}",
      ]);
      assert(/^sha256:[0-9a-f]{64}\n$/.test(untag), untag);
    });
  },
);
