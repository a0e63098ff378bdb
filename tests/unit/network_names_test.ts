/**
 * The pure parts of per-container network options and name resolution: flag checks, the
 * /etc/hosts and resolv.conf texts, the DNS names a container answers to, and the hosts file of
 * a container on a user network with its neighbours (including hostile names that must never
 * add a line to a neighbour's file).
 */
import { assert, assertEquals, assertThrows } from "../helpers/assert.ts";

function assertIncludes(text: string, part: string): void {
  assert(text.includes(part), `${JSON.stringify(text)} lacks ${JSON.stringify(part)}`);
}
import { InvalidArgumentError } from "../../src/errors.ts";
import {
  checkEndpointFlags,
  isUserNetwork,
  parseExtraHost,
  parseMacAddress,
} from "../../src/network/endpoint_options.ts";
import { dnsNames, hostsFile, ownHostNames } from "../../src/network/hosts_file.ts";
import { applyDnsOverrides } from "../../src/network/dns_file.ts";
import { containerHostsText } from "../../src/network/hosts_sync.ts";
import { configuredNetworkSettings, type EndpointRecord } from "../../src/network/endpoint.ts";

const DEFAULTS = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" +
  "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n" +
  "ff02::2\tip6-allrouters\n";

Deno.test("--add-host: name:ip, name=ip, [v6], host-gateway; bad ones refused in one line", () => {
  assertEquals(parseExtraHost("db:10.0.0.5"), { name: "db", address: "10.0.0.5" });
  assertEquals(parseExtraHost("db=10.0.0.5"), { name: "db", address: "10.0.0.5" });
  assertEquals(parseExtraHost("v6:[FD00::0001]"), { name: "v6", address: "fd00::1" });
  assertEquals(parseExtraHost("v6:fd00::1"), { name: "v6", address: "fd00::1" });
  assertEquals(parseExtraHost("gw:host-gateway"), { name: "gw", address: "host-gateway" });
  for (const bad of ["db", ":1.2.3.4", "db:", "db:1.2.3", "db:nothost"]) {
    assertThrows(() => parseExtraHost(bad), InvalidArgumentError);
  }
  // a name that would start a new line in the file
  assertThrows(() => parseExtraHost("a\n6.6.6.6 evil:1.2.3.4"), InvalidArgumentError);
});

Deno.test("--mac-address: normalized; malformed and multicast refused", () => {
  assertEquals(parseMacAddress("02-42-AC-11-00-09"), "02:42:ac:11:00:09");
  assertIncludes(
    assertThrows(() => parseMacAddress("02:42:ac:11:00"), InvalidArgumentError).message,
    "not a valid",
  );
  assertIncludes(
    assertThrows(() => parseMacAddress("01:00:5e:00:00:01"), InvalidArgumentError).message,
    "multicast",
  );
});

Deno.test("endpoint flags: --ip, --ip6 and --network-alias only on user networks, as Docker", () => {
  assertEquals(isUserNetwork("web"), true);
  for (const n of ["bridge", "none", "host", "private", "container:x"]) {
    assertEquals(isUserNetwork(n), false, n);
  }
  assertEquals(checkEndpointFlags({ network: "web", ip: "10.1.0.5" }).ip, "10.1.0.5");
  assertEquals(checkEndpointFlags({ network: "web", ip6: "FD00:0::5" }).ip6, "fd00::5");
  assertIncludes(
    assertThrows(
      () => checkEndpointFlags({ network: "bridge", ip: "10.1.0.5" }),
      InvalidArgumentError,
    ).message,
    "user specified IP address is supported on user defined networks only",
  );
  assertIncludes(
    assertThrows(() => checkEndpointFlags({ network: "web", ip: "fd00::5" }), InvalidArgumentError)
      .message,
    "invalid IPv4 address: fd00::5",
  );
  assertIncludes(
    assertThrows(
      () => checkEndpointFlags({ network: "private", aliases: ["db"] }),
      InvalidArgumentError,
    ).message,
    "network-scoped alias is supported only for containers in user defined networks",
  );
  assertIncludes(
    assertThrows(
      () => checkEndpointFlags({ network: "web", aliases: ["db\n6.6.6.6 victim"] }),
      InvalidArgumentError,
    ).message,
    "invalid network alias",
  );
  assertIncludes(
    assertThrows(
      () => checkEndpointFlags({ network: "host", macAddress: "02:00:00:00:00:01" }),
      InvalidArgumentError,
    ).message,
    "conflicting options: mac-address and the network mode",
  );
  assertThrows(
    () => checkEndpointFlags({ network: "web", dns: ["resolver"] }),
    InvalidArgumentError,
  );
  assertThrows(
    () => checkEndpointFlags({ network: "web", dnsOptions: ["ndots:1 x"] }),
    InvalidArgumentError,
  );
  assertThrows(
    () => checkEndpointFlags({ network: "web", dnsSearch: ["a b"] }),
    InvalidArgumentError,
  );
  checkEndpointFlags({ network: "web", dnsSearch: ["."], domainname: "example.com" });
});

