/**
 * The netlink layer (src/sys/netlink.ts over ffi/src/netlink*.c) against the real kernel, as
 * root, in network namespaces the test makes (`ip netns add`, always deleted): a bridge and a
 * veth pair join two namespaces, addresses, routes and links are checked with `ip -j` and
 * traffic with a real ping. Bad input gives a clear error and leaves no link behind. In the
 * host's own namespace only links named sktest* that the test creates are touched.
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
  throws as assertThrows,
} from "node:assert/strict";
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from "../../src/errors.ts";
import { Netlink, NetNamespace } from "../../src/sys/netlink.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";

const utf8 = new TextDecoder();

/** A unique name: prefix plus 6 random base-36 characters. */
function unique(prefix: string): string {
  return prefix + crypto.getRandomValues(new Uint32Array(1))[0].toString(36).padStart(6, "0")
    .slice(-6);
}

/** Runs a command; its stdout, or throws with its stderr. */
async function run(cmd: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")}: ${utf8.decode(out.stderr)}`);
  return utf8.decode(out.stdout);
}

/** `ip -n NS -j ARGS...` parsed. */
// deno-lint-ignore no-explicit-any
async function ipJson(ns: string, ...args: string[]): Promise<any[]> {
  return JSON.parse(await run("ip", "-n", ns, "-j", ...args) || "[]");
}

/** Names of the links in a namespace. */
async function linkNames(ns: string): Promise<string[]> {
  return (await ipJson(ns, "link", "show")).map((l) => l.ifname).sort();
}

/** Runs fn with `count` new network namespaces (names and paths), deleted afterwards. */
async function withNamespaces(
  count: number,
  fn: (names: string[], paths: string[]) => Promise<void>,
): Promise<void> {
  const names: string[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const name = unique("sktest-ns-");
      await run("ip", "netns", "add", name);
      names.push(name);
    }
    await fn(names, names.map((n) => `/run/netns/${n}`));
  } finally {
    for (const name of names) await run("ip", "netns", "del", name).catch(() => {});
  }
}

/** Whether a single ping from namespace ns to addr gets an answer. */
async function pings(ns: string, addr: string, v6 = false): Promise<boolean> {
  const args = ["netns", "exec", ns, "busybox", "ping", ...(v6 ? ["-6"] : []), "-c", "1"];
  const out = await new Deno.Command("ip", {
    args: [...args, "-W", "5", addr],
    stdout: "null",
    stderr: "null",
  }).output();
  return out.success;
}

const threadNetns = () => Deno.readLinkSync("/proc/thread-self/ns/net");

