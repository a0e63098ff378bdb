/**
 * Addresses and subnets: parsing and formatting IPv4 and IPv6, containment, overlap, the
 * nth address, gateways and ranges, the pairing of `network create`'s address flags, the
 * default pools and the host's route tables. Every bad input is one clear line.
 */
import { assert, assertEquals, assertThrows } from "../helpers/assert.ts";
import { InvalidArgumentError } from "../../src/errors.ts";
import { formatAddress, tryParseAddress } from "../../src/network/address.ts";
import {
  checkBridgeSubnet,
  checkGateway,
  checkIpRange,
  containsAddress,
  containsSubnet,
  defaultGateway,
  formatSubnet,
  lastAddress,
  nthAddress,
  overlaps,
  parseSubnet,
} from "../../src/network/subnet.ts";
import { checkBridgeName, checkOptions, planSubnets } from "../../src/network/network_spec.ts";
import {
  chooseSubnet,
  DEFAULT_POOLS,
  poolSubnets,
  ulaSubnet,
} from "../../src/network/default_pools.ts";
import { parseIpv4Routes, parseIpv6Routes, readHostRoutes } from "../../src/network/host_routes.ts";
import { FakeHost } from "../../src/sys/fake_host.ts";

/** Asserts `fn` throws one InvalidArgumentError line equal to `message`. */
function refuses(fn: () => unknown, message: string): void {
  const err = assertThrows(fn, InvalidArgumentError);
  assertEquals(err.message, message);
  assert(!err.message.includes("\n"), "one line");
}

const roundTrip = (text: string) => {
  const a = tryParseAddress(text);
  return a && formatAddress(a);
};

