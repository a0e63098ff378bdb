/**
 * Docker's port flags (`-p`, `--expose`, `-P`) parsed as Docker parses them, with its
 * one-line errors; the host-port choice against taken ports; and the three ways ports are
 * shown (`inspect`'s maps, the ps column, `port`'s lines) in Docker's exact format.
 */
import { parseFlags } from "../../src/cli/parser.ts";
import { create } from "../../src/cli/table_containers.ts";
import { assert, assertEquals, assertThrows } from "../helpers/assert.ts";
import { FailedPreconditionError, InvalidArgumentError } from "../../src/errors.ts";
import {
  exposedPorts,
  isIPv6,
  parseExpose,
  parsePublish,
  publishedBindings,
} from "../../src/network/port_spec.ts";
import {
  type ActiveBinding,
  portBindingsMap,
  portLines,
  portMap,
  psPorts,
} from "../../src/network/port_format.ts";
import {
  chooseHostPorts,
  ephemeralRange,
  hostSockets,
  isLocalAddress,
  localPrefixes,
} from "../../src/network/port_alloc.ts";
import {
  iptablesPortRules,
  nftPortElements,
  nftPorts6Script,
  nftPortsScript,
} from "../../src/network/firewall.ts";
import { loopbackProxy } from "../../src/network/port_publish.ts";
import { runOptionsFromFlags } from "../../src/commands/run_flags.ts";

const b = (hostIp: string, hostPort: string, containerPort: number, proto = "tcp") => ({
  hostIp,
  hostPort,
  containerPort,
  proto,
});

Deno.test("-p: Docker's forms, ranges, protocols and IPv6 host addresses", () => {
  assertEquals(parsePublish("8080:80"), [b("", "8080", 80)]);
  assertEquals(parsePublish("80"), [b("", "", 80)]);
  assertEquals(parsePublish("53/UDP"), [b("", "", 53, "udp")]);
  assertEquals(parsePublish("127.0.0.1:8080:80/udp"), [b("127.0.0.1", "8080", 80, "udp")]);
  assertEquals(parsePublish("127.0.0.1::80"), [b("127.0.0.1", "", 80)]);
  assertEquals(parsePublish("[::1]:8080:80/sctp"), [b("::1", "8080", 80, "sctp")]);
  assertEquals(parsePublish("::1:8080:80"), [b("::1", "8080", 80)]);
  assertEquals(parsePublish("8000-8002:80-82"), [
    b("", "8000", 80),
    b("", "8001", 81),
    b("", "8002", 82),
  ]);
  assertEquals(parsePublish("8000-8010:80"), [b("", "8000-8010", 80)]);
  assertEquals(parsePublish("80-81"), [b("", "", 80), b("", "", 81)]);
  assertEquals(parsePublish("published=8080,target=80,protocol=udp"), [
    b("", "8080", 80, "udp"),
  ]);
});

Deno.test("-p: bad specs get Docker's one-line errors", () => {
  const bad: [string, string][] = [
    ["abc", "invalid containerPort: abc"],
    ["8080:", "no port specified: 8080:<empty>"],
    ["x:8080:80", "invalid IP address: x"],
    ["300.1.1.1:8080:80", "invalid IP address: 300.1.1.1"],
    ["[::1:8080:80", "invalid IP address [::1: missing ']' in address"],
    ["99999:80", "invalid hostPort: 99999"],
    ["8080:0", "invalid containerPort: 0"],
    ["8080:80/icmp", "invalid proto: icmp"],
    [
      "8000-8001:80-82",
      "invalid ranges specified for container and host Ports: 80-82 and 8000-8001",
    ],
    ["80-70", "invalid containerPort: 80-70"],
    ["published=8080", 'missing mandatory field "target"'],
  ];
  for (const [spec, message] of bad) {
    const err = assertThrows(() => parsePublish(spec), InvalidArgumentError);
    assertEquals(err.message, message, spec);
    assert(!err.message.includes("\n"));
  }
});

Deno.test("--expose: ports and ranges as keys, Docker's errors", () => {
  assertEquals(parseExpose("80"), ["80/tcp"]);
  assertEquals(parseExpose("53/udp"), ["53/udp"]);
  assertEquals(parseExpose("7000-7002/tcp"), ["7000/tcp", "7001/tcp", "7002/tcp"]);
  assertEquals(
    assertThrows(() => parseExpose("80:80"), InvalidArgumentError).message,
    "invalid port format for --expose: 80:80",
  );
  assert(
    assertThrows(() => parseExpose("x"), InvalidArgumentError).message.startsWith(
      "invalid range format for --expose: x, error: ",
    ),
  );
  assertEquals(isIPv6("fe80::1"), true);
  assertEquals(isIPv6("1:2:3:4:5:6:7:8:9"), false);
});

