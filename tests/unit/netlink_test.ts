/**
 * The netlink wrappers without privileges: a socket in the caller's namespace reads links,
 * and bad input is refused with the right error kind before the kernel is asked to change
 * anything (tests/integration/netlink_test.ts does the changes, as root).
 */
import { assert, assertEquals, assertThrows } from "../helpers/assert.ts";
import { InvalidArgumentError, NotFoundError } from "../../src/errors.ts";
import { Netlink } from "../../src/sys/netlink.ts";

Deno.test("netlink: lo is read back from the caller's namespace", () => {
  using nl = Netlink.open();
  const lo = nl.linkInfo("lo");
  assert(lo !== undefined && lo.index > 0 && lo.up && lo.kind === "");
  assertEquals(nl.linkIndex("lo"), lo.index);
  assertEquals([nl.linkExists("sktestnone0"), nl.linkInfo("sktestnone0")], [false, undefined]);
});

Deno.test("netlink: bad names, addresses and options are InvalidArgumentError", () => {
  using nl = Netlink.open();
  const cases: [() => void, RegExp][] = [
    [() => nl.createBridge("sktest-0123456789"), /"sktest-0123456789": longer than 15 bytes$/],
    [() => nl.createBridge(""), /^Invalid link name: it is empty$/],
    [
      () => nl.createVeth("sktestv0", "eth0\0x"),
      /^Invalid link name "eth0\\u0000x": it holds a NUL$/,
    ],
    [() => nl.renameLink("lo", "a b"), /^Invalid link name "a b"$/],
    [() => nl.createBridge("sktestb0", { mtu: 1.5 }), /^Invalid MTU 1.5/],
    [
      () => nl.addAddress("lo", "10.0.0.1"),
      /^Invalid address "10.0.0.1": expected ADDRESS\/PREFIX/,
    ],
    [() => nl.addAddress("lo", "10.0.0.1/40"), /^Invalid prefix length 40 for 10.0.0.1$/],
    [() => nl.addAddress("lo", "fd00::zz/64"), /^Invalid IP address "fd00::zz" for link lo$/],
    [() => nl.setMacAddress("lo", "02:42:ac:11:00"), /^Invalid MAC address "02:42:ac:11:00"/],
    [() => nl.addRoute({}), /^Route default needs a gateway or a link$/],
    [() => nl.addRoute({ destination: "10.1.0.0/16", gateway: "fd00::1" }), /same IP version/],
  ];
  for (const [fn, message] of cases) {
    const err = assertThrows(fn, InvalidArgumentError);
    assert(message.test(err.message), err.message);
  }
});

Deno.test("netlink: a missing link or namespace is NotFoundError naming it", () => {
  using nl = Netlink.open();
  assertEquals(
    assertThrows(() => nl.setLinkUp("sktestnone0"), NotFoundError).message,
    "Set up link sktestnone0: no such link",
  );
  assertEquals(
    assertThrows(() => Netlink.open("/nonexistent/sktest-ns"), NotFoundError).message,
    "Open network namespace /nonexistent/sktest-ns: No such file or directory",
  );
  assertEquals(
    assertThrows(() => Netlink.open("/proc/self/ns/uts"), InvalidArgumentError).message,
    "/proc/self/ns/uts is not a network namespace",
  );
});