Deno.test("hosts: Docker's lines, --add-host, own addresses under host.domain and host", () => {
  assertEquals(ownHostNames("web", "example.com"), ["web.example.com", "web"]);
  assertEquals(ownHostNames("abc", ""), ["abc"]);
  assertEquals(
    hostsFile({
      extra: [{ address: "10.0.0.5", names: ["db"] }],
      own: [{ address: "172.18.0.2", names: ["web.example.com", "web"] }],
    }),
    DEFAULTS + "10.0.0.5\tdb\n172.18.0.2\tweb.example.com web\n",
  );
  // --network host: the host's file first
  assertEquals(
    hostsFile({
      base: "127.0.0.1 localhost\n10.0.0.1 nas\n",
      extra: [{ address: "127.0.0.1", names: ["gw"] }],
    }),
    "127.0.0.1 localhost\n10.0.0.1 nas\n127.0.0.1\tgw\n",
  );
});

Deno.test("DNS names: name, aliases, short id, host name, without repeats (Docker's DNSNames)", () => {
  const id = "0123456789abcdef".repeat(4);
  assertEquals(dnsNames("web", ["www", "web"], id, id.slice(0, 12)), [
    "web",
    "www",
    "0123456789ab",
  ]);
  assertEquals(dnsNames("web", [], id, "h1"), ["web", "0123456789ab", "h1"]);
});

function endpoint(over: Partial<EndpointRecord>): EndpointRecord {
  return {
    network: "web",
    networkId: "n".repeat(64),
    bridge: "br-x",
    bridgeAddresses: ["10.9.0.1/24"],
    hostVeth: "vskx",
    containerVeth: "eth0",
    addresses: [],
    ipAddress: "",
    gateway: "10.9.0.1",
    prefixLength: 24,
    ipv6Address: "",
    ipv6Gateway: "",
    mac: "",
    mtu: 0,
    internal: false,
    ...over,
  };
}

Deno.test("hosts on a user network: the other running containers by name, alias, short id", () => {
  const me = endpoint({
    ipAddress: "10.9.0.2",
    hostname: "aaaaaaaaaaaa",
    extraHosts: [{ address: "10.9.0.1", names: ["gw"] }],
  });
  const db = endpoint({ ipAddress: "10.9.0.3", dnsNames: ["db", "database", "bbbbbbbbbbbb"] });
  const v6 = endpoint({
    ipAddress: "10.9.0.4",
    ipv6Address: "fd00::4",
    dnsNames: ["cache", "cccccccccccc"],
  });
  assertEquals(
    containerHostsText(me, [db, v6]),
    DEFAULTS + "10.9.0.1\tgw\n10.9.0.2\taaaaaaaaaaaa\n" +
      "# skiff: other running containers on network web\n" +
      "10.9.0.3\tdb database bbbbbbbbbbbb\n10.9.0.4\tcache cccccccccccc\nfd00::4\tcache cccccccccccc\n",
  );
  // the default network: no neighbours' section at all
  assertEquals(
    containerHostsText(me, undefined),
    DEFAULTS + "10.9.0.1\tgw\n10.9.0.2\taaaaaaaaaaaa\n",
  );
});

Deno.test("hosts: a hostile name or address in a neighbour's record never adds a line", () => {
  const me = endpoint({ ipAddress: "10.9.0.2", hostname: "me" });
  const evil = endpoint({
    ipAddress: "10.9.0.3",
    dnsNames: ["ok", "x\n6.6.6.6 bank.example", "tab\tname", "-dash"],
  });
  const evilAddr = endpoint({ ipAddress: "1.2.3.4\n6.6.6.6", dnsNames: ["z"] });
  const text = containerHostsText(me, [evil, evilAddr]);
  assertEquals(text.includes("6.6.6.6"), false, text);
  assertEquals(text.split("\n").at(-2), "10.9.0.3\tok");
});

Deno.test("resolv.conf: --dns, --dns-search, --dns-option replace the host's lines", () => {
  const host =
    "# comment\nnameserver 10.0.0.1\nnameserver 10.0.0.2\nsearch lan corp\noptions edns0\n";
  assertEquals(applyDnsOverrides(host, {}), host);
  assertEquals(
    applyDnsOverrides(host, { dns: ["9.9.9.9"] }),
    "nameserver 9.9.9.9\nsearch lan corp\noptions edns0\n",
  );
  assertEquals(
    applyDnsOverrides(host, { search: ["ex.com"], options: ["ndots:2", "timeout:1"] }),
    "nameserver 10.0.0.1\nnameserver 10.0.0.2\nsearch ex.com\noptions ndots:2 timeout:1\n",
  );
  // "." means no search domain
  assertEquals(
    applyDnsOverrides(host, { search: ["."] }),
    "nameserver 10.0.0.1\nnameserver 10.0.0.2\noptions edns0\n",
  );
});

Deno.test("inspect: a container that never started shows what it asked for, no addresses", () => {
  const s = configuredNetworkSettings({
    network: "web",
    ip: "10.1.0.5",
    ip6: "fd00::5",
    networkAliases: ["db"],
  }) as { Networks: Record<string, Record<string, unknown>> };
  const ep = s.Networks.web;
  assertEquals(ep.IPAMConfig, { IPv4Address: "10.1.0.5", IPv6Address: "fd00::5" });
  assertEquals([ep.Aliases, ep.IPAddress, ep.DNSNames], [["db"], "", null]);
  const plain = configuredNetworkSettings({ network: "bridge" }) as typeof s;
  assertEquals([plain.Networks.bridge.IPAMConfig, plain.Networks.bridge.Aliases], [null, null]);
});