Deno.test("-P: every exposed port (image, --expose, -p) without a binding gets one", () => {
  const exposed = exposedPorts(["443/tcp", "bad"], ["53/udp"], [b("", "8080", 80) as never]);
  assertEquals(exposed, ["53/udp", "80/tcp", "443/tcp"]);
  const publish = parsePublish("8080:80");
  assertEquals(publishedBindings(publish, exposed, false), publish);
  assertEquals(publishedBindings(publish, exposed, true), [
    ...publish,
    b("", "", 53, "udp"),
    b("", "", 443),
  ]);
});

Deno.test("run flags: -p, -P and --expose are kept; -p alone means the bridge network", () => {
  // every flag's default, as the command line parser gives them, then -p, --expose and -P
  // deno-lint-ignore no-explicit-any
  const flags: any = parseFlags(create.flags, [
    ...["-p", "8080:80", "--expose", "53/udp", "--expose", "53/udp", "-P"],
    "busybox",
  ]).flags;
  const o = runOptionsFromFlags(flags, []);
  assertEquals(o.network, "bridge");
  assertEquals(o.publish, [b("", "8080", 80)]);
  assertEquals(o.expose, ["53/udp"]);
  assertEquals(o.publishAll, true);
  assertEquals(runOptionsFromFlags({ ...flags, network: ["host"] }, []).network, "host");
  const plain = runOptionsFromFlags({ ...flags, publish: [], "publish-all": false }, []);
  assertEquals(plain.network, "private");
  assertThrows(() => runOptionsFromFlags({ ...flags, publish: ["x"] }, []), InvalidArgumentError);
});

const a = (hostIp: string, hostPort: number, containerPort: number, proto = "tcp") =>
  ({ hostIp, hostPort, containerPort, proto }) as ActiveBinding;

Deno.test("host ports: taken ones refused with Docker's messages, free ones chosen", () => {
  const taken = [
    { ip: "0.0.0.0", port: 8080, proto: "tcp" as const, by: "skiff" as const },
    { ip: "127.0.0.1", port: 9090, proto: "tcp" as const, by: "host" as const },
  ];
  const fixed = (spec: string) => chooseHostPorts(parsePublish(spec), taken, [50000, 50002], 0);
  assertEquals(
    assertThrows(() => fixed("8080:80"), FailedPreconditionError).message,
    "Bind for 0.0.0.0:8080 failed: port is already allocated",
  );
  assertEquals(
    assertThrows(() => fixed("127.0.0.1:8080:80"), FailedPreconditionError).message,
    "Bind for 127.0.0.1:8080 failed: port is already allocated",
  );
  assertEquals(
    assertThrows(() => fixed("9090:80"), FailedPreconditionError).message,
    "failed to bind host port 0.0.0.0:9090/tcp: address already in use",
  );
  // another protocol or another address is free
  assertEquals(fixed("8080:80/udp"), [a("0.0.0.0", 8080, 80, "udp")]);
  assertEquals(fixed("127.0.0.2:9090:80"), [a("127.0.0.2", 9090, 80)]);
  // free ones from the ephemeral range, never twice, starting at the offset and wrapping
  assertEquals(
    chooseHostPorts(parsePublish("80-81"), [], [50000, 50002], 2).map((x) => x.hostPort),
    [50002, 50000],
  );
  assertEquals(
    chooseHostPorts(parsePublish("8079-8081:80"), taken, [1, 2], 1).map((x) => x.hostPort),
    [8081],
  );
  assertEquals(
    assertThrows(
      () => chooseHostPorts(parsePublish("8080-8080:80"), taken, [1, 2], 0),
      FailedPreconditionError,
    ).message,
    "Bind for 0.0.0.0:8080 failed: port is already allocated",
  );
  assertThrows(
    () => chooseHostPorts(parsePublish("[::1]:8080:80"), [], [1, 2], 0),
    InvalidArgumentError,
  );
  assertEquals(ephemeralRange("32768\t60999\n"), [32768, 60999]);
  assertEquals(ephemeralRange(""), [49153, 60999]);
});