Deno.test({
  name: "netlink: a bridge and a veth pair join two namespaces; addresses, routes and ping",
  ignore: skipUnless(IS_ROOT),
  fn: () =>
    withNamespaces(2, async ([hostNs, ctrNs], [hostPath, ctrPath]) => {
      const home = threadNetns();
      const br = unique("sktestb"), veth = unique("sktestv"), peer = unique("sktestp");
      {
        using host = Netlink.open(hostPath);
        host.createBridge(br, { mtu: 1400 });
        host.createVeth(veth, peer, { mtu: 1400 });
        host.setMaster(veth, br);
        host.moveLink(peer, ctrPath);
        assert(!host.linkExists(peer), "the peer left the first namespace");
        using ctr = Netlink.open(ctrPath);
        assert(ctr.linkIndex(peer) > 0, "and is in the second");
        ctr.renameLink(peer, "eth0");
        ctr.setMacAddress("eth0", "02:42:0a:d7:01:02");
        host.addAddress(br, "10.215.1.1/24");
        host.addAddress(br, "fd00:215:1::1/64", { nodad: true });
        ctr.addAddress("eth0", "10.215.1.2/24");
        ctr.addAddress("eth0", "fd00:215:1::2/64", { nodad: true });
        for (const link of [br, veth]) host.setLinkUp(link);
        for (const link of ["lo", "eth0"]) ctr.setLinkUp(link);
        ctr.addRoute({ gateway: "10.215.1.1" });
        ctr.addRoute({ gateway: "fd00:215:1::1" });
        ctr.addRoute({ destination: "10.216.0.0/16", device: "eth0" });
        host.addRoute({ destination: "10.217.0.0/16", gateway: "10.215.1.2", device: br });
      }
      assertEquals(threadNetns(), home, "the calling thread is back in its namespace");
      {
        using host = Netlink.open(hostPath);
        using ctr = Netlink.open(ctrPath);
        const bridgeInfo = host.linkInfo(br);
        assertEquals(
          [bridgeInfo?.kind, bridgeInfo?.mtu, bridgeInfo?.up, bridgeInfo?.master],
          ["bridge", 1400, true, 0],
        );
        assertEquals(host.linkInfo(veth)?.master, bridgeInfo?.index);
        assertEquals(ctr.linkInfo("eth0"), {
          index: ctr.linkIndex("eth0"),
          master: 0,
          mtu: 1400,
          up: true,
          mac: "02:42:0a:d7:01:02",
          kind: "veth",
        });
        assertEquals([ctr.linkInfo("lo")?.mac, ctr.linkInfo(peer)], [
          "00:00:00:00:00:00",
          undefined,
        ]);
      }

      const [bridge] = await ipJson(hostNs, "link", "show", br);
      assertEquals(bridge.mtu, 1400);
      assert(bridge.flags.includes("UP"));
      const [port] = await ipJson(hostNs, "link", "show", veth);
      assertEquals([port.master, port.mtu], [br, 1400]);
      const [eth0] = await ipJson(ctrNs, "addr", "show", "eth0");
      assertEquals(eth0.address, "02:42:0a:d7:01:02");
      const addrs = eth0.addr_info.map((a: { local: string; prefixlen: number }) =>
        `${a.local}/${a.prefixlen}`
      );
      assert(addrs.includes("10.215.1.2/24") && addrs.includes("fd00:215:1::2/64"), `${addrs}`);
      const [brAddr] = await ipJson(hostNs, "addr", "show", br);
      const v4 = brAddr.addr_info.find((a: { family: string }) => a.family === "inet");
      assertEquals([v4.local, v4.prefixlen, v4.broadcast], ["10.215.1.1", 24, "10.215.1.255"]);

      const ctrRoutes = await ipJson(ctrNs, "route", "show");
      assert(
        ctrRoutes.some((r) =>
          r.dst === "default" && r.gateway === "10.215.1.1" && r.dev === "eth0"
        ),
        JSON.stringify(ctrRoutes),
      );
      assert(
        ctrRoutes.some((r) => r.dst === "10.216.0.0/16" && r.dev === "eth0" && r.scope === "link"),
        JSON.stringify(ctrRoutes),
      );
      const ctrRoutes6 = await ipJson(ctrNs, "-6", "route", "show");
      assert(
        ctrRoutes6.some((r) => r.dst === "default" && r.gateway === "fd00:215:1::1"),
        JSON.stringify(ctrRoutes6),
      );
      const hostRoutes = await ipJson(hostNs, "route", "show");
      assert(
        hostRoutes.some((r) => r.dst === "10.217.0.0/16" && r.gateway === "10.215.1.2"),
        JSON.stringify(hostRoutes),
      );

      assert(await pings(ctrNs, "10.215.1.1"), "the second namespace reaches the bridge");
      assert(await pings(hostNs, "10.215.1.2"), "and the first reaches the second");
      assert(await pings(ctrNs, "fd00:215:1::1", true), "over IPv6 too");

      using host = Netlink.open(hostPath);
      host.deleteLink(veth);
      host.deleteLink(br);
      assertEquals(await linkNames(hostNs), ["lo"]);
      assertEquals(await linkNames(ctrNs), ["lo"], "the peer went with its pair");
    }),
});

Deno.test({
  name: "netlink: a veth peer is made in another namespace (a name taken here is fine, there not)",
  ignore: skipUnless(IS_ROOT),
  fn: () =>
    withNamespaces(2, async ([aNs, bNs], [aPath, bPath]) => {
      const veth = unique("sktestv");
      using a = Netlink.open(aPath);
      a.createBridge("eth0");
      using b = NetNamespace.open(bPath);
      a.createVeth(veth, "eth0", { peerNamespace: b, mtu: 1450 });
      const [peer] = await ipJson(bNs, "link", "show", "eth0");
      assertEquals([peer.mtu, peer.link_netnsid !== undefined], [1450, true]);
      assertEquals(await linkNames(aNs), ["eth0", "lo", veth].sort());
      const second = unique("sktestv");
      assertThrows(
        () => a.createVeth(second, "eth0", { peerNamespace: b }),
        (e) =>
          e instanceof AlreadyExistsError &&
          e.message ===
            `Network namespace ${aPath}: create veth pair ${second} and eth0: File exists`,
      );
      const twin = unique("sktestb");
      b.close();
      using bNl = Netlink.open(bPath);
      bNl.createBridge(twin);
      a.createVeth(twin, unique("sktestp"));
      assertThrows(
        () => a.moveLink(twin, bPath),
        (e) =>
          e instanceof AlreadyExistsError &&
          e.message.includes(`move link ${twin} to another network namespace: File exists`),
      );
      a.deleteLink(twin);
      bNl.deleteLink(twin);
      assertEquals(
        await linkNames(aNs),
        ["eth0", "lo", veth].sort(),
        "the failed pair left nothing",
      );
      a.deleteLink(veth);
      assertEquals(await linkNames(bNs), ["lo"]);
    }),
});