Deno.test("addresses: IPv4 and IPv6 parse and format canonically", () => {
  assertEquals(roundTrip("10.0.0.1"), "10.0.0.1");
  assertEquals(roundTrip("255.255.255.255"), "255.255.255.255");
  assertEquals(roundTrip("FD00:0:0:0:0:0:0:1"), "fd00::1");
  assertEquals(roundTrip("::"), "::");
  assertEquals(roundTrip("::1"), "::1");
  assertEquals(roundTrip("fe80::"), "fe80::");
  assertEquals(roundTrip("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
  assertEquals(roundTrip("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");
  assertEquals(roundTrip("::ffff:10.1.2.3"), "::ffff:a01:203");
  for (
    const bad of [
      "10.0.0",
      "10.0.0.256",
      "10.0.0.01",
      "10.0.0.1 ",
      "a.b.c.d",
      "1:2:3:4:5:6:7:8:9",
      "1::2::3",
      ":1",
      "1:::2",
      "fe80::1%eth0",
      "12345::",
      "1.2.3.4::",
      "",
    ]
  ) assertEquals(tryParseAddress(bad), undefined, bad);
});

Deno.test("subnets: parse, format, size, last address", () => {
  assertEquals(formatSubnet(parseSubnet("10.88.0.0/16")), "10.88.0.0/16");
  assertEquals(formatSubnet(parseSubnet("0.0.0.0/0")), "0.0.0.0/0");
  assertEquals(formatSubnet(parseSubnet("fd00:1::/64")), "fd00:1::/64");
  const s = parseSubnet("192.168.16.0/20");
  assertEquals(formatAddress({ family: 4, value: lastAddress(s) }), "192.168.31.255");
});

Deno.test("subnets: bad input is one clear line", () => {
  refuses(
    () => parseSubnet("10.0.0.0/33"),
    "invalid subnet 10.0.0.0/33: not an address/prefix (CIDR)",
  );
  refuses(() => parseSubnet("10.0.0.1/24"), "invalid subnet 10.0.0.1/24: it should be 10.0.0.0/24");
  refuses(() => parseSubnet("fd00::1/64"), "invalid subnet fd00::1/64: it should be fd00::/64");
  refuses(() => parseSubnet("10.0.0.0"), "invalid subnet 10.0.0.0: not an address/prefix (CIDR)");
  refuses(
    () => parseSubnet("10.0.0.0/024"),
    "invalid subnet 10.0.0.0/024: not an address/prefix (CIDR)",
  );
  refuses(
    () => parseSubnet("fd00::/129"),
    "invalid subnet fd00::/129: not an address/prefix (CIDR)",
  );
  refuses(
    () => parseSubnet("x/8", "ip-range"),
    "invalid ip-range x/8: not an address/prefix (CIDR)",
  );
  refuses(
    () => checkBridgeSubnet(parseSubnet("10.0.0.0/31")),
    "invalid subnet 10.0.0.0/31: too small for a network (at most /30)",
  );
  checkBridgeSubnet(parseSubnet("10.0.0.0/30"));
  checkBridgeSubnet(parseSubnet("fd00::/126"));
});

Deno.test("subnets: containment and overlap, never across families", () => {
  const big = parseSubnet("10.0.0.0/8"), small = parseSubnet("10.9.0.0/16");
  assert(containsSubnet(big, small));
  assert(!containsSubnet(small, big));
  assert(overlaps(big, small) && overlaps(small, big));
  assert(!overlaps(parseSubnet("10.0.0.0/24"), parseSubnet("10.0.1.0/24")));
  assert(overlaps(parseSubnet("10.0.0.0/23"), parseSubnet("10.0.1.0/24")));
  assert(!overlaps(parseSubnet("0.0.0.0/0"), parseSubnet("::/0")));
  assert(containsAddress(big, tryParseAddress("10.255.255.255")!));
  assert(!containsAddress(big, tryParseAddress("11.0.0.0")!));
  assert(!containsAddress(parseSubnet("::/0"), tryParseAddress("10.0.0.1")!));
});

Deno.test("subnets: the nth address and the default gateway", () => {
  const s = parseSubnet("172.18.0.0/16");
  assertEquals(formatAddress(nthAddress(s, 0n)), "172.18.0.0");
  assertEquals(formatAddress(nthAddress(s, 258n)), "172.18.1.2");
  assertEquals(formatAddress(defaultGateway(s)), "172.18.0.1");
  assertEquals(formatAddress(defaultGateway(parseSubnet("fd00:a::/64"))), "fd00:a::1");
  refuses(() => nthAddress(parseSubnet("10.0.0.0/30"), 4n), "10.0.0.0/30 has no address number 4");
});

Deno.test("subnets: a gateway lies in its subnet and is a host address", () => {
  const s = parseSubnet("10.1.0.0/24");
  assertEquals(formatAddress(checkGateway(s, "10.1.0.254")), "10.1.0.254");
  refuses(() => checkGateway(s, "10.2.0.1"), "no matching subnet for gateway 10.2.0.1");
  refuses(() => checkGateway(s, "fd00::1"), "no matching subnet for gateway fd00::1");
  refuses(
    () => checkGateway(s, "10.1.0.0"),
    "invalid gateway 10.1.0.0: it is the network address of 10.1.0.0/24",
  );
  refuses(
    () => checkGateway(s, "10.1.0.255"),
    "invalid gateway 10.1.0.255: it is the broadcast address of 10.1.0.0/24",
  );
  refuses(() => checkGateway(s, "gw"), 'invalid gateway "gw"');
  // IPv6 has no broadcast address: the last one is a host's.
  checkGateway(parseSubnet("fd00::/126"), "fd00::3");
});

Deno.test("subnets: an ip-range lies inside its subnet", () => {
  const s = parseSubnet("10.1.0.0/16");
  assertEquals(formatSubnet(checkIpRange(s, "10.1.2.0/24")), "10.1.2.0/24");
  assertEquals(formatSubnet(checkIpRange(s, "10.1.0.0/16")), "10.1.0.0/16");
  refuses(() => checkIpRange(s, "10.0.0.0/8"), "no matching subnet for range 10.0.0.0/8");
  refuses(() => checkIpRange(s, "10.2.0.0/24"), "no matching subnet for range 10.2.0.0/24");
  refuses(
    () => checkIpRange(s, "10.1.2.1/24"),
    "invalid ip-range 10.1.2.1/24: it should be 10.1.2.0/24",
  );
});

Deno.test("network create flags: subnets, gateways and ranges pair up as Docker's CLI pairs them", () => {
  const planned = planSubnets({
    subnets: ["10.1.0.0/16", "fd00:1::/64"],
    gateways: ["fd00:1::fe", "10.1.0.254"],
    ipRanges: ["10.1.8.0/24"],
  });
  assertEquals(planned.map((p) => [formatSubnet(p.subnet), p.gateway, p.ipRange]), [
    ["10.1.0.0/16", "10.1.0.254", "10.1.8.0/24"],
    ["fd00:1::/64", "fd00:1::fe", undefined],
  ]);
  assertEquals(planSubnets({}), []);
  refuses(() => planSubnets({ gateways: ["10.1.0.1"] }), "no matching subnet for gateway 10.1.0.1");
  refuses(
    () => planSubnets({ ipRanges: ["10.1.0.0/24"] }),
    "no matching subnet for range 10.1.0.0/24",
  );
  refuses(
    () => planSubnets({ subnets: ["10.1.0.0/16"], gateways: ["10.1.0.1", "10.1.0.2"] }),
    "cannot configure multiple gateways (10.1.0.1, 10.1.0.2) for the same subnet (10.1.0.0/16)",
  );
  refuses(
    () => planSubnets({ subnets: ["10.1.0.0/16"], ipRanges: ["10.1.1.0/24", "10.1.2.0/24"] }),
    "cannot configure multiple ranges (10.1.1.0/24, 10.1.2.0/24) on the same subnet (10.1.0.0/16)",
  );
  refuses(
    () => planSubnets({ subnets: ["10.0.0.0/8", "10.1.0.0/16"] }),
    "subnets 10.0.0.0/8 and 10.1.0.0/16 overlap: multiple overlapping subnet configuration is not supported",
  );
  refuses(
    () => planSubnets({ subnets: ["10.0.0.0/33"] }),
    "invalid subnet 10.0.0.0/33: not an address/prefix (CIDR)",
  );
  refuses(
    () => planSubnets({ subnets: ["10.0.0.0/8"], gateways: ["10.0.0.999"] }),
    'invalid gateway: "10.0.0.999"',
  );
  refuses(
    () => planSubnets({ subnets: ["10.0.0.0/24"], gateways: ["10.0.0.255"] }),
    "invalid gateway 10.0.0.255: it is the broadcast address of 10.0.0.0/24",
  );
});

Deno.test("network options: bridge name and mtu are checked", () => {
  checkBridgeName("br-0123456789a");
  refuses(
    () => checkBridgeName("a-very-long-name"),
    'invalid bridge name "a-very-long-name": 1 to 15 characters without / : or spaces',
  );
  refuses(
    () => checkBridgeName("../x"),
    'invalid bridge name "../x": 1 to 15 characters without / : or spaces',
  );
  refuses(
    () => checkBridgeName(".."),
    'invalid bridge name "..": 1 to 15 characters without / : or spaces',
  );
  refuses(
    () => checkBridgeName(""),
    'invalid bridge name "": 1 to 15 characters without / : or spaces',
  );
  checkOptions({ "com.docker.network.driver.mtu": "9000", "com.example.other": "x" });
  refuses(
    () => checkOptions({ "com.docker.network.driver.mtu": "70000" }),
    'invalid mtu "70000": between 68 and 65535',
  );
  refuses(
    () => checkOptions({ "com.docker.network.driver.mtu": "-1" }),
    'invalid mtu "-1": between 68 and 65535',
  );
});

Deno.test("default pools: Docker's order, the first subnet free of networks and routes", () => {
  const all = [...poolSubnets(DEFAULT_POOLS)].map(formatSubnet);
  assertEquals(all.slice(0, 3), ["172.17.0.0/16", "172.18.0.0/16", "172.19.0.0/16"]);
  assertEquals(all[14], "172.31.0.0/16");
  assertEquals(all.slice(15, 17), ["192.168.0.0/20", "192.168.16.0/20"]);
  assertEquals(all.length, 31);
  const choose = (avoid: string[], skip = 0) => {
    const s = chooseSubnet(DEFAULT_POOLS, avoid.map((a) => parseSubnet(a)), skip);
    return s && formatSubnet(s);
  };
  assertEquals(choose([]), "172.17.0.0/16");
  assertEquals(choose(["172.17.5.0/24"]), "172.18.0.0/16");
  assertEquals(choose(["172.16.0.0/12"]), "192.168.0.0/20");
  assertEquals(choose(["172.16.0.0/12", "192.168.2.0/24"]), "192.168.16.0/20");
  assertEquals(choose(["172.17.0.0/16"], 1), "172.19.0.0/16");
  assertEquals(choose(["172.16.0.0/12", "192.168.0.0/16"]), undefined);
  // A route that covers a pool subnet entirely, or lies inside it, collides with it.
  assertEquals(choose(["172.0.0.0/8"]), "192.168.0.0/20");
});

Deno.test("default pools: an IPv6 unique local /64 from the network's id", () => {
  const id = "0123456789abcdef".repeat(4);
  assertEquals(formatSubnet(ulaSubnet(id, [])!), "fd01:2345:6789::/64");
  assertEquals(
    formatSubnet(ulaSubnet(id, [parseSubnet("fd01:2345:6789::/64")])!),
    "fd01:2345:6789:1::/64",
  );
});

const ROUTE = [
  "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
  "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0",
  "cni-podman0\t0000580A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0",
  "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0",
  "garbage line",
  "",
].join("\n");

const IPV6_ROUTE = [
  "fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0",
  "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003     eth0",
  "00000000000000000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo",
  "ff000000000000000000000000000000 08 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000003 00000000 00000001     eth0",
  "",
].join("\n");

Deno.test("host routes: /proc/net/route and /proc/net/ipv6_route, without default routes", () => {
  const v4 = parseIpv4Routes(ROUTE).map((r) => `${r.iface} ${formatSubnet(r.subnet)}`);
  assertEquals(v4, ["cni-podman0 10.88.0.0/16", "eth0 192.0.2.0/24"]);
  const v6 = parseIpv6Routes(IPV6_ROUTE).map((r) => `${r.iface} ${formatSubnet(r.subnet)}`);
  assertEquals(v6, ["eth0 fd00::/64", "lo ::1/128"]);
});

Deno.test("host routes: read through the host seam; a missing table is empty", async () => {
  const host = new FakeHost();
  await host.mkdir("/proc/net", { recursive: true });
  await host.writeTextFile("/proc/net/route", ROUTE);
  const routes = await readHostRoutes(host);
  assertEquals(routes.map((r) => formatSubnet(r.subnet)), ["10.88.0.0/16", "192.0.2.0/24"]);
  // The chosen subnet avoids them.
  const avoid = [...routes.map((r) => r.subnet), parseSubnet("172.16.0.0/12")];
  assertEquals(formatSubnet(chooseSubnet(DEFAULT_POOLS, avoid)!), "192.168.0.0/20");
});