Deno.test("host ports: listening sockets read from /proc/net", () => {
  const head = "  sl  local_address rem_address   st tx_queue\n";
  const sockets = hostSockets({
    tcp: head + "   0: 0100007F:1F90 00000000:0000 0A 0\n   1: 0100007F:1F91 0200007F:0050 01 0\n",
    tcp6: head + "   0: 00000000000000000000000000000000:0050 00000000:0000 0A 0\n" +
      "   1: 00000000000000000000000001000000:0051 00000000:0000 0A 0\n",
    udp: head + "   0: 00000000:0035 00000000:0000 07 0\n",
  });
  assertEquals(sockets, [
    { ip: "127.0.0.1", port: 8080, proto: "tcp", by: "host" },
    { ip: "0.0.0.0", port: 80, proto: "tcp", by: "host" },
    { ip: "::1", port: 81, proto: "tcp", by: "host" },
    { ip: "0.0.0.0", port: 53, proto: "udp", by: "host" },
  ]);
});

Deno.test("host ports on IPv6: '' is published on 0.0.0.0 and :: alike, on one port", () => {
  const both = chooseHostPorts(parsePublish("8080:80"), [], [1, 2], 0, true);
  assertEquals(both, [a("0.0.0.0", 8080, 80), a("::", 8080, 80)]);
  assertEquals(chooseHostPorts(parsePublish("[0::1]:8080:80"), [], [1, 2], 0, true), [
    a("::1", 8080, 80),
  ]);
  // a program on [::1]:50000 takes that port for '' (which includes ::) but not for 127.0.0.1
  const taken = [{ ip: "::1", port: 50000, proto: "tcp" as const, by: "host" as const }];
  assertEquals(
    chooseHostPorts(parsePublish("80"), taken, [50000, 50001], 0, true).map((b) => b.hostPort),
    [50001, 50001],
  );
  assertEquals(
    chooseHostPorts(parsePublish("127.0.0.1::80"), taken, [50000, 50001], 0, true)
      .map((b) => b.hostPort),
    [50000],
  );
  assertEquals(
    assertThrows(
      () => chooseHostPorts(parsePublish("[::1]:8080:80"), [], [1, 2], 0),
      InvalidArgumentError,
    ).message,
    "cannot publish 80/tcp on the IPv6 address [::1]: the container's network has no IPv6 (network create --ipv6)",
  );
  assertEquals(
    psPorts(["80/tcp"], [a("0.0.0.0", 80, 80), a("::", 80, 80)]),
    "0.0.0.0:80->80/tcp, [::]:80->80/tcp",
  );
});

Deno.test("inspect: PortBindings as asked, Ports as in force, in Docker's shape", () => {
  assertEquals(portBindingsMap([...parsePublish("8080:80"), ...parsePublish("127.0.0.1::80")]), {
    "80/tcp": [{ HostIp: "", HostPort: "8080" }, { HostIp: "127.0.0.1", HostPort: "" }],
  });
  assertEquals(portMap(["53/udp", "80/tcp"], [a("0.0.0.0", 8080, 80)]), {
    "53/udp": null,
    "80/tcp": [{ HostIp: "0.0.0.0", HostPort: "8080" }],
  });
});

Deno.test("ps: Docker's PORTS column, ranges collapsed", () => {
  assertEquals(psPorts(["80/tcp"], [a("0.0.0.0", 8080, 80)]), "0.0.0.0:8080->80/tcp");
  assertEquals(psPorts(["80/tcp", "53/udp"], []), "53/udp, 80/tcp");
  assertEquals(
    psPorts([], [a("0.0.0.0", 80, 80), a("0.0.0.0", 81, 81), a("0.0.0.0", 82, 82)]),
    "0.0.0.0:80-82->80-82/tcp",
  );
  assertEquals(
    psPorts(["7000/tcp", "7001/tcp", "7003/tcp"], [a("127.0.0.1", 9000, 80)]),
    "7000-7001/tcp, 7003/tcp, 127.0.0.1:9000->80/tcp",
  );
  assertEquals(
    psPorts([], [a("0.0.0.0", 8080, 80), a("::", 8080, 80)]),
    "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp",
  );
});

