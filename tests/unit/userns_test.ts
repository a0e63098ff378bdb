/** Rootless id mapping: subordinate ranges read like shadow's tools, maps built, ids checked. */
import { assertEquals, assertThrows } from "../helpers/assert.ts";
import { FakeHost } from "../../src/sys/fake_host.ts";
import {
  checkOwnedIds,
  devptsData,
  keepIdLines,
  mapLines,
  mapsContainerId,
  parseSubIds,
  rootlessIds,
} from "../../src/runtime/userns.ts";
import { rootlessMapper } from "../../src/runtime/userns_mapper.ts";
import { unshareArgv } from "../../src/runtime/userns_unshare.ts";
import { InvalidArgumentError } from "../../src/errors.ts";
import { parseUsernsMode } from "../../src/runtime/namespace_options.ts";

Deno.test("subordinate ids: by name or number, in file order, bad lines skipped", () => {
  const text = [
    "# comment",
    "alice:100000:65536",
    "bob:200000:65536",
    "1000:300000:10",
    "alice:x:5",
    "alice:400000:0",
    "alice:500000:1000",
    "",
  ].join("\n");
  assertEquals(parseSubIds(text, "alice", 1000), [
    { start: 100000, count: 65536 },
    { start: 300000, count: 10 },
    { start: 500000, count: 1000 },
  ]);
  assertEquals(parseSubIds(text, "carol", 1001), []);
  // a user named like another's number does not take its ranges
  assertEquals(parseSubIds("1000:100:5\n", "1001", 1001), []);
});

Deno.test("maps: the user is root, ranges follow from container id 1", () => {
  assertEquals(mapLines(1000, []), ["0 1000 1"]);
  assertEquals(mapLines(1000, [{ start: 100000, count: 65536 }, { start: 300000, count: 10 }]), [
    "0 1000 1",
    "1 100000 65536",
    "65537 300000 10",
  ]);
});

Deno.test("maps: from /etc/passwd, /etc/subuid and /etc/subgid; no range for either is one id", async () => {
  const host = new FakeHost();
  host.addFile("/etc/passwd", "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/a:/bin/sh\n");
  host.addFile("/etc/subuid", "alice:100000:65536\n");
  host.addFile("/etc/subgid", "alice:200000:65536\n");
  assertEquals(await rootlessIds(host, 1000, 1000), {
    uid: ["0 1000 1", "1 100000 65536"],
    gid: ["0 1000 1", "1 200000 65536"],
    ranges: true,
  });
  host.addFile("/etc/subgid", "");
  assertEquals(await rootlessIds(host, 1000, 1000), {
    uid: ["0 1000 1"],
    gid: ["0 1000 1"],
    ranges: false,
  });
});

Deno.test("maps: the mapper warns once for a user without ranges", async () => {
  const host = new FakeHost();
  host.userId = 1000;
  host.addFile("/etc/passwd", "alice:x:1000:1000::/home/a:/bin/sh\n");
  const warnings: string[] = [];
  const mapper = rootlessMapper(host, (m) => warnings.push(m));
  const rec = {} as Parameters<typeof mapper.mappings>[0];
  assertEquals((await mapper.mappings(rec))?.uid, ["0 1000 1"]);
  await mapper.mappings(rec);
  assertEquals(warnings.length, 1);
  assertEquals(warnings[0].startsWith("no subordinate ids for alice"), true);
});

Deno.test("maps: host ids that are not the user's are refused", () => {
  const ranges = [{ start: 100000, count: 65536 }];
  checkOwnedIds(["0 1000 1", "1 100000 65536"], 1000, ranges);
  for (const line of ["0 0 1", "1 100000 65537", "0 1000 2", "1 99999 2", "0 200000 1"]) {
    assertThrows(() => checkOwnedIds([line], 1000, ranges), InvalidArgumentError);
  }
});

Deno.test("unshare: the monitor's argv carries the maps joined by commas", () => {
  assertEquals(
    unshareArgv("/m", { uid: ["0 1 1", "1 100 5"], gid: ["0 1 1"] }, ["id", "-u"]),
    ["/m", "unshare", "0 1 1,1 100 5", "0 1 1", "id", "-u"],
  );
});

Deno.test("keep-id: the user's id is itself inside, the ranges fill the ids around it", () => {
  assertEquals(keepIdLines(1000, [{ start: 100000, count: 65536 }]), [
    "0 100000 1000",
    "1000 1000 1",
    "1001 101000 64536",
  ]);
  assertEquals(keepIdLines(1001, []), ["1001 1001 1"]);
  // a range too small to reach the user's id: it stays below, the id is mapped alone
  assertEquals(keepIdLines(70000, [{ start: 100000, count: 65536 }]), [
    "0 100000 65536",
    "70000 70000 1",
  ]);
  assertEquals(keepIdLines(5, [{ start: 100, count: 3 }, { start: 200, count: 10 }]), [
    "0 100 3",
    "3 200 2",
    "5 5 1",
    "6 202 8",
  ]);
});

Deno.test("devpts: gid=5 dropped only where group 5 is not mapped", () => {
  const data = "newinstance,ptmxmode=0666,mode=0620,gid=5";
  assertEquals(devptsData(data, ["0 1000 1", "1 100000 65536"]), data);
  assertEquals(devptsData(data, ["0 1000 1"]), "newinstance,ptmxmode=0666,mode=0620");
  assertEquals(mapsContainerId(["1000 1000 1"], 1000), true);
  assertEquals(mapsContainerId(["1000 1000 1"], 1001), false);
});

Deno.test("--userns: host and keep-id; keep-id is rootless only; others refused", () => {
  assertEquals(parseUsernsMode("", 1000), undefined);
  assertEquals(parseUsernsMode("host", 0), undefined);
  assertEquals(parseUsernsMode("keep-id", 1000), "keep-id");
  assertThrows(() => parseUsernsMode("keep-id", 0), InvalidArgumentError);
  assertThrows(() => parseUsernsMode("auto", 1000), InvalidArgumentError);
});
