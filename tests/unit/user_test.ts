import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { parseGroup, parsePasswd, resolveUser } from "../../src/runtime/user.ts";
import { InvalidArgumentError } from "../../src/errors.ts";

const files: Record<string, string> = {
  "/etc/passwd": [
    "root:x:0:0:root:/root:/bin/sh",
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
    "# comment",
    "broken line",
    "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin",
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin",
    "app:x:1000:1000::/home/app:/bin/sh",
  ].join("\n"),
  "/etc/group": [
    "root:x:0:",
    "daemon:x:1:",
    "tty:x:5:",
    "wheel:x:10:root,app",
    "www-data:x:33:",
    "audio:x:29:app",
    "nogroup:x:65534:",
    "app:x:1000:",
  ].join("\n"),
};
const read = (p: string) => Promise.resolve(files[p]);
const none = () => Promise.resolve(undefined);

Deno.test("parsers skip malformed lines", () => {
  assertEquals(parsePasswd(files["/etc/passwd"]).length, 5);
  assertEquals(parseGroup(files["/etc/group"]).find((g) => g.name === "wheel")?.members, [
    "root",
    "app",
  ]);
});

Deno.test("empty spec is root with its home and groups", async () => {
  assertEquals(await resolveUser("", read), {
    uid: 0,
    gid: 0,
    additionalGids: [0, 10],
    home: "/root",
  });
  assertEquals(await resolveUser("", none), { uid: 0, gid: 0, additionalGids: [0], home: "/" });
});

Deno.test("user by name: default group (also supplementary), supplementary groups, HOME", async () => {
  assertEquals(await resolveUser("app", read), {
    uid: 1000,
    gid: 1000,
    additionalGids: [1000, 10, 29],
    home: "/home/app",
  });
  assertEquals(await resolveUser("nobody", read), {
    uid: 65534,
    gid: 65534,
    additionalGids: [65534],
    home: "/nonexistent",
  });
});

Deno.test("user by number, known and unknown", async () => {
  assertEquals((await resolveUser("33", read)).home, "/var/www");
  assertEquals((await resolveUser("33", read)).gid, 33);
  assertEquals(await resolveUser("4242", read), {
    uid: 4242,
    gid: 0,
    additionalGids: [0],
    home: "/",
  });
  assertEquals(await resolveUser("4242:4343", none), {
    uid: 4242,
    gid: 4343,
    additionalGids: [4343],
    home: "/",
  });
});

Deno.test("explicit group by name or number drops the other supplementary groups", async () => {
  assertEquals(await resolveUser("app:tty", read), {
    uid: 1000,
    gid: 5,
    additionalGids: [5],
    home: "/home/app",
  });
  assertEquals((await resolveUser("app:777", read)).gid, 777);
  assertEquals((await resolveUser("root:33", read)).gid, 33);
});

Deno.test("Docker's errors for unknown names", async () => {
  await rejects(resolveUser("nobody2", read), (e: Error) => {
    assertEquals(e.message, "unable to find user nobody2: no matching entries in passwd file");
    return e instanceof InvalidArgumentError;
  });
  await rejects(resolveUser("app:staff", read), (e: Error) => {
    assertEquals(e.message, "unable to find group staff: no matching entries in group file");
    return true;
  });
  await rejects(resolveUser("app", none), InvalidArgumentError);
  await rejects(resolveUser("99999999999", read), InvalidArgumentError);
});

Deno.test("ids from a hostile image that the kernel would read as 'no change' are refused", async () => {
  const hostile: Record<string, string> = {
    "/etc/passwd": [
      "root:x:0:0:root:/root:/bin/sh",
      "evil:x:4294967295:100::/:/bin/sh",
      "evilgid:x:1000:4294967295::/:/bin/sh",
      "huge:x:99999999999999999999:0::/:/bin/sh",
      "member:x:1001:1001::/:/bin/sh",
      "edge:x:4294967294:4294967294::/:/bin/sh",
    ].join("\n"),
    "/etc/group": [
      "root:x:0:",
      "allgid:x:4294967295:member",
      "users:x:100:",
    ].join("\n"),
  };
  const readHostile = (p: string) => Promise.resolve(hostile[p]);
  const refused = async (spec: string, message: string) => {
    await rejects(resolveUser(spec, readHostile), (e: Error) => {
      assertEquals(e.message, message);
      return e instanceof InvalidArgumentError;
    });
  };
  await refused(
    "evil",
    'invalid /etc/passwd entry "evil": uid 4294967295 is outside the range 0-4294967294',
  );
  await refused(
    "evilgid",
    'invalid /etc/passwd entry "evilgid": gid 4294967295 is outside the range 0-4294967294',
  );
  await refused(
    "huge",
    'invalid /etc/passwd entry "huge": uid 100000000000000000000 is outside the range 0-4294967294',
  );
  // a supplementary group, and a group named with -u user:group
  await refused(
    "member",
    'invalid /etc/group entry "allgid": gid 4294967295 is outside the range 0-4294967294',
  );
  await refused(
    "root:allgid",
    'invalid /etc/group entry "allgid": gid 4294967295 is outside the range 0-4294967294',
  );
  // the largest id the kernel sets is fine
  assertEquals((await resolveUser("edge", readHostile)).uid, 4294967294);
  // numeric -u values: Docker's range, even when the image's passwd names them
  await refused("4294967295", "uids and gids must be in range 0-2147483647");
  await refused("0:4294967295", "uids and gids must be in range 0-2147483647");
  await refused("member:4294967295", "uids and gids must be in range 0-2147483647");
  assertEquals((await resolveUser("2147483647:2147483647", none)).gid, 2147483647);
});

Deno.test("--group-add: names from the image's group file and gids join the groups", async () => {
  assertEquals(
    (await resolveUser("app", read, ["tty", "4242", "wheel"])).additionalGids,
    [1000, 10, 29, 5, 4242],
  );
  assertEquals((await resolveUser("app:tty", read, ["audio"])).additionalGids, [5, 29]);
  assertEquals((await resolveUser("", none, ["7"])).additionalGids, [0, 7]);
  await rejects(
    resolveUser("app", read, ["nosuchgroup"]),
    new InvalidArgumentError("Unable to find group nosuchgroup: no matching entries in group file"),
  );
  await rejects(resolveUser("", read, ["4294967296"]), InvalidArgumentError);
});
