/**
 * The network batch (src/sys/netlink_batch.ts over ffi/src/netlink_batch.c) against the real
 * kernel, as root: the bridge driver's whole set-up in one call, done in a namespace the test
 * makes (`ip netns add`, always deleted) standing in for the host, so the host's own links
 * are never touched. Checked with `ip -j` and a ping; the same batch again is no error
 * (bridge, addresses and route already there, the stale veth replaced); a failing operation
 * stops the batch with an error naming it; bad input is refused before the kernel is asked.
 */
import { assert, assertEquals, assertThrows } from "../helpers/assert.ts";
import { InvalidArgumentError, NotFoundError } from "../../src/errors.ts";
import { netBatch, type NetOp } from "../../src/sys/netlink_batch.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";

const utf8 = new TextDecoder();

/** Runs a command; its stdout, or throws with its stderr. */
async function run(cmd: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")}: ${utf8.decode(out.stderr)}`);
  return utf8.decode(out.stdout);
}

/** `ip -n NS -j ARGS...` parsed (NS a name under /run/netns or a namespace file's path). */
// deno-lint-ignore no-explicit-any
async function ipJson(ns: string, ...args: string[]): Promise<any[]> {
  const where = ns.startsWith("/") ? ["nsenter", `--net=${ns}`, "ip"] : ["ip", "-n", ns];
  return JSON.parse(await run(where[0], ...where.slice(1), "-j", ...args) || "[]");
}

Deno.test({
  name: "netlink batch: bridge, namespace file, veth, addresses and route in one call, twice",
  ignore: skipUnless(IS_ROOT),
  async fn() {
    const name = `sktest-nb-${crypto.randomUUID().slice(0, 6)}`;
    const dir = await Deno.makeTempDir({ prefix: "sktest-nb-" });
    const nsFile = `${dir}/netns`;
    await run("ip", "netns", "add", name);
    try {
      const setUp: NetOp[] = [
        ["ns", `/run/netns/${name}`],
        ["bridge", "sktbr0", "1400"],
        ["addr", "sktbr0", "10.251.7.1", "24"],
        ["addr", "sktbr0", "fd00:5b::1", "64"],
        ["up", "sktbr0"],
        ["netns-remove", nsFile],
        ["netns-create", nsFile],
        ["del", "sktveth0"],
        ["veth", "sktveth0", "eth0", "1400", nsFile],
        ["master", "sktveth0", "sktbr0"],
        ["up", "sktveth0"],
        ["ns", nsFile],
        ["mac", "eth0", "02:42:0a:fb:07:02"],
        ["addr", "eth0", "10.251.7.2", "24"],
        ["addr", "eth0", "fd00:5b::2", "64"],
        ["up", "eth0"],
        ["up", "lo"],
        ["route", "10.251.7.1"],
        ["route", "fd00:5b::1"],
      ];
      netBatch(setUp);
      const check = async () => {
        const [br] = await ipJson(name, "-d", "link", "show", "sktbr0");
        assertEquals([br.mtu, br.linkinfo.info_kind, br.operstate !== "DOWN"], [
          1400,
          "bridge",
          true,
        ]);
        const [veth] = await ipJson(name, "link", "show", "sktveth0");
        assertEquals(veth.master, "sktbr0");
        const [eth0] = await ipJson(nsFile, "addr", "show", "eth0");
        assertEquals(eth0.address, "02:42:0a:fb:07:02");
        assertEquals(
          eth0.addr_info.filter((a: { scope: string }) => a.scope === "global")
            .map((a: { local: string; prefixlen: number }) => `${a.local}/${a.prefixlen}`),
          ["10.251.7.2/24", "fd00:5b::2/64"],
        );
        const routes = await ipJson(nsFile, "route", "show", "default");
        assertEquals(routes.map((r) => r.gateway), ["10.251.7.1"]);
        const routes6 = await ipJson(nsFile, "-6", "route", "show", "default");
        assertEquals(routes6.map((r) => r.gateway), ["fd00:5b::1"]);
        const ping = await new Deno.Command("nsenter", {
          args: [`--net=${nsFile}`, "busybox", "ping", "-c", "1", "-W", "5", "10.251.7.1"],
          stdout: "null",
          stderr: "null",
        }).output();
        assert(ping.success, "the container end reaches the bridge");
      };
      await check();
      // a crashed set-up run again: what is there is kept or replaced, nothing fails
      netBatch(setUp);
      await check();

      // the first failing operation stops the batch, named in the error
      const err = assertThrows(
        () =>
          netBatch([["ns", `/run/netns/${name}`], ["master", "sktnone0", "sktbr0"], [
            "bridge",
            "sktbr1",
            "0",
          ]]),
        NotFoundError,
      );
      assertEquals(err.message, "Attach link sktnone0: no such link");
      assertEquals(await ipJson(name, "link", "show", "sktbr1").catch(() => []), []);

      netBatch([["netns-remove", nsFile], ["netns-remove", nsFile]]);
      assertEquals(await Deno.stat(nsFile).catch(() => undefined), undefined);
    } finally {
      await run("umount", nsFile).catch(() => {});
      await run("ip", "netns", "del", name).catch(() => {});
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "netlink batch: bad fields and unknown operations are refused before the kernel",
  ignore: skipUnless(IS_ROOT),
  fn() {
    const cases: [NetOp[], RegExp][] = [
      [[["bridge", "skt\tbr", "0"]], /^Invalid network operation field "skt\\tbr"$/],
      [[["bridge", "sktbr\n", "0"]], /^Invalid network operation field/],
      [[["bridge", "", "0"]], /^Invalid network operation field ""$/],
      [[["frobnicate", "x"]], /^Network batch: unknown operation "frobnicate"$/],
      [[["up"]], /^Network batch: up takes 1 fields, got 0$/],
      [[["bridge", "sktest-0123456789", "0"]], /longer than 15 bytes/],
    ];
    for (const [ops, message] of cases) {
      const err = assertThrows(() => netBatch(ops), InvalidArgumentError);
      assert(message.test(err.message), err.message);
    }
  },
});