Deno.test({
  name: "netlink: bad input is a clear error and leaves nothing behind",
  ignore: skipUnless(IS_ROOT),
  fn: () =>
    withNamespaces(2, async ([aNs, bNs], [aPath, bPath]) => {
      const home = threadNetns();
      const br = unique("sktestb"), veth = unique("sktestv");
      using a = Netlink.open(aPath);
      a.createBridge(br);
      const before = await linkNames(aNs);
      const ctx = `Network namespace ${aPath}: `;

      assertThrows(
        () => a.createBridge("sktest-0123456789"),
        (e) =>
          e instanceof InvalidArgumentError &&
          e.message ===
            `${ctx}invalid link name "sktest-0123456789": longer than 15 bytes`,
      );
      assertThrows(
        () => a.createVeth(veth, "sktest-peer-too-long"),
        (e) => e instanceof InvalidArgumentError && /sktest-peer-too-long/.test(e.message),
      );
      assertThrows(() => a.createBridge("sktest\0x"), InvalidArgumentError);
      assertThrows(() => a.createBridge("a/b"), InvalidArgumentError);
      assertThrows(
        () => a.createBridge(br),
        (e) =>
          e instanceof AlreadyExistsError && e.message === `${ctx}create bridge ${br}: File exists`,
      );
      for (const fn of [() => a.setLinkUp("sktestnone"), () => a.deleteLink("sktestnone")]) {
        assertThrows(
          fn,
          (e) => e instanceof NotFoundError && /sktestnone: no such link$/.test(e.message),
        );
      }
      assertThrows(() => a.setMaster(br, "sktestnone"), NotFoundError);
      assertThrows(() => a.moveLink("sktestnone", bPath), NotFoundError);
      assertThrows(
        () => a.moveLink(br, bPath),
        (e) =>
          e instanceof InvalidArgumentError &&
          e.message.endsWith("Invalid argument (The interface netns is immutable)"),
        "the kernel's own message is kept",
      );
      assertThrows(
        () => a.addAddress(br, "10.215.1.300/24"),
        (e) => e instanceof InvalidArgumentError && /"10\.215\.1\.300"/.test(e.message),
      );
      assertThrows(() => a.addAddress(br, "10.215.1.3"), InvalidArgumentError);
      assertThrows(() => a.setMacAddress(br, "zz:42:0a:d7:01:02"), InvalidArgumentError);
      assertThrows(() => a.createBridge(unique("sktestb"), { mtu: -1 }), InvalidArgumentError);

      const file = await Deno.makeTempFile({ prefix: "sktest-" });
      try {
        for (const path of [file, "/proc/self/ns/uts"]) {
          assertThrows(
            () => Netlink.open(path),
            (e) =>
              e instanceof InvalidArgumentError &&
              e.message.endsWith(`${path} is not a network namespace`),
          );
          assertThrows(() => a.moveLink(br, path), InvalidArgumentError);
          assertThrows(
            () => a.createVeth(veth, "eth0", { peerNamespace: path }),
            InvalidArgumentError,
          );
        }
        assertThrows(() => Netlink.open(`${file}.missing`), NotFoundError);
      } finally {
        await Deno.remove(file);
      }
      assertEquals(await linkNames(aNs), before, "no link was created or moved");
      assertEquals(await linkNames(bNs), ["lo"]);
      assertEquals(threadNetns(), home, "the calling thread never stayed elsewhere");

      a.close();
      assertThrows(() => a.linkExists(br), /closed/);
    }),
});

Deno.test({
  name: "netlink: without a namespace, the caller's (a test bridge in the host's, removed)",
  ignore: skipUnless(IS_ROOT),
  fn: async () => {
    const br = unique("sktestb");
    using nl = Netlink.open();
    nl.createBridge(br);
    try {
      assert(nl.linkExists(br));
      const [link] = JSON.parse(await run("ip", "-j", "link", "show", br));
      assertEquals(link.ifindex, nl.linkIndex(br));
    } finally {
      nl.deleteLink(br);
    }
    assert(!nl.linkExists(br));
  },
});