Deno.test("port: Docker's lines in natural order, and one port's addresses", () => {
  const active = [a("0.0.0.0", 8443, 443), a("0.0.0.0", 8080, 80), a("127.0.0.1", 5353, 53, "udp")];
  assertEquals(portLines(active), [
    "53/udp -> 127.0.0.1:5353",
    "80/tcp -> 0.0.0.0:8080",
    "443/tcp -> 0.0.0.0:8443",
  ]);
  assertEquals(portLines(active, "80/tcp"), ["0.0.0.0:8080"]);
  assertEquals(portLines(active, "81/tcp"), undefined);
});

Deno.test("firewall: port map elements, their deletes, the iptables fallback", () => {
  const forwards = [
    {
      hostIp: "0.0.0.0",
      hostPort: 8080,
      proto: "tcp" as const,
      containerIp: "10.0.0.2",
      containerPort: 80,
    },
    {
      hostIp: "127.0.0.1",
      hostPort: 53,
      proto: "udp" as const,
      containerIp: "10.0.0.2",
      containerPort: 53,
    },
  ];
  assertEquals(nftPortElements(forwards), {
    add: [
      "add element ip skiff ports_any { tcp . 8080 : 10.0.0.2 . 80 }",
      "add element ip skiff ports { 127.0.0.1 . udp . 53 : 10.0.0.2 . 53 }",
    ],
    delete: [
      "delete element ip skiff ports_any { tcp . 8080 }",
      "delete element ip skiff ports { 127.0.0.1 . udp . 53 }",
    ],
  });
  const script = nftPortsScript();
  assert(
    script.split("\n").filter((l) => l.startsWith("add rule")).every((l) =>
      l.endsWith('comment "skiff ports"')
    ),
  );
  // an address that could carry nft syntax is refused
  assertThrows(
    () => nftPortElements([{ ...forwards[0], containerIp: "1.2.3.4 } ; flush ruleset" }]),
    InvalidArgumentError,
  );
  // IPv6 forwards go to the ip6 table; [::1] is left to the proxy by the output rule
  const six = [
    { ...forwards[0], hostIp: "::", containerIp: "fd00::2" },
    { ...forwards[0], hostIp: "fd00::1", hostPort: 8081, containerIp: "fd00::2" },
  ];
  assertEquals(nftPortElements(six).add, [
    "add element ip6 skiff ports_any { tcp . 8080 : fd00::2 . 80 }",
    "add element ip6 skiff ports { fd00::1 . tcp . 8081 : fd00::2 . 80 }",
  ]);
  assertThrows(
    () => nftPortElements([{ ...six[0], containerIp: "fd00::2 } ; flush ruleset" }]),
    InvalidArgumentError,
  );
  assert(nftPorts6Script().includes("output ip6 daddr != ::1 fib daddr type local jump"));
  assertEquals(loopbackProxy([...six, forwards[0]], "10.0.0.2"), [
    "tcp",
    "::1",
    "8080",
    "10.0.0.2",
    "80",
  ]);
  const id = "ab".repeat(32);
  const rules = iptablesPortRules(id, "br-1", forwards);
  assertEquals(rules.length, 5);
  assert(rules.every((r) => r.includes(`skiff container ${id.slice(0, 12)}`)));
  assertEquals(rules[2].slice(0, 12), [
    "-t",
    "nat",
    "-A",
    "PREROUTING",
    "-m",
    "addrtype",
    "--dst-type",
    "LOCAL",
    "-d",
    "127.0.0.1",
    "-p",
    "udp",
  ]);
});

Deno.test("host addresses: local prefixes from /proc/net/fib_trie", () => {
  const trie = [
    "Main:",
    "  +-- 0.0.0.0/0 3 0 5",
    "     |-- 0.0.0.0",
    "        /0 universe UNICAST",
    "     +-- 127.0.0.0/8 2 0 2",
    "        +-- 127.0.0.0/31 1 0 0",
    "           |-- 127.0.0.0",
    "              /8 host LOCAL",
    "           |-- 127.0.0.1",
    "              /32 host LOCAL",
    "     |-- 192.0.2.2",
    "        /32 host LOCAL",
    "     |-- 192.0.2.255",
    "        /32 link BROADCAST",
  ].join("\n");
  const local = localPrefixes(trie);
  assertEquals(local, [["127.0.0.0", 8], ["127.0.0.1", 32], ["192.0.2.2", 32]]);
  assertEquals(
    ["127.0.0.1", "127.9.9.9", "192.0.2.2", "192.0.2.3", "0.0.0.0"].map((ip) =>
      isLocalAddress(ip, local)
    ),
    [true, true, true, false, true],
  );
});
